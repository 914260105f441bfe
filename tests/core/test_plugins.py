"""The plugin manager: discovery errors name the plugin; hooks reach only enabled plugins."""

from __future__ import annotations

import importlib.metadata
import types

import pytest

from core import Plugin, hookimpl, hookspec
from core.plugins import PluginError, PluginHost, call_hook, load_entry_point_plugins


def _plugin(name: str, hooks: object | None = None, **kwargs) -> Plugin:
    return Plugin(
        name=name,
        version="1.0",
        description=f"{name} plugin",
        hooks=hooks or types.ModuleType(f"{name}_hooks"),
        **kwargs,
    )


def test_builtin_plugins_are_discovered_through_entry_points() -> None:
    host = PluginHost.discover()
    assert {"oms_inventory", "oms_orders", "pms_rooms", "pms_housekeeping", "pos_bridge"} <= set(
        host.plugins
    )
    assert host.plugins["pms_housekeeping"].requires == ("pms_rooms",)


def test_missing_requirement_stops_start_up_naming_both_plugins() -> None:
    with pytest.raises(PluginError) as raised:
        PluginHost([_plugin("spa", requires=("pms_rooms",))])
    assert "'spa'" in str(raised.value) and "'pms_rooms'" in str(raised.value)


def test_unknown_hook_name_stops_start_up_naming_the_plugin() -> None:
    class Misspelt:
        @hookimpl
        def concierge_grapql(self) -> None:  # sic
            return None

    with pytest.raises(PluginError) as raised:
        PluginHost([_plugin("typo_plugin", Misspelt())])
    assert "'typo_plugin'" in str(raised.value)
    assert "concierge_grapql" in str(raised.value)


def test_hookimpl_with_unknown_argument_names_the_plugin() -> None:
    class WrongArgs:
        @hookimpl
        def concierge_event(self, event, contxt) -> None:  # sic
            return None

    with pytest.raises(PluginError) as raised:
        PluginHost([_plugin("bad_args", WrongArgs())])
    assert "'bad_args'" in str(raised.value)


def test_import_error_in_an_entry_point_names_the_plugin(monkeypatch) -> None:
    broken = importlib.metadata.EntryPoint(
        name="broken_plugin", value="no_such_module_xyz:plugin", group="concierge.plugins"
    )
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [broken])
    with pytest.raises(PluginError) as raised:
        list(load_entry_point_plugins())
    assert "'broken_plugin'" in str(raised.value)
    assert "no_such_module_xyz" in str(raised.value)


def test_entry_point_that_is_not_a_plugin_is_refused(monkeypatch) -> None:
    wrong = importlib.metadata.EntryPoint(
        name="not_a_plugin", value="types:SimpleNamespace", group="concierge.plugins"
    )
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [wrong])
    with pytest.raises(PluginError, match="not_a_plugin"):
        list(load_entry_point_plugins())


def test_two_plugins_with_one_name_are_refused() -> None:
    with pytest.raises(PluginError, match="two plugins are named 'twin'"):
        PluginHost([_plugin("twin"), _plugin("twin")])


class _Recorder:
    def __init__(self, name: str, calls: list[str], *, async_impl: bool = False) -> None:
        self.name = name
        self.calls = calls
        self.async_impl = async_impl

    @hookimpl
    def concierge_request_context(self, context):
        self.calls.append(self.name)
        if self.async_impl:

            async def later() -> dict[str, str]:
                return {self.name: "async"}

            return later()
        return {self.name: "sync"}


async def test_hooks_called_for_a_property_skip_plugins_it_has_not_enabled() -> None:
    calls: list[str] = []
    host = PluginHost(
        [
            _plugin("alpha", _Recorder("alpha", calls)),
            _plugin("beta", _Recorder("beta", calls, async_impl=True)),
            _plugin("gamma", _Recorder("gamma", calls)),
        ]
    )
    results = await call_hook(host.relay({"alpha", "beta"}).concierge_request_context, context=None)
    assert sorted(calls) == ["alpha", "beta"]
    # An async implementation's awaitable is awaited for the caller.
    assert {"beta": "async"} in results and {"alpha": "sync"} in results

    calls.clear()
    await call_hook(host.relay(set()).concierge_request_context, context=None)
    assert calls == []

    calls.clear()
    await call_hook(host.relay().concierge_request_context, context=None)
    assert sorted(calls) == ["alpha", "beta", "gamma"]


def test_relays_are_cached_per_plugin_set() -> None:
    host = PluginHost([_plugin("alpha"), _plugin("beta")])
    assert host.relay({"alpha"}) is host.relay(["alpha"])
    assert host.relay({"alpha"}) is not host.relay({"beta"})


async def test_a_plugin_may_declare_hooks_for_other_plugins() -> None:
    offered = types.ModuleType("loyalty_hookspecs")

    @hookspec
    def loyalty_points_earned(amount: int) -> int:
        """Return bonus points."""

    offered.loyalty_points_earned = loyalty_points_earned

    class Bonus:
        @hookimpl
        def loyalty_points_earned(self, amount: int) -> int:
            return amount * 2

    host = PluginHost(
        [
            _plugin("loyalty", hookspecs=offered),
            _plugin("bonus", Bonus(), requires=("loyalty",)),
        ]
    )
    assert await call_hook(host.relay().loyalty_points_earned, amount=5) == [10]
    assert host.required_by("loyalty") == ["bonus"]


def test_a_plugin_made_for_another_core_is_refused_with_a_clear_message() -> None:
    with pytest.raises(PluginError) as refused:
        PluginHost([_plugin("loyalty", core_requires=">=0.2,<0.3")])
    message = str(refused.value)
    assert "'loyalty' 1.0 supports concierge core >=0.2,<0.3" in message
    assert "this is core 0.1.0" in message
    with pytest.raises(PluginError, match="not a version specifier"):
        PluginHost([_plugin("typo", core_requires="0.1+")])
    # One that supports this core loads; so does one that says nothing.
    host = PluginHost([_plugin("fits", core_requires=">=0.1,<0.2"), _plugin("silent")])
    assert set(host.plugins) == {"fits", "silent"}


def test_every_built_in_plugin_declares_the_cores_it_supports() -> None:
    for plugin in PluginHost.discover().plugins.values():
        assert plugin.core_requires, plugin.name


def test_the_core_version_is_the_distributions() -> None:
    import tomllib
    from pathlib import Path

    from core import __version__

    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert pyproject["project"]["version"] == __version__
