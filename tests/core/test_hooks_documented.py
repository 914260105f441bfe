"""Every hook has an entry in docs/hooks.md (as Datasette checks its own hook reference)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core import hookspecs
from core.cli import builtin_plugin_names
from core.plugins import PluginHost

ROOT = Path(__file__).resolve().parents[2]
SPEC_MARK = f"{hookspecs.PROJECT_NAME}_spec"


def _declared_hooks() -> list[str]:
    modules = [hookspecs]
    host = PluginHost.discover(only=builtin_plugin_names())
    modules += [p.hookspecs for p in host.plugins.values() if p.hookspecs is not None]
    return sorted(
        name
        for module in modules
        for name in dir(module)
        if hasattr(getattr(module, name), SPEC_MARK)
    )


def test_hook_list_is_not_empty() -> None:
    assert "concierge_graphql" in _declared_hooks()


@pytest.mark.parametrize("hook", _declared_hooks())
def test_hook_is_documented(hook: str) -> None:
    reference = (ROOT / "docs" / "hooks.md").read_text()
    assert re.search(rf"^### {re.escape(hook)}\b", reference, re.MULTILINE), (
        f"hook {hook} has no '### {hook}' entry in docs/hooks.md"
    )


def test_every_hook_has_a_docstring() -> None:
    for name in _declared_hooks():
        spec = getattr(hookspecs, name, None)
        if spec is not None:
            assert (spec.__doc__ or "").strip(), f"{name} needs a docstring in core/hookspecs.py"
