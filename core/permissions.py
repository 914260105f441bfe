"""The permission registry: plugins declare the permissions they check.

Roles (owner, manager, front desk, ...) map to these names; the mapping and
the checks arrive with identity and tenancy. Here: declaring and collecting.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.plugins import PluginError, PluginHost


@dataclass(frozen=True)
class Permission:
    name: str  # "resource:action", e.g. "orders:write"
    description: str

    def __post_init__(self) -> None:
        resource, sep, action = self.name.partition(":")
        if not (resource and sep and action):
            raise ValueError(f"permission {self.name!r} must look like 'resource:action'")


CORE_PERMISSIONS = (
    Permission("property:read", "See the property's settings and enabled plugins"),
    Permission("property:manage", "Change the property's settings and enable or disable plugins"),
)


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
