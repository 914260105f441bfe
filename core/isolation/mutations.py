"""Calling mutations with another tenant's IDs: where IDs go, and dummies for the rest."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import (
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    get_named_type,
    get_nullable_type,
    is_enum_type,
    is_input_object_type,
    is_list_type,
)

from core.isolation.queries import SLUG_ARGUMENTS, is_required

if TYPE_CHECKING:
    pass

IDS_PER_HINTED_TYPE = 5  # A's IDs tried in one mutation ID field that names its type

MAX_INPUT_NESTING = 4

DUMMY_SCALARS: dict[str, Any] = {
    "String": "x",
    "Int": 1,
    "Float": 1.0,
    "Boolean": False,
    "Decimal": "1",
    "Date": "2026-03-02",
    "DateTime": "2026-03-02T09:00:00+00:00",
    "Time": "09:00:00",
    "UUID": "00000000-0000-4000-8000-000000000000",
    "JSON": {},
}


# ---------------------------------------------------------------------------
# Mutation inputs: A's IDs (and A's property slug) where the mutation names an object
# ---------------------------------------------------------------------------

Path = tuple[str, ...]


@dataclass(frozen=True)
class Slot:
    """An argument or input field naming an object: an ID, or a property's slug."""

    path: Path  # the argument's name, then input field names
    is_list: bool
    required: bool
    is_slug: bool = False


def mutation_slots(gql_field: GraphQLField) -> list[Slot]:
    """Every ID (or list of IDs) and property slug a mutation takes, nested inputs included."""
    slots: list[Slot] = []
    for name, arg in gql_field.args.items():
        _collect_slots(arg.type, (name,), is_required(arg), slots)
    return slots


def _collect_slots(
    gql_type: GraphQLInputType, path: Path, required: bool, slots: list[Slot]
) -> None:
    named = get_named_type(gql_type)
    is_list = is_list_type(get_nullable_type(gql_type))
    if named.name == "ID":
        slots.append(Slot(path, is_list, required))
    elif named.name == "String" and path[-1] in SLUG_ARGUMENTS:
        slots.append(Slot(path, is_list, required, is_slug=True))
    elif isinstance(named, GraphQLInputObjectType) and len(path) <= MAX_INPUT_NESTING:
        for name, input_field in named.fields.items():
            still_required = required and is_required(input_field)
            _collect_slots(input_field.type, (*path, name), still_required, slots)


def _hinted_type(name: str, type_names: Iterable[str]) -> str | None:
    """The Node type a name points at: ``userId`` -> User, ``revokeApiKey`` -> ApiKey."""
    stem = re.sub(r"(Ids?|^ids?)$", "", name).lower()
    matches = [t for t in type_names if stem and t.lower() in stem]
    return max(matches, key=len) if matches else None


def id_candidates(slot: Slot, mutation: str, ids_by_type: dict[str, list[str]]) -> list[str]:
    """A's IDs to try in ``slot``: those of the type its name (or else the mutation's name)
    points at, or one ID of each type when neither does."""
    hinted = _hinted_type(slot.path[-1], ids_by_type) or _hinted_type(mutation, ids_by_type)
    if hinted:
        return ids_by_type[hinted][:IDS_PER_HINTED_TYPE]
    return [ids[0] for ids in ids_by_type.values()]


def slot_assignments(
    slots: Sequence[Slot], candidates: dict[Path, list[str]]
) -> list[dict[Path, Any]]:
    """One call per (slot, candidate): that slot gets the candidate, the other required ID
    slots their first candidate (required slugs stay B's own); a list slot gets all its
    candidates at once."""
    base = {
        s.path: candidates[s.path] if s.is_list else candidates[s.path][0]
        for s in slots
        if s.required and not s.is_slug
    }
    calls: list[dict[Path, Any]] = []
    for slot in slots:
        values = [candidates[slot.path]] if slot.is_list else candidates[slot.path]
        calls.extend({**base, slot.path: value} for value in values)
    return calls


class DummyInputs:
    """Type-correct argument values: the assigned ones where given, B's slug for other
    slug fields, dummies elsewhere; optional fields only when something is assigned in them."""

    def __init__(self, assigned: dict[Path, Any], own_slug: str) -> None:
        self.assigned = assigned
        self.own_slug = own_slug

    def _wanted(self, path: Path) -> bool:
        return any(p[: len(path)] == path for p in self.assigned)

    def arguments(self, gql_field: GraphQLField) -> dict[str, Any]:
        return {
            name: self.value(arg.type, (name,))
            for name, arg in gql_field.args.items()
            if is_required(arg) or self._wanted((name,))
        }

    def value(self, gql_type: GraphQLInputType, path: Path) -> Any:
        if path in self.assigned:
            return self.assigned[path]
        nullable: Any = get_nullable_type(gql_type)
        if is_list_type(nullable):
            return [self.value(nullable.of_type, path)]
        if is_input_object_type(nullable):
            return self._input_object(nullable, path)
        if is_enum_type(nullable):
            return next(iter(nullable.values))
        if path[-1] in SLUG_ARGUMENTS:
            return self.own_slug
        return DUMMY_SCALARS.get(nullable.name, "x")

    def _input_object(self, input_type: GraphQLInputObjectType, path: Path) -> dict[str, Any]:
        one_of = bool(input_type.is_one_of)
        chosen = [
            name
            for name, input_field in input_type.fields.items()
            if self._wanted((*path, name)) or (is_required(input_field) and not one_of)
        ]
        if one_of:
            chosen = chosen[:1] or [next(iter(input_type.fields))]
        return {name: self.value(input_type.fields[name].type, (*path, name)) for name in chosen}
