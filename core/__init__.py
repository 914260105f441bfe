"""Concierge's core: auth, tenancy, persistence, plugins, schema composition, HTTP.

Plugins import what they need from here: ``hookimpl`` to implement hooks,
``Plugin`` to describe themselves, and the modules named in docs/plugins.md.
"""

from core.hookspecs import hookimpl, hookspec
from core.plugins import Plugin
from core.version import __version__

__all__ = ["Plugin", "__version__", "hookimpl", "hookspec"]
