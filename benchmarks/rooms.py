"""Rooms over real HTTP GraphQL: availability on a busy hotel, and the last room raced for.

Each run builds the real app (``core.app.create_app``) on a fresh, migrated
database (a SQLite file in a temporary directory, or a PostgreSQL database
created for the run and dropped afterwards), creates a tenant, a property with
pms_rooms enabled and a manager, then a hotel of ``--rooms`` (300) rooms in
four room types with two rate plans each and a year of rate overrides (through
pms_rooms' services). A year of reservations goes straight into the tables
with bulk INSERTs (SQLAlchemy Core, one executemany per table for each
``--batch`` of 5,000 reservations): guests, bookings, reservations, their room
nights, folios and history, about ``--occupancy`` (70 %) of the room nights
from a month ago to a year ahead sold (more close to today, fewer a year out,
as a hotel's books fill up). Requests go through httpx's ASGI transport (in
process, no sockets) with the manager's access token; every SQL statement the
app's engine sends is counted (a ``before_cursor_execute`` listener).

Scenarios, in this order on one seeded hotel per database:

* ``availability``: ``availability`` for a 30-night stay for two, arrivals
  spread over the year, with each offer's rate plans, nightly prices and
  restrictions (a booking engine's question). Every answer is checked against
  the free rooms the seed left.
* ``calendar``: ``availabilityCalendar`` for 365 days from the business date
  (1,460 rows: 4 room types a night), each checked against the seed's rooms
  sold per night and type.
* ``last-room``: ``--rounds`` (10) rounds in which ``--racers`` (50) clients
  book the suite type at once, for 2 to 4 nights around one night on which
  only one suite is left (the seed sold the other nine), half of them letting
  the hotel pick the room, half asking for the last one by hand. Exactly one
  must win each round, the rest be refused with NOT_AVAILABLE; afterwards no
  (room, night) may be held twice.

    python -m benchmarks.rooms                          # SQLite, every scenario
    python -m benchmarks.rooms --database both \\
        --postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

Exit status 1 when an invariant broke (a wrong answer, two winners, a room
night sold twice), 2 when requests failed, 0 otherwise. Needs the test extra
(``pip install -e '.[test]'``: httpx, asyncpg, and pytest, which core.testing
imports).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import logging
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, func, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from core.app import create_app
from core.config import Settings
from core.db import Scope
from core.plugins import PluginHost
from core.testing import TEST_SECRET, ConciergeTestKit, PropertyRef, new_migrated_database
from plugins.pms_rooms import models
from plugins.pms_rooms.service import rates, setup
from plugins.pms_rooms.service.common import settings_for

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
POSTGRES_URL_ENV = "CONCIERGE_BENCH_POSTGRES_URL"
REQUEST_TIMEOUT = 60.0  # seconds; a request taking longer counts as an error
FIRST_NUMBER = 1001  # pms_rooms' first booking number
STAY_NIGHTS = 30  # the availability scenario's stay
CALENDAR_DAYS = 365
RACE_TYPE = "STE"
RACE_FIRST_DAY = 200  # days after the business date: the first round's common night
RACE_SPACING = 8  # days between two rounds' common nights (each window is 7 nights)

AVAILABILITY = """
query Availability($arrival: Date!, $departure: Date!, $adults: Int!) {
  availability(arrival: $arrival, departure: $departure, adults: $adults) {
    roomTypeCode roomTypeName capacity freeRooms
    rates {
      ratePlanCode bookable restrictions freeCancellationDays
      total { amount currency }
      nights { date price { amount } }
    }
  }
}
"""

CALENDAR = """
query Calendar($from: Date!, $to: Date!) {
  availabilityCalendar(from: $from, to: $to) { date roomTypeCode rooms sold outOfOrder free }
}
"""

BOOK = """
mutation Book($input: BookReservationInput!) {
  bookReservation(input: $input) {
    bookingNumber created
    reservations { number arrival departure room { number } total { amount } }
    errors { code field message }
  }
}
"""


# ---------------------------------------------------------------------------
# Counting SQL statements
# ---------------------------------------------------------------------------


class StatementCounter:
    """Counts the statements an engine sends (an executemany counts once) and the time
    between sending each and its answer; ``capture`` keeps their text."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.statements = 0
        self.seconds = 0.0
        self.capture: list[str] | None = None
        self._started: dict[int, float] = {}
        sync_engine = engine.sync_engine
        event.listen(sync_engine, "before_cursor_execute", self._before)
        event.listen(sync_engine, "after_cursor_execute", self._after)

    def reset(self) -> None:
        self.statements = 0
        self.seconds = 0.0

    def _before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements += 1
        self._started[id(cursor)] = time.perf_counter()
        if self.capture is not None:
            self.capture.append(" ".join(statement.split()))

    def _after(self, conn: Any, cursor: Any, *args: Any) -> None:
        began = self._started.pop(id(cursor), None)
        if began is not None:
            self.seconds += time.perf_counter() - began


# ---------------------------------------------------------------------------
# A fresh database, a hotel
# ---------------------------------------------------------------------------


@asynccontextmanager
async def fresh_database(kind: str, postgres_url: str, host: PluginHost) -> AsyncIterator[str]:
    """The URL of a new database migrated for ``host``; removed afterwards."""
    server = make_url(postgres_url) if kind == "postgresql" else None
    with tempfile.TemporaryDirectory(prefix="concierge-bench-") as directory:
        async with new_migrated_database(host, Path(directory), server) as url:
            yield url


@dataclass
class Hotel:
    kit: ConciergeTestKit
    client: httpx.AsyncClient
    prop: PropertyRef
    headers: dict[str, str]
    counter: StatementCounter
    database: str
    today: dt.date = dt.date.min  # the business date

    @property
    def path(self) -> str:
        return f"/graphql/{self.prop.slug}"

    @property
    def engine(self) -> AsyncEngine:
        return self.kit.db.engine


@asynccontextmanager
async def hotel_app(kind: str, postgres_url: str) -> AsyncIterator[Hotel]:
    """A property with pms_rooms on a fresh database, and a manager's token."""
    host = PluginHost.discover()
    async with fresh_database(kind, postgres_url, host) as url:
        with tempfile.TemporaryDirectory(prefix="concierge-bench-data-") as data_dir:
            settings = Settings(
                database_url=url, secret_key=TEST_SECRET, data_dir=Path(data_dir), run_jobs=False
            )
            app = create_app(settings, host=host, run_jobs=False)
            try:
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://bench", timeout=REQUEST_TIMEOUT
                ) as client:
                    kit = ConciergeTestKit(app, client)
                    tenant = await kit.tenant("bench")
                    prop = await kit.property(tenant, "bench-hotel", plugins=["pms_rooms"])
                    user = await kit.user(
                        tenant, "manager@bench.example", role="manager", property=prop
                    )
                    token = await kit.token_for(user, ttl=dt.timedelta(hours=2))
                    headers = {
                        "authorization": f"Bearer {token}",
                        "accept": "application/graphql-response+json",
                    }
                    counter = StatementCounter(kit.db.engine)
                    yield Hotel(kit, client, prop, headers, counter, kind)
            finally:
                await app.state.runtime.close()


@dataclass(frozen=True)
class TypeSpec:
    code: str
    name: str
    capacity: int
    price_minor: int
    share: float  # of the rooms (the suites are a fixed count)


TYPES = (
    TypeSpec("DLX", "Deluxe double", 3, 16_500, 0.25),
    TypeSpec("FAM", "Family room", 4, 21_000, 0.10),
    TypeSpec("STD", "Standard double", 2, 12_000, 0.0),  # the rest
    TypeSpec(RACE_TYPE, "Suite", 4, 38_000, 0.0),
)


@dataclass
class RoomInfo:
    id: int
    number: str
    type_code: str
    type_id: int


@dataclass
class Layout:
    """What the hotel has, as the seed and the checks need it."""

    rooms: list[RoomInfo]
    type_ids: dict[str, int]
    capacity: dict[str, int]
    plans: dict[str, models.RatePlan]  # by code
    overrides: dict[tuple[int, dt.date], models.RateOverride]

    def rooms_of(self, code: str) -> list[RoomInfo]:
        return [room for room in self.rooms if room.type_code == code]


def _room_counts(total: int) -> dict[str, int]:
    suites = max(2, total // 30)
    counts = {t.code: int(total * t.share) for t in TYPES if t.share}
    counts[RACE_TYPE] = suites
    counts["STD"] = total - sum(counts.values())
    return counts


async def build_hotel(hotel: Hotel, room_total: int) -> Layout:
    """Room types, rooms, rate plans and a year of overrides, through pms_rooms' services:
    BAR (best available: free cancellation until 2 days before) and NRF (non-refundable,
    15 % less, at least 2 nights) per type; weekends 15 % dearer on BAR, a summer season
    (30 % dearer, at least 2 nights), NRF closed on a few dates and to arrival on others."""
    counts = _room_counts(room_total)
    async with hotel.kit.transaction(hotel.prop) as session:
        settings = await settings_for(session, hotel.kit.clock)
        today = settings.business_date
        number = 0
        for spec in TYPES:
            await setup.create_room_type(
                session, code=spec.code, name=spec.name, capacity=spec.capacity,
                beds="king" if spec.capacity == 2 else "king and sofa bed", description="",
            )  # fmt: skip
            for _ in range(counts[spec.code]):
                number += 1
                floor = 1 + (number - 1) // 30
                await setup.create_room(
                    session, number=f"{floor}{(number - 1) % 30 + 1:02d}", room_type=spec.code,
                    floor=str(floor), features=["balcony"] if number % 3 == 0 else [],
                )  # fmt: skip
            await setup.create_rate_plan(
                session,
                setup.RatePlanSpec(
                    code=f"BAR-{spec.code}", name="Best available", room_type=spec.code,
                    base_price_minor=spec.price_minor, free_cancellation_days=2,
                ),
            )  # fmt: skip
            await setup.create_rate_plan(
                session,
                setup.RatePlanSpec(
                    code=f"NRF-{spec.code}", name="Non-refundable", room_type=spec.code,
                    base_price_minor=spec.price_minor * 85 // 100, min_stay=2,
                    free_cancellation_days=365, cancellation_fee_kind="percent",
                    cancellation_fee_value=10_000,
                ),
            )  # fmt: skip
        rng = random.Random(7)
        for spec in TYPES:
            bar, nrf = f"BAR-{spec.code}", f"NRF-{spec.code}"
            for offset in range(-30, 400):
                day = today + dt.timedelta(days=offset)
                if day.weekday() == 4:  # Friday and Saturday nights
                    await setup.set_rate_override(
                        session, rate_plan=bar, start=day, end=day + dt.timedelta(days=1),
                        spec=setup.OverrideSpec(price_minor=spec.price_minor * 115 // 100),
                    )  # fmt: skip
            season = setup.OverrideSpec(price_minor=spec.price_minor * 130 // 100, min_stay=2)
            await setup.set_rate_override(
                session, rate_plan=bar, start=today + dt.timedelta(days=150),
                end=today + dt.timedelta(days=240), spec=season,
            )  # fmt: skip
            for _ in range(12):
                day = today + dt.timedelta(days=rng.randint(1, 364))
                closed = rng.random() < 0.5
                await setup.set_rate_override(
                    session, rate_plan=nrf, start=day, end=day,
                    spec=setup.OverrideSpec(closed=closed, closed_to_arrival=not closed),
                )  # fmt: skip
        types = {t.code: t for t in await session.scalars(select(models.RoomType))}
        rooms = [
            RoomInfo(r.id, r.number, next(c for c, t in types.items() if t.id == r.room_type_id),
                     r.room_type_id)
            for r in await session.scalars(select(models.Room).order_by(models.Room.number))
        ]  # fmt: skip
        plans = {p.code: p for p in await session.scalars(select(models.RatePlan))}
        overrides = await rates.overrides_for(
            session, [p.id for p in plans.values()], today - dt.timedelta(days=60),
            today + dt.timedelta(days=500),
        )  # fmt: skip
        for row in [*plans.values(), *overrides.values()]:
            session.expunge(row)
    hotel.today = today
    return Layout(
        rooms=rooms,
        type_ids={code: t.id for code, t in types.items()},
        capacity={code: t.capacity for code, t in types.items()},
        plans=plans,
        overrides=overrides,
    )


# ---------------------------------------------------------------------------
# Seeding a year of reservations in bulk
# ---------------------------------------------------------------------------

FIRST_NAMES = ("Ada", "Alan", "Grace", "Barbara", "Edsger", "Donald", "Frances", "Katherine",
               "John", "Margaret", "Dennis", "Ken", "Radia", "Tim", "Linus", "Guido", "Hedy",
               "Annie", "Mary", "Claude", "Niklaus", "Leslie", "Shafi", "Sophie")  # fmt: skip
LAST_NAMES = ("Lovelace", "Turing", "Hopper", "Liskov", "Dijkstra", "Knuth", "Allen", "Johnson",
              "Backus", "Hamilton", "Ritchie", "Thompson", "Perlman", "Berners-Lee", "Torvalds",
              "Rossum", "Lamarr", "Easley", "Keller", "Shannon", "Wirth", "Lamport")  # fmt: skip
CHANNELS = (("direct", 25), ("booking_engine", 30), ("ota", 38), ("gds", 5), ("walk_in", 2))
STAY_LENGTHS = (1, 1, 2, 2, 2, 3, 3, 4, 5, 7)  # nights; mean 3


@dataclass(frozen=True)
class Stay:
    room: RoomInfo
    arrival: dt.date
    departure: dt.date


@dataclass
class Seeded:
    reservations: int = 0
    rows: int = 0  # every row written, all tables
    seconds: float = 0.0
    occupancy: float = 0.0  # room nights sold from the business date on, a year
    nights_by_room: dict[int, set[dt.date]] = field(default_factory=dict)
    race_nights: list[dt.date] = field(default_factory=list)  # each round's common night
    last_room: RoomInfo | None = None  # the suite left free around those nights


def race_nights(today: dt.date, rounds: int) -> list[dt.date]:
    return [today + dt.timedelta(days=RACE_FIRST_DAY + RACE_SPACING * r) for r in range(rounds)]


def plan_stays(
    layout: Layout, today: dt.date, occupancy: float, rounds: int, rng: random.Random
) -> tuple[list[Stay], RoomInfo]:
    """Stays room by room from a month ago to a year ahead, about ``occupancy`` of the
    nights sold: more near today (1.3 times) than a year out (0.7 times), and, as pms_rooms
    gives each booking the first free room by number, the first rooms of a type nearly
    always sold and the last ones seldom. Around each race night every suite but the last
    is sold for 7 nights and the last one is left free."""
    start = today - dt.timedelta(days=30)
    end = today + dt.timedelta(days=CALENDAR_DAYS)
    suites = layout.rooms_of(RACE_TYPE)
    last = suites[-1]
    windows = [
        (night - dt.timedelta(days=3), night + dt.timedelta(days=4))
        for night in race_nights(today, rounds)
    ]
    mean_stay = sum(STAY_LENGTHS) / len(STAY_LENGTHS)
    stays = []
    for room in layout.rooms:
        kind = layout.rooms_of(room.type_code)
        rank = kind.index(room) / len(kind)  # 0 for the type's first room, towards 1
        fixed = windows if room.type_code == RACE_TYPE else []
        day = start
        while day < end:
            lead = max(0, (day - today).days)
            sold = occupancy * (1.3 - 0.6 * lead / CALENDAR_DAYS)  # of the type's rooms
            # Rooms ranked below ``sold`` are nearly full, those above nearly empty, with
            # a slope of 0.3 between them.
            target = min(0.97, max(0.02, 0.5 + (sold - rank) / 0.3))
            gap = round(rng.expovariate(target / (mean_stay * (1 - target))))
            arrival = day + dt.timedelta(days=gap)
            departure = min(arrival + dt.timedelta(days=rng.choice(STAY_LENGTHS)), end)
            # The next window starting before this stay would end: the stay stops there.
            blocking = next((w for w in fixed if w[0] < departure), None)
            if blocking is not None:
                departure = min(departure, blocking[0])
            if arrival < departure:
                stays.append(Stay(room, arrival, departure))
            if blocking is not None:
                if room.id != last.id:
                    stays.append(Stay(room, *blocking))
                day = blocking[1]
                fixed = [w for w in fixed if w[0] >= blocking[1]]
            else:
                day = max(departure, arrival)
    return stays, last


class IdBlock:
    """The next primary keys of one table, handed out in order (the seed writes its ids)."""

    def __init__(self, first: int) -> None:
        self.next = first

    def take(self) -> int:
        self.next += 1
        return self.next - 1


SEEDED_MODELS = (
    models.Guest, models.Booking, models.Reservation, models.RoomNight, models.Folio,
    models.ReservationEvent,
)  # fmt: skip
TABLES = {model.__tablename__: model.__table__ for model in SEEDED_MODELS}


async def _next_ids(hotel: Hotel) -> dict[str, IdBlock]:
    ids = {}
    async with hotel.engine.connect() as conn:
        for name, table in TABLES.items():
            top = await conn.scalar(select(func.max(table.c.id)))
            ids[name] = IdBlock(int(top or 0) + 1)
    return ids


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


async def seed_reservations(
    hotel: Hotel, layout: Layout, *, occupancy: float, rounds: int, batch: int, seed: int,
    analyze: bool,
) -> Seeded:  # fmt: skip
    """Write the planned stays as bookings of one reservation each, with their guests,
    room nights, folios and history, one transaction per ``batch`` reservations; about 6 %
    of the future ones come with a canceled twin (no room nights). ``analyze``: gather the
    planner's statistics afterwards."""
    began = time.perf_counter()
    rng = random.Random(seed)
    today = hotel.today
    stays, last_room = plan_stays(layout, today, occupancy, rounds, rng)
    rng.shuffle(stays)  # booked in no particular order
    ids = await _next_ids(hotel)
    scope = {"tenant_id": hotel.prop.tenant_id, "property_id": hotel.prop.id}
    result = Seeded(race_nights=race_nights(today, rounds), last_room=last_room)
    now = dt.datetime.now(dt.UTC)
    guests: list[int] = []
    number = FIRST_NUMBER

    def booked(out: dict[str, list[dict[str, Any]]], stay: Stay, *, canceled: bool) -> None:
        nonlocal number
        if not guests or rng.random() < 0.7:  # three in ten are returning guests
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            guest_id = ids["pms_guests"].take()
            guests.append(guest_id)
            out["pms_guests"].append({**scope,
                "id": guest_id, "first_name": first, "last_name": last,
                "email": f"{first}.{last}.{guest_id}@example.com".lower(), "phone": "",
                "preferences": [], "note": "", "created_at": now,
            })  # fmt: skip
        else:
            guest_id = rng.choice(guests)
        plan = layout.plans[f"{'NRF' if rng.random() < 0.3 else 'BAR'}-{stay.room.type_code}"]
        prices = rates.quote(plan, stay.arrival, stay.departure, layout.overrides).prices
        channel = _weighted(rng, CHANNELS)
        booked_at = dt.datetime.combine(
            stay.arrival - dt.timedelta(days=rng.randint(1, 120)), dt.time(12), dt.UTC
        )
        booking_id, reservation_id = ids["pms_bookings"].take(), ids["pms_reservations"].take()
        key = f"seed-{number}"
        out["pms_bookings"].append({**scope,
            "id": booking_id, "number": str(number), "idempotency_key": key,
            "request_hash": hashlib.sha256(key.encode()).hexdigest(), "guest_id": guest_id,
            "channel": channel, "created_by": "user:1", "created_at": booked_at,
        })  # fmt: skip
        if canceled:
            status = "canceled"
        elif stay.departure <= today:
            status = "checked_out"
        elif stay.arrival < today or (stay.arrival == today and rng.random() < 0.5):
            status = "in_house"
        else:
            status = "confirmed"
        arrived = dt.datetime.combine(stay.arrival, dt.time(15), dt.UTC)
        left = dt.datetime.combine(stay.departure, dt.time(10), dt.UTC)
        out["pms_reservations"].append({**scope,
            "id": reservation_id, "number": f"{number}-1", "booking_id": booking_id,
            "guest_id": guest_id, "room_type_id": stay.room.type_id, "rate_plan_id": plan.id,
            "room_id": stay.room.id, "arrival": stay.arrival, "departure": stay.departure,
            "adults": rng.randint(1, layout.capacity[stay.room.type_code]), "children": 0,
            "status": status, "channel": channel,
            "nightly_prices": {d.isoformat(): p for d, p in prices.items()},
            "total_minor": sum(prices.values()), "notes": "", "no_post": False,
            "credit_limit_minor": 0,
            "checked_in_at": arrived if status in ("in_house", "checked_out") else None,
            "checked_out_at": left if status == "checked_out" else None,
            "canceled_at": booked_at + dt.timedelta(days=1) if canceled else None,
            "created_at": booked_at,
        })  # fmt: skip
        if not canceled:
            nights = result.nights_by_room.setdefault(stay.room.id, set())
            for night in prices:
                assert night not in nights, (stay, night)
                nights.add(night)
                out["pms_room_nights"].append({**scope,
                    "id": ids["pms_room_nights"].take(), "room_id": stay.room.id,
                    "night": night, "reservation_id": reservation_id,
                })  # fmt: skip
        closed = status == "checked_out"
        out["pms_folios"].append({**scope,
            "id": ids["pms_folios"].take(), "reservation_id": reservation_id,
            "number": f"{number}-1", "status": "closed" if closed else "open",
            "balance_minor": 0, "closed_at": left if closed else None, "close_note": "",
        })  # fmt: skip
        out["pms_reservation_events"].append({**scope,
            "id": ids["pms_reservation_events"].take(), "reservation_id": reservation_id,
            "kind": "booked", "detail": f"room {stay.room.number}, {len(prices)} nights",
            "actor": "user:1", "created_at": booked_at,
        })  # fmt: skip
        result.reservations += 1
        number += 1

    for begin in range(0, len(stays), batch):
        out: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        for stay in stays[begin : begin + batch]:
            booked(out, stay, canceled=False)
            if stay.arrival > today and rng.random() < 0.06:
                booked(out, stay, canceled=True)
        async with hotel.engine.begin() as conn:
            for name in TABLES:
                if out[name]:
                    await conn.execute(insert(TABLES[name]), out[name])
                    result.rows += len(out[name])
    async with hotel.engine.begin() as conn:
        settings = models.HotelSettings.__table__
        await conn.execute(
            update(settings)
            .where(settings.c.property_id == hotel.prop.id)
            .values(next_booking_number=number)
        )
        if hotel.database == "postgresql":
            # The seed wrote its own ids: move the sequences past them.
            for name in TABLES:
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"
                    )
                )
        if analyze:
            await conn.execute(text("ANALYZE"))
    if analyze:
        await hotel.engine.dispose()  # SQLite connections read the statistics when they open
    year = {today + dt.timedelta(days=d) for d in range(CALENDAR_DAYS)}
    sold = sum(len(nights & year) for nights in result.nights_by_room.values())
    result.occupancy = sold / (len(layout.rooms) * CALENDAR_DAYS)
    result.seconds = time.perf_counter() - began
    return result


async def warm_up(hotel: Hotel) -> None:
    """Build and cache the property's schema before anything is timed."""
    response = await hotel.client.post(
        hotel.path, json={"query": "{ roomTypes { code } }"}, headers=hotel.headers
    )
    assert response.status_code == 200 and "errors" not in response.json(), response.text


# ---------------------------------------------------------------------------
# Driving requests
# ---------------------------------------------------------------------------


class ServerErrors(logging.Handler):
    """Collects the exceptions the app logs (masked INTERNAL errors) instead of printing
    their tracebacks; the report shows each distinct one once, with a count."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.seen: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            message = f"{type(exc).__module__}.{type(exc).__name__}: {exc}".splitlines()[0]
        else:
            message = record.getMessage().splitlines()[0]
        self.seen[message[:200]] += 1


SERVER_ERRORS = ServerErrors()

# Checks one response's data: None when it is right, "refused" for an expected refusal
# (counted apart), else what is wrong.
Check = Callable[[int, dict[str, Any]], str | None]
REFUSED = "refused"


@dataclass
class Outcome:
    sent: int = 0
    ok: int = 0
    refused: int = 0
    errors: int = 0
    ok_indexes: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    statements: int = 0
    sql_seconds: float = 0.0
    elapsed: float = 0.0


async def _send(hotel: Hotel, index: int, body: dict[str, Any], check: Check, out: Outcome) -> None:
    began = time.perf_counter()
    out.sent += 1
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT):
            response = await hotel.client.post(hotel.path, json=body, headers=hotel.headers)
        answer = response.json()
    except Exception as exc:  # a benchmark counts failures, it does not stop
        out.errors += 1
        _sample(out, f"{type(exc).__name__}: {exc}")
        return
    out.latencies.append(time.perf_counter() - began)
    if response.status_code != 200 or answer.get("errors"):
        out.errors += 1
        first = (answer.get("errors") or [{}])[0]
        code = (first.get("extensions") or {}).get("code")
        _sample(out, f"HTTP {response.status_code}: {first.get('message')} ({code})")
        return
    problem = check(index, answer["data"])
    if problem is None:
        out.ok += 1
        out.ok_indexes.append(index)
    elif problem == REFUSED:
        out.refused += 1
    else:
        out.errors += 1
        _sample(out, problem)


def _sample(outcome: Outcome, text: str) -> None:
    if len(outcome.error_samples) < 3 and text not in outcome.error_samples:
        outcome.error_samples.append(text[:300])


@asynccontextmanager
async def measured(hotel: Hotel, outcome: Outcome) -> AsyncIterator[None]:
    SERVER_ERRORS.seen.clear()
    hotel.counter.reset()
    start = time.perf_counter()
    yield
    outcome.elapsed = time.perf_counter() - start
    outcome.statements = hotel.counter.statements
    outcome.sql_seconds = hotel.counter.seconds


async def drive(
    hotel: Hotel, requests: list[dict[str, Any]], check: Check, *, clients: int,
    time_limit: float,
) -> Outcome:  # fmt: skip
    """Send each request body from ``clients`` concurrent workers; count statements."""
    outcome = Outcome()
    queue: asyncio.Queue[tuple[int, dict[str, Any]]] = asyncio.Queue()
    for index, body in enumerate(requests):
        queue.put_nowait((index, body))

    async def worker() -> None:
        while time.perf_counter() < deadline:
            try:
                index, body = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await _send(hotel, index, body, check, outcome)

    deadline = time.perf_counter() + time_limit
    async with measured(hotel, outcome):
        await asyncio.gather(*(worker() for _ in range(clients)))
    return outcome


async def statements_of_one(hotel: Hotel, body: dict[str, Any]) -> list[str]:
    """The SQL statements one request sends, in order."""
    hotel.counter.capture = []
    try:
        response = await hotel.client.post(hotel.path, json=body, headers=hotel.headers)
        assert response.status_code == 200, response.text
        return hotel.counter.capture
    finally:
        hotel.counter.capture = None


# ---------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------


@dataclass
class Report:
    scenario: str
    database: str
    clients: int
    planned: int
    sent: int
    ok: int
    refused: int
    errors: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    statements_per_request: float
    sql_ms_per_request: float  # time between sending statements and their answers
    broken: list[str] = field(default_factory=list)  # an invariant broke (exit status 1)
    problems: list[str] = field(default_factory=list)  # requests failed (exit status 2)
    error_samples: list[str] = field(default_factory=list)
    server_errors: dict[str, int] = field(default_factory=dict)
    statements: list[str] = field(default_factory=list)  # one request's, with --show-sql


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index] * 1000


def _report(scenario: str, database: str, clients: int, planned: int, outcome: Outcome) -> Report:
    answered = max(outcome.sent, 1)
    report = Report(
        scenario=scenario,
        database=database,
        clients=clients,
        planned=planned,
        sent=outcome.sent,
        ok=outcome.ok,
        refused=outcome.refused,
        errors=outcome.errors,
        seconds=round(outcome.elapsed, 3),
        requests_per_second=round(outcome.sent / outcome.elapsed, 1) if outcome.elapsed else 0,
        p50_ms=round(_percentile(outcome.latencies, 0.50), 1),
        p95_ms=round(_percentile(outcome.latencies, 0.95), 1),
        p99_ms=round(_percentile(outcome.latencies, 0.99), 1),
        statements_per_request=round(outcome.statements / answered, 1),
        sql_ms_per_request=round(outcome.sql_seconds * 1000 / answered, 1),
        error_samples=outcome.error_samples,
        server_errors=dict(SERVER_ERRORS.seen),
    )
    if outcome.errors:
        report.problems.append(f"{outcome.errors} requests failed")
    return report


# ---------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------


def _clients(args: argparse.Namespace) -> list[int]:
    return [int(c) for c in str(args.clients).split(",")]


def free_rooms(
    layout: Layout, seeded: Seeded, arrival: dt.date, departure: dt.date, adults: int
) -> dict[str, int]:
    """Room types that sleep ``adults`` with a room free on every night, as the seed left
    them: {code: free rooms}."""
    stay = [arrival + dt.timedelta(days=n) for n in range((departure - arrival).days)]
    free: Counter[str] = Counter()
    for room in layout.rooms:
        if layout.capacity[room.type_code] < adults:
            continue
        taken = seeded.nights_by_room.get(room.id, set())
        if not any(night in taken for night in stay):
            free[room.type_code] += 1
    return dict(free)


def availability_check(expected: list[dict[str, int]]) -> Check:
    def check(index: int, data: dict[str, Any]) -> str | None:
        offers = data["availability"]
        got = {o["roomTypeCode"]: o["freeRooms"] for o in offers}
        if got != expected[index]:
            return f"request {index}: offered {got}, the seed left {expected[index]}"
        for offer in offers:
            if len(offer["rates"]) != 2 or any(
                len(rate["nights"]) != STAY_NIGHTS for rate in offer["rates"]
            ):
                return f"{offer['roomTypeCode']}: not two rate plans priced for every night"
        return None

    return check


async def availability(
    hotel: Hotel, layout: Layout, seeded: Seeded, args: argparse.Namespace
) -> list[Report]:
    """``availability`` for 30 nights for two, arrivals spread over the year."""
    requests, expected = [], []
    for index in range(args.availability_requests):
        arrival = hotel.today + dt.timedelta(days=1 + (index * 37) % (CALENDAR_DAYS - STAY_NIGHTS))
        departure = arrival + dt.timedelta(days=STAY_NIGHTS)
        variables = {"arrival": arrival.isoformat(), "departure": departure.isoformat()}
        requests.append({"query": AVAILABILITY, "variables": {**variables, "adults": 2}})
        expected.append(free_rooms(layout, seeded, arrival, departure, 2))
    offered = sum(1 for e in expected if e)
    print(
        f"  {hotel.database}: {len(requests)} availability requests, {offered} of them with "
        "a room type free",
        file=sys.stderr,
    )
    reports = []
    for clients in _clients(args):
        outcome = await drive(
            hotel, requests, availability_check(expected), clients=clients,
            time_limit=args.time_limit,
        )  # fmt: skip
        report = _report("availability", hotel.database, clients, len(requests), outcome)
        if outcome.errors:
            report.broken.append("answers that differ from the rooms the seed left free")
        if args.show_sql:
            report.statements = await statements_of_one(hotel, requests[0])
        reports.append(report)
    return reports


async def calendar(
    hotel: Hotel, layout: Layout, seeded: Seeded, args: argparse.Namespace
) -> list[Report]:
    """``availabilityCalendar`` for 365 days from the business date."""
    start = hotel.today
    end = start + dt.timedelta(days=CALENDAR_DAYS)
    rooms = Counter(room.type_code for room in layout.rooms)
    type_of = {room.id: room.type_code for room in layout.rooms}
    sold: Counter[tuple[str, str]] = Counter()
    for room_id, nights in seeded.nights_by_room.items():
        for night in nights:
            if start <= night < end:
                sold[(night.isoformat(), type_of[room_id])] += 1
    rows = CALENDAR_DAYS * len(rooms)

    def check(index: int, data: dict[str, Any]) -> str | None:
        days = data["availabilityCalendar"]
        if len(days) != rows:
            return f"{len(days)} rows, {rows} expected"
        for day in days:
            key = (day["date"], day["roomTypeCode"])
            want = (rooms[key[1]], sold[key], rooms[key[1]] - sold[key])
            if (day["rooms"], day["sold"], day["free"]) != want:
                got = (day["rooms"], day["sold"], day["free"])
                return f"{key}: rooms, sold, free {got}, {want} expected"
        return None

    body = {"query": CALENDAR, "variables": {"from": start.isoformat(), "to": end.isoformat()}}
    requests = [body] * args.calendar_requests
    reports = []
    for clients in _clients(args):
        outcome = await drive(hotel, requests, check, clients=clients, time_limit=args.time_limit)
        report = _report("calendar", hotel.database, clients, len(requests), outcome)
        if outcome.errors:
            report.broken.append("calendars that differ from the seed's rooms sold")
        if args.show_sql:
            report.statements = await statements_of_one(hotel, body)
        reports.append(report)
    return reports


def racer_input(
    hotel: Hotel, round_: int, index: int, night: dt.date, last_room: str
) -> dict[str, Any]:
    """The index-th racer of a round: 2 to 4 nights, all containing ``night`` and one
    night either side of it at least; odd ones ask for the last suite by hand."""
    nights = 2 + index % 3
    arrival = night - dt.timedelta(days=(index // 3) % nights)
    key = f"race-{round_}-{index}"
    stay: dict[str, Any] = {
        "roomType": RACE_TYPE, "ratePlan": f"BAR-{RACE_TYPE}", "arrival": arrival.isoformat(),
        "departure": (arrival + dt.timedelta(days=nights)).isoformat(), "adults": 2,
    }  # fmt: skip
    if index % 2:
        stay["room"] = last_room
    return {
        "idempotencyKey": key,
        "guest": {"lastName": f"Racer {round_}-{index}", "email": f"{key}@example.com"},
        "stays": [stay],
    }


async def last_room(
    hotel: Hotel, layout: Layout, seeded: Seeded, args: argparse.Namespace
) -> list[Report]:
    """``--rounds`` rounds of ``--racers`` bookings at once for the last suite."""
    assert seeded.last_room is not None
    suite = seeded.last_room.number
    won: list[tuple[int, dict[str, Any]]] = []  # (round, reservation) of each winner

    def check_for(round_: int) -> Check:
        def check(index: int, data: dict[str, Any]) -> str | None:
            payload = data["bookReservation"]
            if payload["errors"]:
                codes = [e["code"] for e in payload["errors"]]
                return REFUSED if codes == ["NOT_AVAILABLE"] else f"refused with {codes}"
            (reservation,) = payload["reservations"]
            won.append((round_, reservation))
            if reservation["room"]["number"] != suite:
                return f"booked into {reservation['room']['number']}, not the last suite {suite}"
            return None

        return check

    outcome = Outcome()
    bodies = []
    async with measured(hotel, outcome):
        for round_, night in enumerate(seeded.race_nights):
            inputs = [racer_input(hotel, round_, i, night, suite) for i in range(args.racers)]
            bodies.extend(inputs)
            requests = [{"query": BOOK, "variables": {"input": input}} for input in inputs]
            await asyncio.gather(
                *(
                    _send(hotel, i, body, check_for(round_), outcome)
                    for i, body in enumerate(requests)
                )
            )
    report = _report("last-room", hotel.database, args.racers, len(bodies), outcome)
    winners = Counter(round_ for round_, _ in won)
    rounds = len(seeded.race_nights)
    if any(count > 1 for count in winners.values()):
        report.broken.append(f"rounds with more than one winner: {dict(+winners)}")
    if len(winners) < rounds:
        report.problems.append(f"{rounds - len(winners)} of {rounds} rounds had no winner")
    await audit_race(hotel, seeded, won, report)
    if args.show_sql:  # one more racer for the first night, refused
        extra = racer_input(hotel, len(seeded.race_nights), 0, seeded.race_nights[0], suite)
        body = {"query": BOOK, "variables": {"input": extra}}
        report.statements = await statements_of_one(hotel, body)
    return [report]


async def audit_race(
    hotel: Hotel, seeded: Seeded, won: list[tuple[int, dict[str, Any]]], report: Report
) -> None:
    """No (room, night) held twice; the last suite's nights in each window are one
    winner's; as many bookings as winners were made."""
    assert seeded.last_room is not None
    scope = Scope.tenant(hotel.prop.tenant_id, hotel.prop.id)
    night = models.RoomNight
    async with hotel.kit.db.session(scope, write=False) as session:
        doubled = (
            await session.execute(
                select(night.room_id, night.night)
                .group_by(night.room_id, night.night)
                .having(func.count() > 1)
            )
        ).all()
        rows = (
            await session.execute(
                select(night.night, models.Reservation.number)
                .join(models.Reservation, models.Reservation.id == night.reservation_id)
                .where(night.room_id == seeded.last_room.id)
                .where(models.Reservation.number.in_([r["number"] for _, r in won]))
            )
        ).all()
        made = await session.scalar(
            select(func.count()).select_from(models.Booking).where(
                models.Booking.idempotency_key.like("race-%")
            )
        )  # fmt: skip
    if doubled:
        report.broken.append(f"{len(doubled)} room nights held twice, e.g. {doubled[0]}")
    expected = set()
    for _, reservation in won:
        arrival = dt.date.fromisoformat(reservation["arrival"])
        departure = dt.date.fromisoformat(reservation["departure"])
        for n in range((departure - arrival).days):
            expected.add((arrival + dt.timedelta(days=n), reservation["number"]))
    if {tuple(row) for row in rows} != expected:
        report.broken.append("the last suite's nights are not the winners' nights")
    if made != len(won):
        report.broken.append(f"{made} race bookings stored, {len(won)} answered ok")


SCENARIOS = {"availability": availability, "calendar": calendar, "last-room": last_room}


async def run_database(database: str, args: argparse.Namespace) -> list[Report]:
    scenarios = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    reports = []
    async with hotel_app(database, args.postgres_url) as hotel:
        began = time.perf_counter()
        layout = await build_hotel(hotel, args.rooms)
        built = time.perf_counter() - began
        seeded = await seed_reservations(
            hotel, layout, occupancy=args.occupancy, rounds=args.rounds, batch=args.batch,
            seed=args.seed, analyze=database == "postgresql" or args.sqlite_analyze,
        )  # fmt: skip
        print(
            f"  {database}: {len(layout.rooms)} rooms, rate plans and overrides in "
            f"{built:.1f} s; seeded {seeded.reservations:,} reservations ({seeded.rows:,} rows) "
            f"in {seeded.seconds:.1f} s; {seeded.occupancy:.0%} of the next year's room "
            "nights sold",
            file=sys.stderr,
        )
        await warm_up(hotel)
        for scenario in scenarios:
            reports.extend(await SCENARIOS[scenario](hotel, layout, seeded, args))
    return reports


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


COLUMNS = [
    ("scenario", "scenario"),
    ("database", "database"),
    ("clients", "clients"),
    ("sent", "requests"),
    ("ok", "ok"),
    ("refused", "refused"),
    ("errors", "errors"),
    ("seconds", "s"),
    ("requests_per_second", "req/s"),
    ("p50_ms", "p50 ms"),
    ("p95_ms", "p95 ms"),
    ("p99_ms", "p99 ms"),
    ("statements_per_request", "SQL/req"),
    ("sql_ms_per_request", "SQL ms/req"),
]


def print_table(reports: list[Report]) -> None:
    rows = [[title for _, title in COLUMNS]]
    for report in reports:
        row = []
        for name, _ in COLUMNS:
            value = getattr(report, name)
            row.append(f"{value:,}" if isinstance(value, int) else str(value))
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    for number, row in enumerate(rows):
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
        if number == 0:
            print("  ".join("-" * width for width in widths))
    for report in reports:
        where = f"{report.scenario} on {report.database} ({report.clients} clients)"
        for problem in report.broken:
            print(f"BROKEN {where}: {problem}")
        for problem in report.problems:
            print(f"FAIL {where}: {problem}")
        for sample in report.error_samples:
            print(f"  e.g. {sample}")
        for message, count in report.server_errors.items():
            print(f"  server logged {count} x {message}")
    shown: set[tuple[str, str]] = set()
    for report in reports:
        key = (report.scenario, report.database)
        if report.statements and key not in shown:
            shown.add(key)
            print(f"\nSQL of one {report.scenario} request on {report.database}:")
            for statement in report.statements:
                print(f"  {statement[:160]}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.rooms",
        description="Availability on a busy hotel, and the last room raced for, over HTTP GraphQL.",
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL),
        help="a server where a database may be created (and is dropped afterwards); "
        f"default ${POSTGRES_URL_ENV} or {DEFAULT_POSTGRES_URL}",
    )
    parser.add_argument(
        "--clients", default="1,16",
        help="concurrent clients of availability and calendar; a comma-separated list runs "
        "each (1,16)",
    )  # fmt: skip
    parser.add_argument(
        "--time-limit", type=float, default=60.0,
        help="seconds after which no more requests are sent, per run (60)",
    )  # fmt: skip
    parser.add_argument("--rooms", type=int, default=300, help="rooms in the hotel (300)")
    parser.add_argument(
        "--occupancy", type=float, default=0.70,
        help="share of the room nights sold over the year (0.70)",
    )  # fmt: skip
    parser.add_argument(
        "--batch", type=int, default=5000, help="reservations per INSERT batch (5000)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--quick", action="store_true",
        help="a short run: 60 availability and 20 calendar requests, 3 rounds of 50",
    )  # fmt: skip
    parser.add_argument(
        "--sqlite-analyze", action="store_true",
        help="run ANALYZE on SQLite after seeding (PostgreSQL always gets it)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the reports as JSON too")
    parser.add_argument(
        "--show-sql", action="store_true", help="print the SQL statements of one request"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="let the app print its error logs (tracebacks)"
    )
    queries = parser.add_argument_group("availability and calendar")
    queries.add_argument(
        "--availability-requests", type=int, default=None,
        help="availability requests per client count (300)",
    )  # fmt: skip
    queries.add_argument(
        "--calendar-requests", type=int, default=None,
        help="calendar requests per client count (100)",
    )  # fmt: skip
    race = parser.add_argument_group("last-room")
    race.add_argument("--racers", type=int, default=50, help="clients booking at once (50)")
    race.add_argument("--rounds", type=int, default=None, help="rounds, one night each (10)")
    args = parser.parse_args(argv)
    quick = args.quick
    if args.availability_requests is None:
        args.availability_requests = 60 if quick else 300
    if args.calendar_requests is None:
        args.calendar_requests = 20 if quick else 100
    if args.rounds is None:
        args.rounds = 3 if quick else 10
    try:
        clients = _clients(args)
    except ValueError:
        parser.error("--clients takes numbers separated by commas, such as 1,16")
    if min(clients) < 1:
        parser.error("--clients must be at least 1")
    for name in ("availability_requests", "calendar_requests", "racers", "rounds", "batch"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.rooms < 20:
        parser.error("--rooms must be at least 20")
    if not 0.05 <= args.occupancy <= 0.9:
        parser.error("--occupancy is 0.05 to 0.9")
    most = (CALENDAR_DAYS - 4 - RACE_FIRST_DAY) // RACE_SPACING + 1  # windows inside the year
    if args.rounds > most:
        parser.error(f"--rounds is at most {most}")
    return args


async def run(args: argparse.Namespace) -> list[Report]:
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    reports = []
    for database in databases:
        reports.extend(await run_database(database, args))
    return reports


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.verbose:
        logging.getLogger().addHandler(SERVER_ERRORS)
    reports = asyncio.run(run(args))
    print_table(reports)
    if args.json:
        print(json.dumps([asdict(r) for r in reports], indent=2))
    if any(r.broken for r in reports):
        return 1
    return 2 if any(r.problems for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
