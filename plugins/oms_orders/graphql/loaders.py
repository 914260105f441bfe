"""DataLoaders of oms_orders: one query per kind of child for a whole page of orders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from core.graphql.loaders import Load, grouped_by, one_by, request_loader
from plugins.oms_orders import models


def _loader(info: Info, key: str, load: Load) -> DataLoader[Any, Any]:
    return request_loader(info, f"oms_orders.{key}", load)


def _grouped_with_line(model: Any, column: str) -> Any:
    """Rows of ``model`` grouped by ``column``, each with its order line (sku, name)."""

    async def load(session: Any, keys: Sequence[int]) -> list[list[Any]]:
        groups: dict[int, list[Any]] = defaultdict(list)
        attr = getattr(model, column)
        rows = await session.execute(
            select(model, models.OrderLine)
            .join(models.OrderLine, models.OrderLine.id == model.order_line_id)
            .where(attr.in_(keys))
            .order_by(models.OrderLine.position)
        )
        for row, line in rows:
            groups[getattr(row, column)].append((row, line))
        return [groups.get(k, []) for k in keys]

    return load


def customer(info: Info) -> DataLoader[int, Any]:
    return _loader(info, "customer", one_by(models.Customer))


def order(info: Info) -> DataLoader[int, Any]:
    return _loader(info, "order", one_by(models.Order))


def payment(info: Info) -> DataLoader[int, Any]:
    return _loader(info, "payment", one_by(models.Payment))


def lines_of_order(info: Info) -> DataLoader[int, list[Any]]:
    return _loader(
        info, "lines_of_order", grouped_by(models.OrderLine, "order_id", models.OrderLine.position)
    )


def timeline_of_order(info: Info) -> DataLoader[int, list[Any]]:
    return _loader(
        info, "timeline_of_order", grouped_by(models.OrderEvent, "order_id", models.OrderEvent.id)
    )


def fulfillments_of_order(info: Info) -> DataLoader[int, list[Any]]:
    return _loader(
        info,
        "fulfillments_of_order",
        grouped_by(models.Fulfillment, "order_id", models.Fulfillment.number),
    )


def payments_of_order(info: Info) -> DataLoader[int, list[Any]]:
    return _loader(
        info, "payments_of_order", grouped_by(models.Payment, "order_id", models.Payment.id)
    )


def returns_of_order(info: Info) -> DataLoader[int, list[Any]]:
    return _loader(
        info,
        "returns_of_order",
        grouped_by(models.OrderReturn, "order_id", models.OrderReturn.number),
    )


def lines_of_fulfillment(info: Info) -> DataLoader[int, list[Any]]:
    return _loader(
        info, "lines_of_fulfillment", _grouped_with_line(models.FulfillmentLine, "fulfillment_id")
    )


def lines_of_return(info: Info) -> DataLoader[int, list[Any]]:
    return _loader(info, "lines_of_return", _grouped_with_line(models.ReturnLine, "return_id"))
