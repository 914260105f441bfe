"""Tenants, properties and the plugins each property has enabled.

A tenant is an account (a retailer, a hotel group). A property is one shop,
hotel or resort of a tenant; its slug is unique across the installation
because it is the property's address (``/graphql/{slug}``). Enabling a plugin
checks its ``requires`` and lets it seed its defaults; disabling keeps the
plugin's data, so enabling again brings it back.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import Clock
from core.db import ALL_TENANTS_OPTION, SCOPE_KEY, Base, BigIntPK, IdPK, Scope, TenantScoped
from core.errors import CoreErrorCode, DomainError, NotFound
from core.plugins import PluginHost, call_hook

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\Z")


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[IdPK]
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]


class Property(TenantScoped, Base):
    __tablename__ = "properties"

    id: Mapped[IdPK]
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    locale: Mapped[str] = mapped_column(String(16), default="en")
    address_line1: Mapped[str] = mapped_column(String(200), default="", server_default="")
    address_line2: Mapped[str] = mapped_column(String(200), default="", server_default="")
    city: Mapped[str] = mapped_column(String(120), default="", server_default="")
    postal_code: Mapped[str] = mapped_column(String(32), default="", server_default="")
    region: Mapped[str] = mapped_column(String(120), default="", server_default="")
    country: Mapped[str] = mapped_column(String(2), default="", server_default="")
    created_at: Mapped[dt.datetime]


ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "postal_code", "region", "country")


class PropertyPlugin(TenantScoped, Base):
    """One row per plugin a property has ever enabled; ``enabled`` says whether it still is."""

    __tablename__ = "property_plugins"
    __table_args__ = (UniqueConstraint("property_id", "plugin"),)

    id: Mapped[IdPK]
    property_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("properties.id", ondelete="CASCADE"), index=True
    )
    plugin: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    changed_at: Mapped[dt.datetime]


def _check_slug(slug: str) -> None:
    if not SLUG_PATTERN.match(slug):
        raise DomainError(
            CoreErrorCode.INVALID_INPUT,
            "a slug is 1 to 64 lower-case letters, digits and inner hyphens",
            field=["slug"],
        )


async def create_tenant(session: AsyncSession, *, name: str, slug: str, clock: Clock) -> Tenant:
    _check_slug(slug)
    if await session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise DomainError(CoreErrorCode.CONFLICT, f"tenant {slug!r} exists", field=["slug"])
    tenant = Tenant(name=name, slug=slug, created_at=clock.now())
    session.add(tenant)
    await session.flush()
    return tenant


def _check_settings(
    *, name: str | None, time_zone: str | None, currency: str | None, locale: str | None,
    address: dict[str, str] | None,
) -> None:  # fmt: skip
    if name is not None and not name.strip():
        raise DomainError(CoreErrorCode.INVALID_INPUT, "a property needs a name", field=["name"])
    if time_zone is not None:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise DomainError(
                CoreErrorCode.INVALID_INPUT, f"unknown time zone {time_zone!r}", field=["timeZone"]
            ) from None
    if currency is not None and not re.fullmatch(r"[A-Z]{3}", currency):
        raise DomainError(
            CoreErrorCode.INVALID_INPUT, "currency is an ISO 4217 code", field=["currency"]
        )
    if locale is not None and not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", locale):
        raise DomainError(
            CoreErrorCode.INVALID_INPUT, "locale is a BCP 47 tag such as en or pt-PT",
            field=["locale"],
        )  # fmt: skip
    for key, value in (address or {}).items():
        if key not in ADDRESS_FIELDS:
            raise DomainError(CoreErrorCode.INVALID_INPUT, f"no address field {key!r}")
        if key == "country" and value and not re.fullmatch(r"[A-Z]{2}", value):
            raise DomainError(
                CoreErrorCode.INVALID_INPUT,
                "country is an ISO 3166 alpha-2 code",
                field=["address", "country"],
            )


async def rename_tenant(session: AsyncSession, tenant_id: int, name: str) -> Tenant:
    if not name.strip() or len(name) > 200:
        raise DomainError(
            CoreErrorCode.INVALID_INPUT, "a tenant's name is 1 to 200 characters", field=["name"]
        )
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("tenant")
    tenant.name = name.strip()
    await session.flush()
    return tenant


async def create_property(
    session: AsyncSession,
    *,
    tenant_id: int,
    name: str,
    slug: str,
    clock: Clock,
    time_zone: str = "UTC",
    currency: str = "EUR",
    locale: str = "en",
    address: dict[str, str] | None = None,
) -> Property:
    _check_slug(slug)
    _check_settings(
        name=name, time_zone=time_zone, currency=currency, locale=locale, address=address
    )
    # Slugs are unique across tenants (they are addresses); check all of them.
    existing = await session.scalar(
        select(Property.id)
        .where(Property.slug == slug)
        .execution_options(**{ALL_TENANTS_OPTION: True})
    )
    if existing is not None:
        raise DomainError(CoreErrorCode.CONFLICT, f"property {slug!r} exists", field=["slug"])
    prop = Property(
        tenant_id=tenant_id,
        name=name,
        slug=slug,
        time_zone=time_zone,
        currency=currency,
        locale=locale,
        created_at=clock.now(),
        **{key: value.strip() for key, value in (address or {}).items()},
    )
    session.add(prop)
    await session.flush()
    return prop


async def update_property(
    session: AsyncSession,
    prop: Property,
    *,
    name: str | None = None,
    time_zone: str | None = None,
    currency: str | None = None,
    locale: str | None = None,
    address: dict[str, str] | None = None,
) -> Property:
    """Change a property's settings; None leaves a setting as it is."""
    _check_settings(
        name=name, time_zone=time_zone, currency=currency, locale=locale, address=address
    )
    for attr, value in (
        ("name", name), ("time_zone", time_zone), ("currency", currency), ("locale", locale)
    ):  # fmt: skip
        if value is not None:
            setattr(prop, attr, value.strip() if attr == "name" else value)
    for key, value in (address or {}).items():
        setattr(prop, key, value.strip())
    await session.flush()
    return prop


async def get_property_by_slug(session: AsyncSession, slug: str) -> Property | None:
    # No property has a slug off the pattern, and the database need not be asked: a slug
    # from a URL may hold a NUL, which PostgreSQL refuses to compare at all.
    if not SLUG_PATTERN.match(slug):
        return None
    return await session.scalar(select(Property).where(Property.slug == slug))


async def enabled_plugins(session: AsyncSession, property_id: int) -> frozenset[str]:
    rows = await session.scalars(
        select(PropertyPlugin.plugin).where(
            PropertyPlugin.property_id == property_id, PropertyPlugin.enabled.is_(True)
        )
    )
    return frozenset(rows)


async def enable_plugin(
    session: AsyncSession, host: PluginHost, prop: Property, name: str, *, clock: Clock
) -> None:
    """Enable ``name`` on ``prop``: check ``requires``, record it, let the plugin seed defaults."""
    plugin = host.plugins.get(name)
    if plugin is None:
        raise DomainError(CoreErrorCode.NOT_FOUND, f"plugin {name!r} is not installed")
    current = await enabled_plugins(session, prop.id)
    missing = [r for r in plugin.requires if r not in current]
    if missing:
        raise DomainError(
            CoreErrorCode.PLUGIN_REQUIRED,
            f"plugin {name!r} requires {', '.join(repr(m) for m in missing)} "
            f"to be enabled on property {prop.slug!r} first",
            missing=missing,
        )
    if name in current:
        return
    row = await session.scalar(
        select(PropertyPlugin).where(
            PropertyPlugin.property_id == prop.id, PropertyPlugin.plugin == name
        )
    )
    if row is None:
        session.add(
            PropertyPlugin(
                tenant_id=prop.tenant_id, property_id=prop.id, plugin=name, changed_at=clock.now()
            )
        )
    else:
        row.enabled = True
        row.changed_at = clock.now()
    await session.flush()
    async with property_scoped(session, prop) as scoped:
        await call_hook(
            host.relay_for_one(name).concierge_plugin_enabled,
            session=scoped,
            property=prop,
            clock=clock,
        )


async def disable_plugin(
    session: AsyncSession, host: PluginHost, prop: Property, name: str, *, clock: Clock
) -> None:
    """Disable ``name`` on ``prop``; its data stays. Refused while an enabled plugin needs it."""
    current = await enabled_plugins(session, prop.id)
    if name not in current:
        return
    dependants = [d for d in host.required_by(name) if d in current]
    if dependants:
        raise DomainError(
            CoreErrorCode.PLUGIN_REQUIRED,
            f"plugin {name!r} is required by {', '.join(repr(d) for d in dependants)} "
            f"on property {prop.slug!r}; disable those first",
            dependants=dependants,
        )
    row = await session.scalar(
        select(PropertyPlugin).where(
            PropertyPlugin.property_id == prop.id, PropertyPlugin.plugin == name
        )
    )
    assert row is not None
    row.enabled = False
    row.changed_at = clock.now()
    await session.flush()
    if name in host.plugins:
        async with property_scoped(session, prop) as scoped:
            await call_hook(
                host.relay_for_one(name).concierge_plugin_disabled,
                session=scoped,
                property=prop,
                clock=clock,
            )


class property_scoped:
    """A session on the same connection and transaction, scoped to ``prop``.

    Hooks get a session limited to the property even when the caller works in
    a wider scope (the CLI works across tenants).
    """

    def __init__(self, session: AsyncSession, prop: Property) -> None:
        self._outer = session
        self._prop = prop
        self._scope_before: Scope | None = None

    async def __aenter__(self) -> AsyncSession:
        self._scope_before = self._outer.info[SCOPE_KEY]
        self._outer.info[SCOPE_KEY] = Scope.tenant(self._prop.tenant_id, self._prop.id)
        return self._outer

    async def __aexit__(self, *exc: object) -> None:
        await self._outer.flush()
        self._outer.info[SCOPE_KEY] = self._scope_before
