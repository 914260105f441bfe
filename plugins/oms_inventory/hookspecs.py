"""Hooks oms_inventory offers to other plugins (oms_orders, pos_bridge).

Callers reach them through the property's hook relay with
``core.plugins.call_first_optional``: on a property without oms_inventory (or
an installation without it) the call answers None, and the caller carries on
without stock, so those plugins work with or without inventory. Each hook runs
in the caller's session and transaction: an order and its allocation commit or
roll back together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core import hookspec

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.clock import Clock


# ---------------------------------------------------------------------------
# Stock for orders
# ---------------------------------------------------------------------------


@hookspec(firstresult=True)
def oms_inventory_allocate(
    session: AsyncSession,
    reference: str,
    lines: list[tuple[str, int]],
    hold_key: str | None,
    actor: str,
    clock: Clock,
) -> list[dict[str, Any]] | None:
    """Allocate ``lines`` of (sku, quantity) to ``reference`` (an order number), all or none.

    Called by a plugin placing an order, inside its transaction. Returns one
    ``{"sku", "location", "quantity"}`` per location used. Raises a DomainError
    with code INSUFFICIENT_STOCK (details ``sku``, ``available_quantity``) or
    NOT_FOUND for an unknown SKU; the caller's transaction then rolls back.
    ``hold_key`` releases that cart's holds first so their units count.
    """


@hookspec(firstresult=True)
def oms_inventory_release(
    session: AsyncSession, reference: str, actor: str, clock: Clock
) -> int | None:
    """Release every unshipped unit allocated to ``reference`` (order canceled or expired).

    Returns the number of units released.
    """


@hookspec(firstresult=True)
def oms_inventory_ship(
    session: AsyncSession,
    reference: str,
    lines: list[tuple[str, int]] | None,
    location: str | None,
    actor: str,
    clock: Clock,
) -> list[dict[str, Any]] | None:
    """Ship allocated units of ``reference`` (all when ``lines`` is None), optionally only
    from the location with code ``location``. Returns what was shipped, per location."""


@hookspec(firstresult=True)
def oms_inventory_return(
    session: AsyncSession,
    sku: str,
    location: str,
    quantity: int,
    restock: bool,
    reference: str | None,
    actor: str,
    clock: Clock,
) -> bool | None:
    """Take a returned unit back on hand (``restock``) or record it written off."""


@hookspec(firstresult=True)
def oms_inventory_prices(
    session: AsyncSession, skus: list[str]
) -> dict[str, dict[str, Any]] | None:
    """Catalog data for ``skus``: ``{sku: {"name", "price_minor", "currency", "active"}}``.

    Unknown SKUs are left out. Lets an order plugin price lines from the catalog.
    """
