"""DataLoaders of pms_rooms: one query per kind of child for a whole page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from plugins.pms_rooms import models


def _loader(info: Info, key: str, load: Any) -> DataLoader[Any, Any]:
    async def batch(keys: Sequence[Any]) -> list[Any]:
        async with info.context.db() as session:
            return await load(session, keys)

    return info.context.loader(f"pms_rooms.{key}", lambda: DataLoader(batch))


def _by(model: Any, column: str = "id") -> Any:
    async def load(session: Any, keys: Sequence[Any]) -> list[Any]:
        attr = getattr(model, column)
        rows = {
            getattr(r, column): r
            for r in await session.scalars(select(model).where(attr.in_(keys)))
        }
        return [rows.get(k) for k in keys]

    return load


def _grouped(model: Any, column: str, *order: Any) -> Any:
    async def load(session: Any, keys: Sequence[int]) -> list[list[Any]]:
        groups: dict[int, list[Any]] = defaultdict(list)
        attr = getattr(model, column)
        for row in await session.scalars(select(model).where(attr.in_(keys)).order_by(*order)):
            groups[getattr(row, column)].append(row)
        return [groups.get(k, []) for k in keys]

    return load


def room_type(info: Info) -> DataLoader[int, Any]:
    return _loader(info, "room_type", _by(models.RoomType))


def room(info: Info) -> DataLoader[int, Any]:
    return _loader(info, "room", _by(models.Room))


def rate_plan(info: Info) -> DataLoader[int, Any]:
    return _loader(info, "rate_plan", _by(models.RatePlan))


def guest(info: Info) -> DataLoader[int, Any]:
    return _loader(info, "guest", _by(models.Guest))


def booking(info: Info) -> DataLoader[int, Any]:
    return _loader(info, "booking", _by(models.Booking))


def reservation(info: Info) -> DataLoader[int, Any]:
    return _loader(info, "reservation", _by(models.Reservation))


def folio_of_reservation(info: Info) -> DataLoader[int, Any]:
    return _loader(info, "folio_of_reservation", _by(models.Folio, "reservation_id"))


def lines_of_folio(info: Info) -> DataLoader[int, list[Any]]:
    return _loader(
        info, "lines_of_folio", _grouped(models.FolioLine, "folio_id", models.FolioLine.id)
    )


def nights_of_reservation(info: Info) -> DataLoader[int, list[Any]]:
    return _loader(
        info,
        "nights_of_reservation",
        _grouped(models.RoomNight, "reservation_id", models.RoomNight.night),
    )


def history_of_reservation(info: Info) -> DataLoader[int, list[Any]]:
    return _loader(
        info,
        "history_of_reservation",
        _grouped(models.ReservationEvent, "reservation_id", models.ReservationEvent.id),
    )


def rooms_of_type(info: Info) -> DataLoader[int, list[Any]]:
    return _loader(info, "rooms_of_type", _grouped(models.Room, "room_type_id", models.Room.number))
