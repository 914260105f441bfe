"""DataLoaders of pms_rooms: one query per kind of child for a whole page."""

from __future__ import annotations

from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from core.graphql.loaders import Load, grouped_by, one_by, request_loader
from plugins.pms_rooms import models


def _loader(info: Info, key: str, load: Load) -> DataLoader[Any, Any]:
    return request_loader(info, f"pms_rooms.{key}", load)


def room_type(info: Info) -> DataLoader[int, Any]:
    return _loader(info, "room_type", one_by(models.RoomType))


def room(info: Info) -> DataLoader[int, Any]:
    return _loader(info, "room", one_by(models.Room))


def rate_plan(info: Info) -> DataLoader[int, Any]:
    return _loader(info, "rate_plan", one_by(models.RatePlan))


def guest(info: Info) -> DataLoader[int, Any]:
    return _loader(info, "guest", one_by(models.Guest))


def booking(info: Info) -> DataLoader[int, Any]:
    return _loader(info, "booking", one_by(models.Booking))


def reservation(info: Info) -> DataLoader[int, Any]:
    return _loader(info, "reservation", one_by(models.Reservation))


def folio_of_reservation(info: Info) -> DataLoader[int, Any]:
    return _loader(info, "folio_of_reservation", one_by(models.Folio, "reservation_id"))


def lines_of_folio(info: Info) -> DataLoader[int, list[Any]]:
    return _loader(
        info, "lines_of_folio", grouped_by(models.FolioLine, "folio_id", models.FolioLine.id)
    )


def nights_of_reservation(info: Info) -> DataLoader[int, list[Any]]:
    return _loader(
        info,
        "nights_of_reservation",
        grouped_by(models.RoomNight, "reservation_id", models.RoomNight.night),
    )


def history_of_reservation(info: Info) -> DataLoader[int, list[Any]]:
    return _loader(
        info,
        "history_of_reservation",
        grouped_by(models.ReservationEvent, "reservation_id", models.ReservationEvent.id),
    )


def rooms_of_type(info: Info) -> DataLoader[int, list[Any]]:
    return _loader(
        info, "rooms_of_type", grouped_by(models.Room, "room_type_id", models.Room.number)
    )
