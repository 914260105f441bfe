"""Imports every core table so ``Base.metadata`` is complete (migrations, drift checks)."""

from core.apikeys import ApiKey
from core.events import OutboxEvent
from core.sessions import LoginAttempt, RefreshToken, UserSession
from core.tenancy import Property, PropertyPlugin, Tenant
from core.users import CustomRole, Membership, User

__all__ = [
    "ApiKey",
    "CustomRole",
    "LoginAttempt",
    "Membership",
    "OutboxEvent",
    "Property",
    "PropertyPlugin",
    "RefreshToken",
    "Tenant",
    "User",
    "UserSession",
]
