"""Reading a live schema and building the queries that find tenant A's objects."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import (
    GraphQLArgument,
    GraphQLField,
    GraphQLInputField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    build_client_schema,
    get_introspection_query,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_non_null_type,
    is_object_type,
)

if TYPE_CHECKING:
    from core.testing import ConciergeTestKit

# Arguments and input fields naming a property by its slug: the suite fills them in
# queries, and probes mutations with A's.
SLUG_ARGUMENTS = frozenset({"property", "propertySlug"})

INTROSPECTION = get_introspection_query(descriptions=False, one_of=True)


# ---------------------------------------------------------------------------
# Talking to an endpoint
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """The account endpoint (``slug`` None) or one property's endpoint."""

    slug: str | None

    @property
    def path(self) -> str:
        return f"/graphql/{self.slug}" if self.slug else "/graphql"


async def introspect(kit: ConciergeTestKit, endpoint: Endpoint, token: str) -> GraphQLSchema:
    result = await kit.graphql(INTROSPECTION, property=endpoint.slug, token=token)
    if result.data is None or result.errors:
        problem = result.errors[0].get("message") if result.errors else f"HTTP {result.status}"
        raise RuntimeError(
            f"cannot introspect {endpoint.path}: {problem} "
            "(the isolation suite needs introspection, which production mode turns off)"
        )
    return build_client_schema(result.data)  # type: ignore[arg-type]


def node_type_names(schema: GraphQLSchema) -> frozenset[str]:
    """Object types implementing ``Node``."""
    node = schema.get_type("Node")
    if node is None or not is_abstract_type(node):
        return frozenset()
    return frozenset(t.name for t in schema.get_possible_types(node))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Building selections: every field reachable without required arguments
# ---------------------------------------------------------------------------


def is_required(arg: GraphQLArgument | GraphQLInputField) -> bool:
    return is_non_null_type(arg.type) and arg.default_value is Undefined


def _has_required_args(gql_field: GraphQLField) -> bool:
    return any(is_required(arg) for arg in gql_field.args.values())


class SelectionBuilder:
    """Selection sets that read every field of a type, ``depth`` field levels deep."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema

    def selection(self, named: GraphQLNamedType, depth: int) -> str:
        """``{ ... }`` for a composite type ("" for a leaf, or when depth runs out)."""
        if is_leaf_type(named) or depth < 1:
            return ""
        if is_object_type(named):
            parts = [text for _, _, text in self._field_parts(named, depth)]  # type: ignore[arg-type]
            return "{ " + " ".join(["__typename", *parts]) + " }"
        return self._abstract_selection(named, depth)

    def _field_parts(self, obj: GraphQLObjectType, depth: int) -> list[tuple[str, str, str]]:
        """(name, type signature, text) of each field of ``obj`` worth selecting."""
        parts = []
        for name, gql_field in obj.fields.items():
            if _has_required_args(gql_field):
                continue
            named = get_named_type(gql_field.type)
            if is_leaf_type(named):
                parts.append((name, str(gql_field.type), name))
            elif depth >= 2:
                parts.append(
                    (name, str(gql_field.type), f"{name} {self.selection(named, depth - 1)}")
                )
        return parts

    def _abstract_selection(self, named: GraphQLNamedType, depth: int) -> str:
        # Fields of the same name but another type in two fragments cannot merge: alias them.
        shapes: dict[str, str] = {}
        fragments = []
        for possible in self.schema.get_possible_types(named):  # type: ignore[arg-type]
            texts = []
            for name, signature, text in self._field_parts(possible, depth):
                if shapes.setdefault(name, signature) != signature:
                    text = f"{name}_{possible.name}: {text}"
                texts.append(text)
            fragments.append(f"... on {possible.name} {{ __typename {' '.join(texts)} }}")
        return "{ " + " ".join(["__typename", *fragments]) + " }"


# ---------------------------------------------------------------------------
# Finding nodes in responses
# ---------------------------------------------------------------------------


def _node_id(obj: dict[str, Any]) -> Any:
    if "id" in obj:
        return obj["id"]
    return next((v for k, v in obj.items() if k.startswith("id_")), None)  # aliased


def _walk_nodes(data: Any, node_types: frozenset[str]) -> Iterator[tuple[str, str, Any]]:
    """(id, type name, object) of every Node object anywhere in ``data``."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            typename, node_id = item.get("__typename"), _node_id(item)
            if typename in node_types and isinstance(node_id, str):
                yield node_id, typename, item
            stack.extend(item.values())


def collect_nodes(data: Any, node_types: frozenset[str]) -> dict[str, str]:
    """Every Node object (id -> type name) anywhere in ``data``."""
    return {node_id: typename for node_id, typename, _ in _walk_nodes(data, node_types)}


def node_renderings(data: Any, node_types: frozenset[str]) -> dict[str, list[str]]:
    """Every Node object's JSON (id -> its renderings, sorted): what changed shows."""
    found: dict[str, list[str]] = {}
    for node_id, _, obj in _walk_nodes(data, node_types):
        found.setdefault(node_id, []).append(json.dumps(obj, sort_keys=True))
    return {node_id: sorted(renderings) for node_id, renderings in found.items()}


# ---------------------------------------------------------------------------
# Queries: every root field the suite can call, read as deep as the server allows
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RootQuery:
    field: str
    text: str
    variables: dict[str, Any]

    def with_slug(self, slug: str) -> dict[str, Any]:
        return {name: slug if name in SLUG_ARGUMENTS else v for name, v in self.variables.items()}


def _slug_variables(gql_field: GraphQLField, slug: str) -> dict[str, Any] | None:
    """Values for the field's required arguments, or None when one cannot be filled."""
    values: dict[str, Any] = {}
    for name, arg in gql_field.args.items():
        if not is_required(arg):
            continue
        if name not in SLUG_ARGUMENTS or get_named_type(arg.type).name != "String":
            return None
        values[name] = slug
    return values


def _operation(kind: str, gql_field: GraphQLField, name: str, variables: Iterable[str]) -> str:
    """``query Isolation($a: T) { name(a: $a)`` (the selection set follows)."""
    names = list(variables)
    declared = ", ".join(f"${arg}: {gql_field.args[arg].type}" for arg in names)
    passed = ", ".join(f"{arg}: ${arg}" for arg in names)
    head = f"{kind} Isolation({declared})" if names else f"{kind} Isolation"
    return f"{head} {{ {name}({passed})" if names else f"{head} {{ {name}"


def build_root_query(schema: GraphQLSchema, name: str, slug: str, depth: int) -> RootQuery | None:
    """A query reading root field ``name`` ``depth`` field levels deep; None when it returns
    a leaf or takes a required argument the suite cannot fill."""
    assert schema.query_type is not None
    gql_field = schema.query_type.fields[name]
    named = get_named_type(gql_field.type)
    variables = _slug_variables(gql_field, slug)
    if is_leaf_type(named) or variables is None:
        return None
    selection = SelectionBuilder(schema).selection(named, depth - 1)
    text = f"{_operation('query', gql_field, name, variables)} {selection} }}"
    return RootQuery(name, text, variables)


def build_mutation(schema: GraphQLSchema, name: str, arguments: dict[str, Any], depth: int) -> str:
    assert schema.mutation_type is not None
    gql_field = schema.mutation_type.fields[name]
    selection = SelectionBuilder(schema).selection(get_named_type(gql_field.type), depth - 1)
    return f"{_operation('mutation', gql_field, name, arguments)} {selection} }}"
