"""The suite's dataset: two shops and a resort in one database, seeded once and cached.

What is in it (``Sizes``; the full run's figures, ``--quick``'s in brackets):

* ``bench-shop``: oms_inventory and oms_orders, 10,000 (500) SKUs with ample stock,
  100,000 (5,000) orders over the last year (``orders.seed_orders``).
* ``bench-shop-1k``: the same plugins, 500 (200) SKUs and 1,000 orders: the page at
  1,000 orders, to compare with the big shop's. It belongs to a second tenant with a
  manager of its own (``manager@bench-small.example``): a SKU is unique in a tenant,
  and both catalogs are named ``SKU-00000``, ``SKU-00001``...
* ``bench-resort``: pms_rooms, pms_housekeeping and pos_bridge; 300 (40) rooms with a
  year of reservations (``rooms.build_hotel`` and ``rooms.seed_reservations``), the
  morning's housekeeping (pms_housekeeping's demo: every stay-over room dirty with its
  task, a departure, an inspection, a room out of order) with some tasks given to three
  housekeepers, and a bar (outlet ``BAR``) that charges rooms.
* A tenant-wide manager of the big shop's and the resort's tenant,
  ``manager@bench.example``.

Seeding goes through an in-process app (``core.testing.ConciergeTestKit``) and the
benchmarks' bulk seeders, into a file under ``var/bench/`` named by a digest of the
sizes, ``DATASET_VERSION`` and every migration file, with a JSON manifest beside it
(ids, slugs, and what the answers should be). A later run with the same digest reuses
the file: it copies it (``working_copy``) and never writes to the cached one. On
PostgreSQL the cache is a database named by the digest, and a run works on a copy
made with ``CREATE DATABASE ... TEMPLATE``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.engine import URL, make_url

from benchmarks import orders, rooms
from benchmarks.access import BENCH_SECRET, MANAGER_EMAIL, SMALL_MANAGER_EMAIL
from core.app import create_app
from core.config import Settings
from core.db import Database
from core.migrate import CORE_VERSIONS, upgrade
from core.plugins import PluginHost

# Bump when the seeding changes what it writes: the digest, and so the cache, changes.
DATASET_VERSION = 1
CACHE_DIR = Path("var/bench")
SHOP_PLUGINS = ("oms_inventory", "oms_orders")
RESORT_PLUGINS = ("pms_rooms", "pms_housekeeping", "pos_bridge")
OUTLET = "BAR"
HOUSEKEEPERS = 3
ASSIGNED_TASKS = 45  # open tasks given to the housekeepers, round robin
STAY_NIGHTS = 30
AVAILABILITY_ARRIVALS = 20  # distinct arrival dates the availability scenario cycles through


@dataclass(frozen=True)
class Sizes:
    skus: int
    orders: int
    small_skus: int
    small_orders: int
    customers: int
    rooms: int
    occupancy: float = 0.70
    seed: int = 1


FULL = Sizes(skus=10_000, orders=100_000, small_skus=500, small_orders=1_000, customers=5_000,
             rooms=300)  # fmt: skip
# The quick dataset is smaller still (1,000 orders); 5,000 keeps the page at
# 1,000 orders something to compare with. rooms.py always seeds a year of stays.
QUICK = Sizes(skus=500, orders=5_000, small_skus=200, small_orders=1_000, customers=1_000,
              rooms=40)  # fmt: skip


@dataclass
class ShopFacts:
    id: int
    slug: str
    tenant_id: int
    manager_id: int  # a tenant-wide manager
    orders: int
    skus: int
    matching: int  # confirmed web orders: the page's totalCount


@dataclass
class ResortFacts:
    id: int
    slug: str
    tenant_id: int
    manager_id: int
    today: str  # the hotel's business date
    rooms: int
    dirty: int  # rooms the board shows dirty
    open_tasks: int
    in_house: list[tuple[str, str]]  # (room number, guest's last name): who may be charged
    # Each availability arrival (ISO date) with the free rooms per type the seed left.
    availability: list[tuple[str, dict[str, int]]] = field(default_factory=list)


@dataclass
class Manifest:
    digest: str
    database: str  # sqlite or postgresql
    url: str  # of the cached database
    sizes: dict[str, Any]
    shop: ShopFacts
    small_shop: ShopFacts
    resort: ResortFacts
    seed_seconds: float
    seeded_at: str

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def load(cls, path: Path) -> Manifest:
        raw = json.loads(path.read_text())
        raw["shop"] = ShopFacts(**raw["shop"])
        raw["small_shop"] = ShopFacts(**raw["small_shop"])
        resort = raw["resort"]
        resort["in_house"] = [tuple(pair) for pair in resort["in_house"]]
        resort["availability"] = [(day, free) for day, free in resort["availability"]]
        raw["resort"] = ResortFacts(**resort)
        return cls(**raw)


def digest_of(sizes: Sizes, database: str, host: PluginHost) -> str:
    """Changes with the sizes, the seeding's version, the database kind, the plugin set
    and the content of every migration file."""
    digest = hashlib.sha256()
    digest.update(json.dumps([asdict(sizes), DATASET_VERSION, database]).encode())
    for folder in [CORE_VERSIONS, *host.migration_locations().values()]:
        for path in sorted(Path(folder).glob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    digest.update(",".join(sorted(host.names)).encode())
    return digest.hexdigest()[:16]


# ---------------------------------------------------------------------------
# Seeding
# ---------------------------------------------------------------------------


def _log(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


async def _seed_shop(
    kit: Any, client: httpx.AsyncClient, prop: Any, manager: Any, database: str, *, skus: int,
    count: int, customers: int, seed: int,
) -> ShopFacts:  # fmt: skip
    """A catalog through oms_inventory's services, then orders in bulk (orders.py)."""
    counter = orders.StatementCounter(kit.db.engine)  # orders.Shop wants one; unused
    shop = orders.Shop(kit, client, prop, {}, counter, database)
    began = time.perf_counter()
    items = await orders.stock_catalog(shop, skus, 1_000_000, random.Random(seed))
    catalog_seconds = time.perf_counter() - began
    seeded = await orders.seed_orders(
        shop, items, orders=count, customers=min(customers, count), batch=5000, seed=seed,
        analyze=database == "postgresql",  # as autovacuum would soon after a bulk load
    )  # fmt: skip
    _log(
        f"{prop.slug}: {skus:,} SKUs in {catalog_seconds:.1f} s, {count:,} orders "
        f"({seeded.rows:,} rows) in {seeded.seconds:.1f} s"
    )
    return ShopFacts(
        id=prop.id, slug=prop.slug, tenant_id=prop.tenant_id, manager_id=manager.id,
        orders=count, skus=skus, matching=seeded.matching,
    )  # fmt: skip


async def _seed_resort(
    kit: Any, client: httpx.AsyncClient, tenant: Any, prop: Any, manager: Any, database: str,
    sizes: Sizes,
) -> ResortFacts:  # fmt: skip
    """Rooms, rates and a year of stays (rooms.py), the morning's housekeeping, a bar."""
    from plugins.pms_housekeeping.demo import fill_demo_data
    from plugins.pms_housekeeping.models import HousekeepingTask, RoomCondition
    from plugins.pms_housekeeping.service import tasks
    from plugins.pms_housekeeping.service.board import OPEN
    from plugins.pms_housekeeping.service.common import HousekeepingContext
    from plugins.pms_rooms.models import Guest, Reservation, Room
    from plugins.pos_bridge.service import outlets

    counter = rooms.StatementCounter(kit.db.engine)  # rooms.Hotel wants one; unused
    hotel = rooms.Hotel(kit, client, prop, {}, counter, database)
    began = time.perf_counter()
    layout = await rooms.build_hotel(hotel, sizes.rooms)
    seeded = await rooms.seed_reservations(
        hotel, layout, occupancy=sizes.occupancy, rounds=0, batch=5000, seed=sizes.seed,
        analyze=database == "postgresql",
    )  # fmt: skip
    _log(
        f"{prop.slug}: {len(layout.rooms)} rooms, {seeded.reservations:,} reservations "
        f"({seeded.rows:,} rows) in {time.perf_counter() - began:.1f} s"
    )
    staff = []
    for n in range(HOUSEKEEPERS):
        email = f"housekeeper{n + 1}@bench.example"
        staff.append(await kit.user(tenant, email, role="housekeeper", property=prop))
    async with kit.transaction(prop) as session:
        await fill_demo_data(session, kit.clock)
        ctx = HousekeepingContext(session, kit.clock, actor="bench")
        open_ids = list(
            await session.scalars(
                select(HousekeepingTask.id)
                .where(HousekeepingTask.status.in_(OPEN))
                .order_by(HousekeepingTask.id)
            )
        )
        for n, user in enumerate(staff):
            share = open_ids[n:ASSIGNED_TASKS:HOUSEKEEPERS]
            if share:
                await tasks.assign_tasks(ctx, share, user.id)
        await outlets.create_outlet(
            session, code=OUTLET, name="Pool bar", kind=outlets.OutletKind.BAR,
            stock_location=None, clock=kit.clock,
        )  # fmt: skip
    async with kit.transaction(prop) as session:
        dirty = await session.scalar(
            select(func.count())
            .select_from(RoomCondition)
            .where(RoomCondition.condition == "dirty")
        )
        open_tasks = len(open_ids)
        guests = (
            await session.execute(
                select(Room.number, Guest.last_name)
                .join(Reservation, Reservation.room_id == Room.id)
                .join(Guest, Guest.id == Reservation.guest_id)
                .where(Reservation.status == "in_house", Reservation.no_post.is_(False))
                .order_by(Room.number)
            )
        ).all()
    _log(
        f"{prop.slug}: {dirty} rooms dirty, {open_tasks} open housekeeping tasks, "
        f"{len(guests)} guests in house, outlet {OUTLET}"
    )
    today = hotel.today
    arrivals = []
    # From 10 days out: pms_housekeeping's demo puts a room out of order for the first
    # days, which the seed's free rooms do not know about.
    for index in range(AVAILABILITY_ARRIVALS):
        arrival = today + dt.timedelta(days=10 + (index * 37) % (365 - STAY_NIGHTS - 10))
        departure = arrival + dt.timedelta(days=STAY_NIGHTS)
        free = rooms.free_rooms(layout, seeded, arrival, departure, 2)
        arrivals.append((arrival.isoformat(), free))
    return ResortFacts(
        id=prop.id, slug=prop.slug, tenant_id=prop.tenant_id, manager_id=manager.id,
        today=today.isoformat(), rooms=len(layout.rooms),
        dirty=int(dirty or 0), open_tasks=open_tasks,
        in_house=[(number, last) for number, last in guests], availability=arrivals,
    )  # fmt: skip


async def seed(url: str, database: str, sizes: Sizes, host: PluginHost, digest: str) -> Manifest:
    """Migrate the empty database at ``url`` and fill it; what the runs need to know."""
    from core.testing import ConciergeTestKit  # imports pytest: only when seeding

    began = time.perf_counter()
    db = Database(url)
    try:
        await upgrade(db, host)
    finally:
        await db.dispose()
    with tempfile.TemporaryDirectory(prefix="concierge-bench-seed-") as data_dir:
        settings = Settings(
            database_url=url, secret_key=BENCH_SECRET, data_dir=Path(data_dir), run_jobs=False
        )
        app = create_app(settings, host=host, run_jobs=False)
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://seed") as client:
                kit = ConciergeTestKit(app, client)
                tenant = await kit.tenant("bench", "Bench Group")
                manager = await kit.user(tenant, MANAGER_EMAIL, role="manager")
                other = await kit.tenant("bench-small", "Bench Small Shop")
                other_manager = await kit.user(other, SMALL_MANAGER_EMAIL, role="manager")
                big = await kit.property(tenant, "bench-shop", plugins=SHOP_PLUGINS)
                small = await kit.property(other, "bench-shop-1k", plugins=SHOP_PLUGINS)
                resort = await kit.property(tenant, "bench-resort", plugins=RESORT_PLUGINS)
                shop = await _seed_shop(
                    kit, client, big, manager, database, skus=sizes.skus, count=sizes.orders,
                    customers=sizes.customers, seed=sizes.seed,
                )  # fmt: skip
                small_shop = await _seed_shop(
                    kit, client, small, other_manager, database, skus=sizes.small_skus,
                    count=sizes.small_orders, customers=sizes.customers, seed=sizes.seed + 1,
                )  # fmt: skip
                resort_facts = await _seed_resort(
                    kit, client, tenant, resort, manager, database, sizes
                )
        finally:
            await app.state.runtime.close()
    return Manifest(
        digest=digest, database=database, url=url, sizes=asdict(sizes), shop=shop,
        small_shop=small_shop, resort=resort_facts,
        seed_seconds=round(time.perf_counter() - began, 1),
        seeded_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )  # fmt: skip


# ---------------------------------------------------------------------------
# The cache
# ---------------------------------------------------------------------------


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def _checkpoint(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def _cached_sqlite(sizes: Sizes, host: PluginHost, reseed: bool) -> Manifest:
    digest = digest_of(sizes, "sqlite", host)
    await asyncio.to_thread(CACHE_DIR.mkdir, parents=True, exist_ok=True)
    target = CACHE_DIR / f"dataset-{digest}.sqlite3"
    manifest_path = CACHE_DIR / f"dataset-{digest}.json"
    if target.exists() and manifest_path.exists() and not reseed:
        _log(f"dataset: reusing {target} (seeded {Manifest.load(manifest_path).seeded_at})")
        return Manifest.load(manifest_path)
    _log(f"dataset: seeding {target} (digest {digest}); later runs reuse it")
    # Seed into a scratch file and rename it at the end: an interrupted seed leaves no
    # half-filled cache behind.
    scratch = CACHE_DIR / f"seeding-{os.getpid()}.sqlite3"
    _remove_sqlite(scratch)
    try:
        manifest = await seed(sqlite_url(scratch), "sqlite", sizes, host, digest)
        # Everything into the main file: the cache is that one file, copied alone.
        await asyncio.to_thread(_checkpoint, scratch)
        _remove_sqlite(target)
        os.replace(scratch, target)
    finally:
        _remove_sqlite(scratch)
    manifest.url = sqlite_url(target)
    manifest.save(manifest_path)
    return manifest


async def _admin(server: URL, *statements: str) -> list[Any]:
    import asyncpg

    conn = await asyncpg.connect(
        host=server.host, port=server.port or 5432, user=server.username,
        password=server.password, database=server.database or "postgres",
    )  # fmt: skip
    try:
        return [await conn.fetch(statement) for statement in statements]
    finally:
        await conn.close()


async def _cached_postgres(sizes: Sizes, host: PluginHost, server: URL, reseed: bool) -> Manifest:
    digest = digest_of(sizes, "postgresql", host)
    name = f"concierge_bench_{digest}"
    await asyncio.to_thread(CACHE_DIR.mkdir, parents=True, exist_ok=True)
    manifest_path = CACHE_DIR / f"dataset-{digest}-postgresql.json"
    (exists,) = await _admin(server, f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
    if exists and manifest_path.exists() and not reseed:
        _log(f"dataset: reusing PostgreSQL database {name}")
        return Manifest.load(manifest_path)
    _log(f"dataset: seeding PostgreSQL database {name}; later runs reuse it")
    scratch = f"concierge_bench_seeding_{uuid.uuid4().hex[:8]}"
    await _admin(server, f'CREATE DATABASE "{scratch}"')
    try:
        url = server.set(database=scratch).render_as_string(hide_password=False)
        manifest = await seed(url, "postgresql", sizes, host, digest)
        await _admin(
            server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'ALTER DATABASE "{scratch}" RENAME TO "{name}"',
        )  # fmt: skip
    finally:
        await _admin(server, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    manifest.url = server.set(database=name).render_as_string(hide_password=False)
    manifest.save(manifest_path)
    return manifest


async def cached_dataset(
    sizes: Sizes, *, postgres_url: str | None = None, reseed: bool = False
) -> Manifest:
    """The cached dataset for ``sizes``, seeded first when there is none."""
    host = PluginHost.discover()
    if postgres_url:
        return await _cached_postgres(sizes, host, make_url(postgres_url), reseed)
    return await _cached_sqlite(sizes, host, reseed)


@asynccontextmanager
async def working_copy(manifest: Manifest, *, analyze: bool = False) -> AsyncIterator[str]:
    """A copy of the cached database for one run (the run writes orders and sales);
    removed afterwards. ``analyze``: gather SQLite's planner statistics on it first."""
    if manifest.database == "postgresql":
        server = make_url(manifest.url)
        name = f"concierge_bench_run_{uuid.uuid4().hex[:8]}"
        await _admin(server, f'CREATE DATABASE "{name}" TEMPLATE "{server.database}"')
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    source = Path(make_url(manifest.url).database or "")
    copy = CACHE_DIR / f"run-{os.getpid()}.sqlite3"
    _remove_sqlite(copy)
    await asyncio.to_thread(shutil.copyfile, source, copy)
    try:
        if analyze:
            db = Database(sqlite_url(copy))
            try:
                async with db.engine.begin() as conn:
                    await conn.execute(text("ANALYZE"))
            finally:
                await db.dispose()
        yield sqlite_url(copy)
    finally:
        _remove_sqlite(copy)
