"""One isolation run: discover tenant A's objects, then probe them as tenant B."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import (
    GraphQLField,
    GraphQLSchema,
)

from core.isolation.mutations import (
    DummyInputs,
    Slot,
    id_candidates,
    mutation_slots,
    slot_assignments,
)
from core.isolation.queries import (
    Endpoint,
    RootQuery,
    build_mutation,
    build_root_query,
    collect_nodes,
    introspect,
    node_renderings,
    node_type_names,
)
from core.isolation.report import FieldError, IsolationReport, Leak, UncoveredType, Unresolvable

if TYPE_CHECKING:
    from core.testing import ConciergeTestKit, GraphQLResult, PropertyRef, TenantRef

DEFAULT_DEPTH = 8  # field levels per query; the server allows 12

IDS_PER_CALL = 50  # nodes(ids:) takes at most max_page_size (100 by default)


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
