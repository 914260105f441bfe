"""Imports every core table so ``Base.metadata`` is complete (migrations, drift checks)."""

from core.events import OutboxEvent
from core.tenancy import Property, PropertyPlugin, Tenant

__all__ = ["OutboxEvent", "Property", "PropertyPlugin", "Tenant"]
