"""Permissions and roles.

Plugins declare the permissions they check (``orders:write``) through the
``concierge_permissions`` hook. A role is a set of permission patterns
(``orders:*``, ``*:read``, ``*``) expanded against that registry, so a role
written today also covers the permissions a plugin installed tomorrow
declares. Built-in roles are defined here; a tenant may define its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from core.plugins import PluginError, PluginHost


@dataclass(frozen=True)
class Permission:
    name: str  # "resource:action", e.g. "orders:write"
    description: str

    def __post_init__(self) -> None:
        resource, sep, action = self.name.partition(":")
        if (
            not (resource and sep and action)
            or not self.name.replace(":", "").replace("_", "").isalnum()
        ):
            raise ValueError(f"permission {self.name!r} must look like 'resource:action'")


# Account-level and property-level permissions of the core itself.
CORE_PERMISSIONS = (
    Permission("tenant:manage", "Rename the tenant; the owner's powers over the account"),
    Permission("properties:manage", "Create properties, change their settings and plugins"),
    Permission("members:manage", "Add users, change their roles and memberships"),
    Permission("roles:manage", "Define the tenant's own roles"),
    Permission("apikeys:manage", "Create and revoke API keys"),
    Permission("property:read", "See the property among your properties on /graphql"),
    Permission("reports:read", "Run the reports of the plugins a property runs"),
)


@dataclass(frozen=True)
class Role:
    name: str
    description: str
    patterns: tuple[str, ...]
    built_in: bool = True


BUILT_IN_ROLES: dict[str, Role] = {
    role.name: role
    for role in (
        Role("owner", "Everything, including the tenant itself", ("*",)),
        Role("manager", "Runs properties: everything but the tenant itself", ("*",)),
        Role(
            "front_desk",
            "Reservations, guests, folios, check-in and check-out",
            ("property:read", "reservations:*", "guests:*", "folios:*", "rooms:read",
             "rates:read", "housekeeping:read", "pos:read", "reports:read"),
        ),
        Role(
            "housekeeping",
            "Runs housekeeping: the board, conditions, tasks for anyone, inspections, blocks",
            ("property:read", "housekeeping:*", "rooms:read"),
        ),
        Role(
            "housekeeper",
            "Works on the housekeeping tasks given to them, and sees only those",
            ("property:read", "housekeeping:tasks", "rooms:read"),
        ),
        Role(
            "warehouse",
            "Catalog, stock, receiving, purchasing, fulfilment",
            ("property:read", "catalog:*", "inventory:*", "purchasing:*", "orders:read",
             "fulfilments:*", "returns:*"),
        ),
        Role(
            "cashier",
            "Point of sale: sales, charges to rooms",
            ("property:read", "pos:*", "catalog:read", "orders:read", "orders:write"),
        ),
        Role("viewer", "Sees everything, changes nothing", ("*:read",)),
    )
}  # fmt: skip
# A manager may do everything except hand over or close the tenant.
MANAGER_EXCLUDES = frozenset({"tenant:manage"})


def collect_permissions(host: PluginHost) -> dict[str, Permission]:
    """Every permission of the core and the installed plugins; a duplicate stops start-up."""
    registry: dict[str, tuple[str, Permission]] = {p.name: ("core", p) for p in CORE_PERMISSIONS}
    for impl in host.manager.hook.concierge_permissions.get_hookimpls():
        for permission in impl.function() or []:
            if permission.name in registry:
                owner = registry[permission.name][0]
                raise PluginError(
                    f"permission {permission.name!r} is declared by both {owner!r} "
                    f"and {impl.plugin_name!r}"
                )
            registry[permission.name] = (impl.plugin_name, permission)
    return {name: permission for name, (_, permission) in registry.items()}


def expand(patterns: Iterable[str], registry: Iterable[str]) -> frozenset[str]:
    """The registered permission names that ``patterns`` match."""
    names = list(registry)
    return frozenset(n for n in names for p in patterns if fnmatchcase(n, p))


def role_permissions(
    role: str, registry: Iterable[str], custom_roles: dict[str, tuple[str, ...]] | None = None
) -> frozenset[str]:
    """What ``role`` grants; unknown roles grant nothing."""
    names = list(registry)
    if role in BUILT_IN_ROLES:
        granted = expand(BUILT_IN_ROLES[role].patterns, names)
        return granted - MANAGER_EXCLUDES if role == "manager" else granted
    if custom_roles and role in custom_roles:
        return expand(custom_roles[role], names)
    return frozenset()
