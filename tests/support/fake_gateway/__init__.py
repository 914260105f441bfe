"""A test-only payment gateway plugin (not shipped): it refunds oms_orders payments whose
gateway is "fake" through the hook ``oms_orders_refund_payment``. No GraphQL, no tables,
no permissions: just the hook, recording what it was asked for tests to assert on.
"""

from core import Plugin
from fake_gateway import hooks

plugin = Plugin(
    name="fake_gateway",
    version="0.0.1",
    description="A pretend payment provider that refunds oms_orders payments (test plugin).",
    hooks=hooks,
    requires=("oms_orders",),
)
