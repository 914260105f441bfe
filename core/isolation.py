"""The tenant isolation suite: objects of tenant A stay invisible to tenant B.

Black-box, through real HTTP GraphQL: it introspects the live schemas of the
account endpoint (``/graphql``) and of a property endpoint
(``/graphql/{property}``), so it covers whatever plugins are installed, the
day they land. As tenant A's owner it walks every root query field it can
call (arguments all optional, or a ``property`` slug) down through objects,
lists and connections, and collects every ``Node`` it meets. Then, as tenant
B's owner:

* **list**: the same queries, on B's endpoints and on A's property endpoint,
  must not return any of A's IDs;
* **node** / **nodes**: ``node(id:)`` and ``nodes(ids:)`` given A's IDs must
  answer ``null``;
* **mutation**: every mutation taking an ``ID`` or a ``property`` slug
  (directly or inside its ``input``) is called with A's IDs or slug and
  type-correct dummies elsewhere; it must neither return one of A's objects
  nor change anything A's queries read.

A ``Node`` type of which no object of tenant A was found is *uncovered*: a
plugin must give every Node type demo data (``concierge_demo_data``) and a
list that reaches it. Run it with :func:`run_isolation_suite` (see
docs/plugins.md, "Tenant isolation"). Importable without pytest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import (
    GraphQLArgument,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    build_client_schema,
    get_introspection_query,
    get_named_type,
    get_nullable_type,
    is_abstract_type,
    is_enum_type,
    is_input_object_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)

from core.db import Scope
from core.demo import in_dependency_order
from core.plugins import call_hook
from core.tenancy import Property, property_scoped

if TYPE_CHECKING:
    from core.testing import ConciergeTestKit, GraphQLResult, PropertyRef, TenantRef

DEFAULT_DEPTH = 8  # field levels per query; the server allows 12
IDS_PER_CALL = 50  # nodes(ids:) takes at most max_page_size (100 by default)
IDS_PER_HINTED_TYPE = 5  # A's IDs tried in one mutation ID field that names its type
MAX_INPUT_NESTING = 4
# Arguments and input fields naming a property by its slug: the suite fills them in
# queries, and probes mutations with A's.
SLUG_ARGUMENTS = frozenset({"property", "propertySlug"})
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
INTROSPECTION = get_introspection_query(descriptions=False, one_of=True)


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Leak:
    """One of tenant A's objects reached by tenant B."""

    endpoint: str
    how: str  # list | node | nodes | mutation
    type: str
    id: str
    field: str

    def __str__(self) -> str:
        return f"{self.how} leak on {self.endpoint}: {self.type} {self.id} via {self.field}"


@dataclass(frozen=True)
class UncoveredType:
    """A Node type of which the suite found no object of tenant A."""

    endpoint: str
    type: str

    def __str__(self) -> str:
        return (
            f"uncovered on {self.endpoint}: no {self.type} of tenant A was found "
            "(give it demo data and a list that reaches it)"
        )


@dataclass(frozen=True)
class Unresolvable:
    """One of tenant A's objects that ``node(id:)`` does not find even for tenant A."""

    endpoint: str
    type: str
    id: str

    def __str__(self) -> str:
        return f"node(id:) on {self.endpoint} answers null to tenant A for its own {self.type}"


@dataclass(frozen=True)
class FieldError:
    """A query or mutation that answered with errors (recorded, not a failure)."""

    endpoint: str
    field: str
    message: str


@dataclass
class Checked:
    node_types: int = 0
    node_types_covered: int = 0
    ids: int = 0
    list_queries: int = 0
    node_lookups: int = 0
    mutations: int = 0
    mutation_calls: int = 0


@dataclass
class IsolationReport:
    uncovered_types: list[UncoveredType] = field(default_factory=list)
    leaks: list[Leak] = field(default_factory=list)
    unresolvable: list[Unresolvable] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    checked: Checked = field(default_factory=Checked)
    mutations_exercised: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """Everything that fails the suite, one line each (empty when isolation holds)."""
        found: Iterable[object] = (*self.leaks, *self.uncovered_types, *self.unresolvable)
        return [str(problem) for problem in found]

    def __str__(self) -> str:
        c = self.checked
        lines = [
            f"tenant isolation: {c.node_types_covered}/{c.node_types} Node types covered, "
            f"{c.ids} ids of tenant A, {c.list_queries} list queries, "
            f"{c.node_lookups} node look-ups, {c.mutations} mutations "
            f"({c.mutation_calls} calls)",
            *(f"  PROBLEM {line}" for line in self.problems),
            *(f"  note: {e.field} on {e.endpoint}: {e.message}" for e in self.errors),
        ]
        if not self.problems:
            lines.append("  no leaks, every Node type covered")
        return "\n".join(lines)


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


def _required(arg: GraphQLArgument | GraphQLInputField) -> bool:
    return is_non_null_type(arg.type) and arg.default_value is Undefined


def _has_required_args(gql_field: GraphQLField) -> bool:
    return any(_required(arg) for arg in gql_field.args.values())


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
        if not _required(arg):
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
        _collect_slots(arg.type, (name,), _required(arg), slots)
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
            still_required = required and _required(input_field)
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
            if _required(arg) or self._wanted((name,))
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
            if self._wanted((*path, name)) or (_required(input_field) and not one_of)
        ]
        if one_of:
            chosen = chosen[:1] or [next(iter(input_type.fields))]
        return {name: self.value(input_type.fields[name].type, (*path, name)) for name in chosen}


# ---------------------------------------------------------------------------
# The suite
# ---------------------------------------------------------------------------


@dataclass
class EndpointSide:
    """Tenant A's view of one endpoint: its schema, the queries that ran, A's objects."""

    endpoint: Endpoint
    schema: GraphQLSchema
    node_types: frozenset[str]
    queries: list[RootQuery] = field(default_factory=list)
    objects: dict[str, str] = field(default_factory=dict)  # id -> type name


class IsolationRun:
    """One run of the suite between tenants A and B; fills :attr:`report`."""

    def __init__(
        self, kit: ConciergeTestKit, tenant_a: TenantRef, property_a: PropertyRef,
        tenant_b: TenantRef, property_b: PropertyRef, max_depth: int,
        shared_types: Iterable[str] = (),
    ) -> None:  # fmt: skip
        self.kit = kit
        self.token_a, self.token_b = kit.token(tenant_a), kit.token(tenant_b)
        self.slug_a, self.slug_b = property_a.slug, property_b.slug
        self.max_depth = max_depth
        self.shared_types = frozenset(shared_types)
        self.report = IsolationReport()
        self.sides: list[EndpointSide] = []
        self.a_objects: dict[str, str] = {}
        self.a_data: tuple[dict[str, list[str]], dict[str, Any]] = ({}, {})

    async def run(self) -> IsolationReport:
        account, own_a, own_b = Endpoint(None), Endpoint(self.slug_a), Endpoint(self.slug_b)
        for endpoint in (account, own_a):
            self.sides.append(await self.discover_as_a(endpoint))
        self.a_objects = {k: v for side in self.sides for k, v in side.objects.items()}
        self.report.checked.ids = len(self.a_objects)
        for side in self.sides:
            self.record_coverage(side)
            await self.check_a_resolves_its_nodes(side)
        # B on its own endpoints, and on A's property endpoint (which must not let B in).
        views = {account: [account], own_a: [own_b, own_a]}
        for side in self.sides:
            for view in views[side.endpoint]:
                await self.check_lists(side, view)
                await self.check_node_lookups(side.schema, view)
        self.a_data = await self.read_a_data()
        for endpoint in (account, own_b):
            await self.check_mutations(endpoint)
        return self.report

    async def post(
        self, endpoint: Endpoint, token: str, query: str, variables: dict[str, Any] | None = None
    ) -> GraphQLResult:
        return await self.kit.graphql(query, variables, property=endpoint.slug, token=token)

    def note_errors(self, endpoint: Endpoint, what: str, result: GraphQLResult) -> None:
        if result.errors:
            message = str(result.errors[0].get("message", result.errors[0]))
            self.report.errors.append(FieldError(endpoint.path, what, message))

    # -- tenant A ----------------------------------------------------------------

    async def discover_as_a(self, endpoint: Endpoint) -> EndpointSide:
        """Run every root field A can call, shallower when the server refuses a query
        (its depth or token limit); keep the queries that ran and the Nodes they found."""
        schema = await introspect(self.kit, endpoint, self.token_a)
        side = EndpointSide(endpoint, schema, node_type_names(schema))
        assert schema.query_type is not None
        for name in schema.query_type.fields:
            for depth in range(self.max_depth, 1, -1):
                query = build_root_query(schema, name, self.slug_a, depth)
                if query is None:
                    break
                result = await self.post(endpoint, self.token_a, query.text, query.variables)
                if result.status == 400 and depth > 2:
                    continue
                self.note_errors(endpoint, name, result)
                if result.data is not None:
                    side.queries.append(query)
                    side.objects.update(collect_nodes(result.data, side.node_types))
                break
        return side

    def record_coverage(self, side: EndpointSide) -> None:
        found = set(side.objects.values())
        self.report.checked.node_types += len(side.node_types)
        self.report.checked.node_types_covered += len(side.node_types & found)
        self.report.uncovered_types.extend(
            UncoveredType(side.endpoint.path, t) for t in sorted(side.node_types - found)
        )

    async def check_a_resolves_its_nodes(self, side: EndpointSide) -> None:
        """node(id:) finds A's objects for A (else B's null answers would prove nothing)."""
        if not _has_root_field(side.schema, "node"):
            return
        for node_id, typename in side.objects.items():
            if not await self.node_found(side.endpoint, self.token_a, node_id):
                self.report.unresolvable.append(Unresolvable(side.endpoint.path, typename, node_id))

    async def read_a_data(self) -> tuple[dict[str, list[str]], dict[str, Any]]:
        """A's data as A's queries read it: Node renderings by id, results by root field."""
        renderings: dict[str, list[str]] = {}
        results: dict[str, Any] = {}
        for side in self.sides:
            for query in side.queries:
                result = await self.post(side.endpoint, self.token_a, query.text, query.variables)
                data = (result.data or {}).get(query.field)
                results[f"{side.endpoint.path} {query.field}"] = data
                renderings.update(node_renderings(data, side.node_types))
        return renderings, results

    # -- tenant B: lists and look-ups ----------------------------------------------

    async def check_lists(self, side: EndpointSide, view: Endpoint) -> None:
        """A's queries as B, with A's property slug and with B's: none of A's IDs."""
        for query in side.queries:
            variants = [query.with_slug(self.slug_a), query.with_slug(self.slug_b)]
            for variables in variants[: 2 if query.variables else 1]:
                self.report.checked.list_queries += 1
                result = await self.post(view, self.token_b, query.text, variables)
                for node_id, typename in collect_nodes(result.data, side.node_types).items():
                    if node_id in self.a_objects:
                        self.leak(view, "list", typename, node_id, query.field)

    async def node_found(self, endpoint: Endpoint, token: str, node_id: str) -> bool:
        result = await self.post(endpoint, token, NODE_QUERY, {"id": node_id})
        return bool(result.data and result.data.get("node"))

    async def check_node_lookups(self, schema: GraphQLSchema, view: Endpoint) -> None:
        """node(id:) for each of A's IDs, nodes(ids:) for all of them: null, as B."""
        if _has_root_field(schema, "node"):
            for node_id, typename in self.a_objects.items():
                self.report.checked.node_lookups += 1
                if await self.node_found(view, self.token_b, node_id):
                    self.leak(view, "node", typename, node_id, "node")
        if not _has_root_field(schema, "nodes"):
            return
        ids = list(self.a_objects)
        for start in range(0, len(ids), IDS_PER_CALL):
            chunk = ids[start : start + IDS_PER_CALL]
            self.report.checked.node_lookups += 1
            result = await self.post(view, self.token_b, NODES_QUERY, {"ids": chunk})
            answers = (result.data or {}).get("nodes") or []
            for node_id, answer in zip(chunk, answers, strict=False):
                if answer:
                    self.leak(view, "nodes", self.a_objects[node_id], node_id, "nodes")

    def leak(self, endpoint: Endpoint, how: str, typename: str, node_id: str, via: str) -> None:
        if typename not in self.shared_types:
            self.report.leaks.append(Leak(endpoint.path, how, typename, node_id, via))

    # -- tenant B: mutations -------------------------------------------------------

    async def check_mutations(self, endpoint: Endpoint) -> None:
        """Each mutation naming an object, called as B with A's: it returns none of A's
        objects and changes nothing A sees."""
        schema = await introspect(self.kit, endpoint, self.token_b)
        if schema.mutation_type is None:
            return
        for name, gql_field in schema.mutation_type.fields.items():
            if not await self.probe_mutation(endpoint, schema, name, gql_field):
                continue
            self.report.checked.mutations += 1
            self.report.mutations_exercised.append(f"{endpoint.path} {name}")
            await self.check_a_data_unchanged(endpoint, name)

    def candidates(self, slot: Slot, mutation: str) -> list[str]:
        if slot.is_slug:
            return [self.slug_a]
        ids_by_type: dict[str, list[str]] = {}
        for node_id, typename in self.a_objects.items():
            ids_by_type.setdefault(typename, []).append(node_id)
        return id_candidates(slot, mutation, ids_by_type)

    async def probe_mutation(
        self, endpoint: Endpoint, schema: GraphQLSchema, name: str, gql_field: GraphQLField
    ) -> bool:
        """Call ``name`` as B with A's IDs and slug; False when it takes neither."""
        slots = mutation_slots(gql_field)
        candidates = {slot.path: self.candidates(slot, name) for slot in slots}
        if not slots or not all(candidates.values()):
            return False
        node_types = node_type_names(schema)
        for assigned in slot_assignments(slots, candidates):
            arguments = DummyInputs(assigned, self.slug_b).arguments(gql_field)
            text = build_mutation(schema, name, arguments, self.max_depth)
            self.report.checked.mutation_calls += 1
            result = await self.post(endpoint, self.token_b, text, arguments)
            self.note_errors(endpoint, name, result)
            for node_id, typename in collect_nodes(result.data, node_types).items():
                if node_id in self.a_objects:
                    self.leak(endpoint, "mutation", typename, node_id, name)
        return True

    async def check_a_data_unchanged(self, endpoint: Endpoint, mutation: str) -> None:
        (before_nodes, before_fields), after = self.a_data, await self.read_a_data()
        self.a_data = after
        after_nodes, after_fields = after
        nodes = sorted(
            k for k in {*before_nodes, *after_nodes} if before_nodes.get(k) != after_nodes.get(k)
        )
        for node_id in nodes:
            typename = self.a_objects.get(node_id, "?")
            self.leak(endpoint, "mutation", typename, node_id, f"{mutation} changed A's data")
        fields = sorted(
            k
            for k in {*before_fields, *after_fields}
            if before_fields.get(k) != after_fields.get(k)
        )
        if fields and not nodes:
            self.leak(endpoint, "mutation", "", "", f"{mutation} changed A's {', '.join(fields)}")


NODE_QUERY = "query IsolationNode($id: ID!) { node(id: $id) { __typename ... on Node { id } } }"
NODES_QUERY = (
    "query IsolationNodes($ids: [ID!]!) { nodes(ids: $ids) { __typename ... on Node { id } } }"
)


def _has_root_field(schema: GraphQLSchema, name: str) -> bool:
    return schema.query_type is not None and name in schema.query_type.fields


async def check_isolation(
    kit: ConciergeTestKit,
    tenant_a: TenantRef,
    property_a: PropertyRef,
    tenant_b: TenantRef,
    property_b: PropertyRef,
    *,
    max_depth: int = DEFAULT_DEPTH,
    shared_types: Iterable[str] = (),
) -> IsolationReport:
    """Check that tenant B reaches none of tenant A's objects, on the account endpoint and
    on the property endpoints, with the owners' tokens (so permissions hide nothing).

    Both properties should run the same plugins and hold comparable data
    (:func:`seed_isolation_tenants`). ``shared_types`` names Node types that are
    installation-wide by design (every tenant sees the same objects): they must be
    covered but are not leaks."""
    run = IsolationRun(kit, tenant_a, property_a, tenant_b, property_b, max_depth, shared_types)
    return await run.run()


# ---------------------------------------------------------------------------
# Seeding two tenants
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SeededTenant:
    tenant: TenantRef
    property: PropertyRef


CREATE_API_KEY = (
    "mutation IsolationSeedKey($input: CreateApiKeyInput!) {"
    " createApiKey(input: $input) { apiKey { id } errors { message } } }"
)


async def fill_demo_data(kit: ConciergeTestKit, prop: PropertyRef, enabled: Sequence[str]) -> None:
    """Call ``concierge_demo_data`` of the ``enabled`` plugins on ``prop``, as
    ``concierge demo`` does."""
    async with kit.db.transaction(Scope.tenant(prop.tenant_id)) as session:
        row = await session.get(Property, prop.id)
        assert row is not None
        async with property_scoped(session, row) as scoped:
            await call_hook(
                kit.runtime.host.relay(enabled).concierge_demo_data,
                session=scoped,
                property=row,
                clock=kit.clock,
            )


async def _create_api_key(kit: ConciergeTestKit, seeded: SeededTenant) -> None:
    variables = {
        "input": {"property": seeded.property.slug, "name": "isolation", "kind": "PUBLISHABLE"}
    }
    result = await kit.graphql(CREATE_API_KEY, variables, token=kit.token(seeded.tenant))
    payload = result.ok()["createApiKey"]
    if payload["errors"]:
        raise RuntimeError(f"createApiKey failed: {payload['errors']}")


async def seed_tenant(kit: ConciergeTestKit, slug: str) -> SeededTenant:
    """A tenant with a property running every installed plugin, filled with each
    plugin's demo data, an extra user and an API key."""
    host = kit.runtime.host
    plugins = in_dependency_order(host, tuple(sorted(host.names)))
    tenant = await kit.tenant(slug)
    prop = await kit.property(tenant, f"{slug}-property", plugins=plugins)
    await fill_demo_data(kit, prop, plugins)
    await kit.user(tenant, f"staff@{slug}.example", role="viewer", property=prop)
    seeded = SeededTenant(tenant, prop)
    await _create_api_key(kit, seeded)
    return seeded


async def seed_isolation_tenants(
    kit: ConciergeTestKit, slugs: tuple[str, str] = ("isolation-a", "isolation-b")
) -> tuple[SeededTenant, SeededTenant]:
    """Tenants A and B, seeded alike by :func:`seed_tenant`."""
    return await seed_tenant(kit, slugs[0]), await seed_tenant(kit, slugs[1])


async def run_isolation_suite(
    kit: ConciergeTestKit, *, max_depth: int = DEFAULT_DEPTH, shared_types: Iterable[str] = ()
) -> IsolationReport:
    """Seed tenants A and B (:func:`seed_isolation_tenants`), then :func:`check_isolation`
    between them."""
    a, b = await seed_isolation_tenants(kit)
    return await check_isolation(
        kit, a.tenant, a.property, b.tenant, b.property,
        max_depth=max_depth, shared_types=shared_types,
    )  # fmt: skip
