"""Global object identity and Relay connections with keyset cursors.

Every stored object implements strawberry's ``relay.Node``; its global ID is
``base64("TypeName:pk")``. :func:`load_nodes` resolves IDs through the
request's tenant-scoped session, so an ID from another tenant answers as not
found. Connections page with opaque keyset cursors (sort key + primary key),
which stay stable when rows are inserted.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

import orjson
import strawberry
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute
from strawberry import relay

# strawberry's relay.Edge is generic in its own NodeType; Connection must use the same one.
from strawberry.relay.types import NodeType as NodeT
from strawberry.types import Info

from core.graphql.errors import ClientError
from core.graphql.selection import selects

RowT = TypeVar("RowT")


MAX_PK = 2**63 - 1  # BIGINT


def parse_pk(node_id: str) -> int | None:
    """A positive 64-bit primary key from a node ID, or None for anything else."""
    try:
        value = int(node_id)
    except (TypeError, ValueError):
        return None
    return value if 0 < value <= MAX_PK else None


def pk_of(global_id: str, type_name: str) -> int:
    """The primary key inside a global ID of ``type_name``; 0 (matching no row) for an
    ID that is malformed or names another type, so a service answers NOT_FOUND."""
    try:
        gid = relay.GlobalID.from_id(global_id)
    except relay.GlobalIDValueError:
        return 0
    return (parse_pk(gid.node_id) if gid.type_name == type_name else None) or 0


async def load_nodes(
    info: Info,
    model: type[RowT],
    node_ids: Iterable[str],
    to_node: Callable[[RowT], NodeT],
) -> list[NodeT | None]:
    """Load ``model`` rows by primary key through the request's scoped session, in order."""
    ids = list(node_ids)
    pks = {node_id: parse_pk(node_id) for node_id in ids}
    wanted = [pk for pk in pks.values() if pk is not None]
    found: dict[int, RowT] = {}
    if wanted:
        async with info.context.db() as session:
            rows = await session.scalars(select(model).where(model.id.in_(wanted)))  # type: ignore[attr-defined]
            found = {row.id: row for row in rows}  # type: ignore[attr-defined]
    result: list[NodeT | None] = []
    for node_id in ids:
        pk = pks[node_id]
        row = found.get(pk) if pk is not None else None
        result.append(to_node(row) if row is not None else None)
    return result


def may_read(info: Info, node_type: type) -> bool:
    """Whether the caller may read objects of ``node_type`` (its ``read_permission``)."""
    permission = getattr(node_type, "read_permission", None)
    return permission is None or permission in info.context.permissions


async def resolve_global_ids(info: Info, ids: Sequence[str]) -> list[Any]:
    """Resolve global IDs of any Node type in this schema; unknown or foreign IDs give None."""
    by_type: dict[type, list[tuple[int, str]]] = {}
    results: list[Any] = [None] * len(ids)
    for index, raw in enumerate(ids):
        try:
            gid = relay.GlobalID.from_id(raw)
        except relay.GlobalIDValueError:
            continue
        type_def = info.schema.get_type_by_name(gid.type_name)
        origin = getattr(type_def, "origin", None)
        if not (isinstance(origin, type) and issubclass(origin, relay.Node)):
            continue
        if not may_read(info, origin):
            continue  # answered as not found: no hint that it exists
        by_type.setdefault(origin, []).append((index, gid.node_id))
    for node_type, entries in by_type.items():
        resolved = node_type.resolve_nodes(
            info=info, node_ids=[node_id for _, node_id in entries], required=False
        )
        if hasattr(resolved, "__await__"):
            resolved = await resolved
        for (index, _), node in zip(entries, list(resolved), strict=True):
            results[index] = node
    return results


# ---------------------------------------------------------------------------
# Connections
# ---------------------------------------------------------------------------


@strawberry.type(description="A page of a list, Relay style.")
class Connection(Generic[NodeT]):
    edges: list[relay.Edge[NodeT]]
    page_info: relay.PageInfo
    total_count: int = strawberry.field(description="Rows matching the filter, on all pages.")


def _encode_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "dt" in value:
            return dt.datetime.fromisoformat(value["dt"])
        if "d" in value:
            return dt.date.fromisoformat(value["d"])
        if "dec" in value:
            return Decimal(value["dec"])
    return value


def encode_cursor(key_value: Any, pk: int) -> str:
    raw = orjson.dumps([_encode_value(key_value), pk])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, key_type: type | None = None) -> tuple[Any, int]:
    """The (sort key, pk) a cursor holds; BAD_CURSOR unless both have the expected types."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key_value, pk = orjson.loads(base64.urlsafe_b64decode(padded))
        key = _decode_value(key_value)
    except (ValueError, TypeError, ArithmeticError, binascii.Error, orjson.JSONDecodeError):
        raise ClientError(f"invalid cursor {cursor!r}", code="BAD_CURSOR") from None
    well_typed = (
        isinstance(pk, int)
        and not isinstance(pk, bool)
        and 0 < pk <= MAX_PK
        and (key_type is None or _matches(key, key_type))
    )
    if not well_typed:
        raise ClientError(f"invalid cursor {cursor!r}", code="BAD_CURSOR")
    return key, pk


def _matches(value: Any, key_type: type) -> bool:
    if isinstance(value, bool) and key_type is not bool:
        return False
    if key_type is dt.datetime:
        return isinstance(value, dt.datetime) and value.tzinfo is not None
    if key_type is dt.date:
        return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if key_type is Decimal:
        return isinstance(value, Decimal) and value.is_finite()
    if key_type is int:
        return isinstance(value, int) and abs(value) <= MAX_PK
    return isinstance(value, key_type)


@dataclass(frozen=True)
class Page(Generic[RowT]):
    rows: list[RowT]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool
    total_count: int

    def to_connection(self, to_node: Callable[[RowT], NodeT]) -> Connection[NodeT]:
        edges = [
            relay.Edge(node=to_node(row), cursor=cursor)
            for row, cursor in zip(self.rows, self.cursors, strict=True)
        ]
        return Connection(
            edges=edges,
            page_info=relay.PageInfo(
                has_next_page=self.has_next_page,
                has_previous_page=self.has_previous_page,
                start_cursor=self.cursors[0] if self.cursors else None,
                end_cursor=self.cursors[-1] if self.cursors else None,
            ),
            total_count=self.total_count,
        )


def _python_type(column: InstrumentedAttribute[Any]) -> type | None:
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return None
    return None if python_type is object else python_type


def page_size(info: Info, first: int | None) -> int:
    limits = info.context.settings.limits
    if first is None:
        return min(limits.default_page_size, limits.max_page_size)
    if first < 1 or first > limits.max_page_size:
        raise ClientError(
            f"first must be between 1 and {limits.max_page_size}", code="BAD_PAGE_SIZE"
        )
    return first


def wants_total_count(info: Info) -> bool:
    """Whether the connection being resolved selects ``totalCount`` (directly or through a
    fragment). Counting every match costs more than the page itself on a large table,
    so :func:`paginate` skips it when nobody asked."""
    return selects(info, "totalCount")


async def paginate(
    info: Info,
    statement: Select[Any],
    *,
    sort_key: InstrumentedAttribute[Any],
    pk: InstrumentedAttribute[int],
    first: int | None,
    after: str | None,
    descending: bool = False,
) -> Page[Any]:
    """One page of ``statement``'s rows ordered by (sort_key, pk), after a keyset cursor.

    ``statement`` selects one ORM entity and carries the filters. Keep an index
    on (sort_key, pk) for the lists that grow. The total is counted only when
    the query selects ``totalCount`` (0 otherwise, and never shown).
    """
    limit = page_size(info, first)
    count_statement = select(func.count()).select_from(statement.order_by(None).subquery())
    ordered = statement.order_by(
        sort_key.desc() if descending else sort_key.asc(), pk.desc() if descending else pk.asc()
    )
    if after is not None:
        key_value, last_pk = decode_cursor(after, _python_type(sort_key))
        beyond = (
            or_(sort_key < key_value, and_(sort_key == key_value, pk < last_pk))
            if descending
            else or_(sort_key > key_value, and_(sort_key == key_value, pk > last_pk))
        )
        ordered = ordered.where(beyond)
    async with info.context.db() as session:
        total = int(await session.scalar(count_statement) or 0) if wants_total_count(info) else 0
        rows = list((await session.scalars(ordered.limit(limit + 1))).all())
    has_next = len(rows) > limit
    rows = rows[:limit]
    key_name, pk_name = sort_key.key, pk.key
    cursors = [encode_cursor(getattr(row, key_name), getattr(row, pk_name)) for row in rows]
    return Page(
        rows=rows,
        cursors=cursors,
        has_next_page=has_next,
        has_previous_page=after is not None,
        total_count=total,
    )
