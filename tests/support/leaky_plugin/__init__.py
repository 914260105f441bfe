"""A deliberately leaky test plugin (never installed in the normal test host).

Its ``test_leaky_gossip`` table does not mix in ``TenantScoped``, so its rows
belong to nobody: the public ``gossip`` list, ``node(id:)`` and
``retractGossip`` reach every tenant's rows. tests/core/test_isolation.py
installs it in an app of its own to prove the isolation suite catches that.
"""

from pathlib import Path

from core import Plugin
from leaky_plugin import hooks

plugin = Plugin(
    name="test_leaky",
    version="0.0.1",
    description="Gossip shared by every tenant: a deliberate tenant leak (test plugin).",
    hooks=hooks,
    migrations=Path(__file__).parent / "migrations",
)
