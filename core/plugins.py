"""The plugin manager: discovery, ``requires``, validation, and per-property hook calls.

Built-in and third-party plugins are found the same way: through the entry
point group ``concierge.plugins``, each naming a :class:`Plugin`. Start-up stops
with a :class:`PluginError` naming the plugin when one fails to import, lacks
something it requires, or implements a hook nobody declared.
"""

from __future__ import annotations

import importlib.metadata
import inspect
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from core import hookspecs
from core.version import __version__ as CORE_VERSION

ENTRY_POINT_GROUP = "concierge.plugins"


class PluginError(Exception):
    """A plugin cannot be loaded or registered; the message names it."""


@dataclass(frozen=True)
class Plugin:
    """What a plugin package exposes as ``plugin`` (its entry point target).

    ``hooks`` is any object (usually a module) holding ``@hookimpl`` functions.
    ``hookspecs`` is an optional module of ``@hookspec`` functions this plugin
    offers to others. ``migrations`` is the folder of this plugin's Alembic
    branch, labelled with the plugin's name.
    """

    name: str
    version: str
    description: str
    hooks: object
    requires: tuple[str, ...] = ()
    hookspecs: object | None = None
    migrations: Path | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # The core versions the plugin supports, a PEP 440 specifier (">=0.1,<0.2"); empty: any.
    core_requires: str = ""

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise PluginError(f"plugin name {self.name!r} must be a Python identifier")

    def check_core(self, core_version: str) -> None:
        """Refuse a core this plugin does not declare it supports."""
        if not self.core_requires:
            return
        try:
            supported = SpecifierSet(self.core_requires)
        except InvalidSpecifier:
            raise PluginError(
                f"plugin {self.name!r}: core_requires {self.core_requires!r} is not a version "
                "specifier such as '>=0.1,<0.2'"
            ) from None
        if Version(core_version) not in supported:
            raise PluginError(
                f"plugin {self.name!r} {self.version} supports concierge core "
                f"{self.core_requires}, and this is core {core_version}: install a version "
                "of the plugin made for this core, or a core it supports"
            )


async def await_me_maybe(value: Any) -> Any:
    """Await ``value`` if it is awaitable (a hook implementation may be ``async``)."""
    if inspect.isawaitable(value):
        return await value
    return value


async def call_hook(caller: pluggy.HookCaller, **kwargs: Any) -> list[Any]:
    """Call a hook and await every result that is awaitable, in order."""
    return [await await_me_maybe(result) for result in caller(**kwargs)]


async def call_first_optional(relay: HookRelay, name: str, **kwargs: Any) -> Any:
    """Call a ``firstresult`` hook that another plugin may or may not offer.

    Returns None when no installed plugin declares the hook, or none enabled on
    this property implements it: the caller then works without that plugin.
    """
    if not relay.declares(name):
        return None
    return await await_me_maybe(getattr(relay, name)(**kwargs))


class HookRelay:
    """Hook callers limited to one set of plugins: ``relay.concierge_event(...)``."""

    def __init__(self, manager: pluggy.PluginManager, remove: tuple[object, ...]) -> None:
        self._manager = manager
        self._remove = remove
        self._callers: dict[str, pluggy.HookCaller] = {}

    def declares(self, name: str) -> bool:
        """Whether some installed plugin (or the core) declares hook ``name``."""
        caller = getattr(self._manager.hook, name, None)
        return caller is not None and caller.spec is not None

    def __getattr__(self, name: str) -> pluggy.HookCaller:
        if name.startswith("_"):
            raise AttributeError(name)
        caller = self._callers.get(name)
        if caller is None:
            full = getattr(self._manager.hook, name)
            caller = (
                self._manager.subset_hook_caller(name, remove_plugins=self._remove)
                if self._remove
                else full
            )
            self._callers[name] = caller
        return caller


class PluginHost:
    """The installed plugins and their pluggy manager."""

    def __init__(self, plugins: Iterable[Plugin]) -> None:
        self.plugins: dict[str, Plugin] = {}
        for plugin in plugins:
            if not isinstance(plugin, Plugin):
                raise PluginError(f"{plugin!r} is not a core.plugins.Plugin")
            if plugin.name in self.plugins:
                raise PluginError(f"two plugins are named {plugin.name!r}")
            plugin.check_core(CORE_VERSION)
            self.plugins[plugin.name] = plugin
        self._check_requires()
        self.manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.manager.add_hookspecs(hookspecs)
        for plugin in self.plugins.values():
            if plugin.hookspecs is not None:
                self.manager.add_hookspecs(plugin.hookspecs)
        for plugin in self.plugins.values():
            try:
                self.manager.register(plugin.hooks, name=plugin.name)
            except (pluggy.PluginValidationError, ValueError) as exc:
                raise PluginError(f"plugin {plugin.name!r}: {exc}") from exc
        self._check_pending()
        self._relays: dict[frozenset[str], HookRelay] = {}

    @classmethod
    def discover(
        cls, extra: Iterable[Plugin] = (), *, only: Iterable[str] | None = None
    ) -> PluginHost:
        """Load every plugin registered under the ``concierge.plugins`` entry point group.

        ``extra`` adds plugins that are not installed as distributions (tests);
        ``only`` keeps just the named ones (and fails if one is missing).
        """
        found = list(load_entry_point_plugins())
        found.extend(extra)
        if only is not None:
            wanted = set(only)
            missing = wanted - {p.name for p in found}
            if missing:
                raise PluginError(f"plugins not installed: {', '.join(sorted(missing))}")
            found = [p for p in found if p.name in wanted]
        return cls(found)

    def _check_requires(self) -> None:
        for plugin in self.plugins.values():
            for required in plugin.requires:
                if required not in self.plugins:
                    raise PluginError(
                        f"plugin {plugin.name!r} requires plugin {required!r}, "
                        "which is not installed"
                    )

    def _check_pending(self) -> None:
        # pluggy reports unknown hooks one at a time without the plugin's name.
        for name, hook_caller in self.manager.hook.__dict__.items():
            if name.startswith("_") or hook_caller.spec is not None:
                continue
            for impl in hook_caller.get_hookimpls():
                if not impl.opts.get("optionalhook"):
                    raise PluginError(
                        f"plugin {impl.plugin_name!r} implements unknown hook {name!r} "
                        "(misspelt, or offered by a plugin that is not installed?)"
                    )
        self.manager.check_pending()

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.plugins)

    def required_by(self, name: str) -> list[str]:
        """Installed plugins that list ``name`` in their ``requires``."""
        return sorted(p.name for p in self.plugins.values() if name in p.requires)

    def relay(self, enabled: Iterable[str] | None = None) -> HookRelay:
        """Hook callers that reach only ``enabled`` plugins (all of them when ``None``)."""
        key = self.names if enabled is None else frozenset(enabled) & self.names
        relay = self._relays.get(key)
        if relay is None:
            remove = tuple(self.plugins[name].hooks for name in sorted(self.names - key))
            relay = HookRelay(self.manager, remove)
            self._relays[key] = relay
        return relay

    def relay_for_one(self, name: str) -> HookRelay:
        """Hook callers that reach only the plugin ``name``."""
        return self.relay({name})

    def migration_locations(self) -> dict[str, Path]:
        return {p.name: p.migrations for p in self.plugins.values() if p.migrations is not None}


def load_entry_point_plugins() -> Iterable[Plugin]:
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            plugin = entry_point.load()
        except Exception as exc:
            raise PluginError(
                f"plugin {entry_point.name!r} ({entry_point.value}) failed to import: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(plugin, Plugin):
            raise PluginError(
                f"plugin {entry_point.name!r} ({entry_point.value}) is not a core.plugins.Plugin"
            )
        if plugin.name != entry_point.name:
            raise PluginError(
                f"entry point {entry_point.name!r} names plugin {plugin.name!r}; they must match"
            )
        yield plugin
