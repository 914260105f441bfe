"""Property-based fuzzing of the whole GraphQL schema: hypothesis-graphql writes queries and
mutations from the schema a property running every built-in plugin actually serves (and
from the account schema), and each one goes through the real app over HTTP as the
tenant's owner.

Whatever the request, the answer follows the GraphQL-over-HTTP spec and shows no bug: no
5xx, a JSON body, no masked INTERNAL error, a 400 only for a request that failed before
execution (no ``data``, no error with a path), a 200 otherwise. Afterwards every data
invariant (``concierge check``) holds.

The property has real data first (a catalog with stock, orders, rooms, rate plans, stays,
an outlet's sales, a webhook endpoint), and generated IDs, strings, dates and amounts are
often real: IDs and codes are read back from every response and drawn again, so
mutations do real work rather than answering NOT_FOUND.

Bounded for CI: ``FUZZ_EXAMPLES`` operations per endpoint (fewer on the account one,
whose every password costs an argon2 hash), derandomized so that a failure reproduces.
For a longer local run set ``CONCIERGE_FUZZ_EXAMPLES=2000``, and to explore other inputs
``CONCIERGE_FUZZ_SEED=<n>``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import graphql
import hypothesis_graphql
import orjson
from hypothesis import HealthCheck, given, note, seed, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes
from pos_kit import Resort, set_up_resort
from strawberry import relay

from core.graphql.http import GRAPHQL_RESPONSE_JSON
from core.invariants import check_invariants
from core.plugins import PluginHost
from core.testing import TEST_PASSWORD, ConciergeTestKit, UserRef

FUZZ_EXAMPLES = int(os.environ.get("CONCIERGE_FUZZ_EXAMPLES", "720"))
ACCOUNT_EXAMPLES = max(1, FUZZ_EXAMPLES // 3)
FUZZ_SEED = os.environ.get("CONCIERGE_FUZZ_SEED")

EVERY_PLUGIN = (
    "pms_rooms", "oms_inventory", "oms_orders", "pos_bridge", "pms_housekeeping", "webhooks",
)  # fmt: skip
TODAY = dt.date(2026, 3, 2)  # the kit's clock

# Response keys whose string values are worth sending back as arguments.
HARVESTED_KEYS = frozenset({
    "sku", "code", "number", "bookingNumber", "email", "lastName", "saleId", "slug",
    "reference", "trackingNumber", "roomNumber", "name", "role", "orderNumber", "lookup",
    "eventName",
})  # fmt: skip
# Strings a user of these plugins would send: codes of the set-up data, roles, plugins,
# permissions, amounts and dates as text, and a few awkward ones.
SEED_STRINGS = (
    "", " ", "SOAP", "TOTE", "BEANS", "MAIN", "DBL", "STE", "101", "102", "301", "BAR-DBL",
    "BAR-STE", "REST", "GIFT", "R-1", "G-1", "Lovelace", "Hopper", "ada@example.com",
    "owner", "manager", "viewer", "housekeeper", "front_desk", "card", "cash",
    *EVERY_PLUGIN, "UTC", "Europe/Berlin", "EUR", "en", "https://example.com/hook",
    "orders.*", "*", "orders:read", "*:read", "2026-03-02", "10.00", "-1", TEST_PASSWORD,
    "x" * 300, "\x00", "Ω≈ç√ 🙂",
)  # fmt: skip


@dataclass
class Known:
    """Real values read back from responses, drawn from when generating arguments."""

    ids: list[str] = field(default_factory=list)
    ids_of: dict[str, list[str]] = field(default_factory=dict)  # by type name
    cursors: list[str] = field(default_factory=list)  # of every connection
    strings: list[str] = field(default_factory=lambda: list(SEED_STRINGS))
    _seen: set[str] = field(default_factory=set)

    def harvest(self, value: Any, key: str | None = None) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                self.harvest(v, k)
        elif isinstance(value, list):
            for item in value:
                self.harvest(item, key)
        elif isinstance(value, str) and value not in self._seen and len(value) <= 200:
            if key == "id":
                self._seen.add(value)
                self.ids.append(value)
                try:
                    type_name = relay.GlobalID.from_id(value).type_name
                except relay.GlobalIDValueError:
                    return
                self.ids_of.setdefault(type_name, []).append(value)
            elif key in ("cursor", "startCursor", "endCursor"):
                self._seen.add(value)
                self.cursors.append(value)
            elif key in HARVESTED_KEYS:
                self._seen.add(value)
                self.strings.append(value)


def _one_of_pool(pool: list[str]) -> st.SearchStrategy[str]:
    """A value of ``pool``, which grows while the fuzzing runs: drawn by index when drawn."""
    return st.integers(min_value=0, max_value=10_000).map(lambda i: pool[i % len(pool)])


def forged_ids(type_names: list[str]) -> st.SearchStrategy[str]:
    """IDs shaped like the real ones that name nothing: no row, a bad key, another type."""
    keys = st.sampled_from(["0", "-1", "999999", str(2**63), str(2**70), "abc", "1.5", ""])
    return st.one_of(
        st.builds(relay.to_base64, st.sampled_from(type_names), keys),
        st.builds(relay.to_base64, st.sampled_from(["Nope", "", "User", "Tenant"]), keys),
        st.sampled_from(["!!!", "=", "T3JkZXI", "T3JkZXI6MQ==="]),
    )


def scalar_strategies(known: Known, type_names: list[str]) -> dict[str, st.SearchStrategy[Any]]:
    """Value nodes for each scalar: real values often, nonsense sometimes."""
    text = st.text(max_size=40)
    near = st.integers(min_value=-40, max_value=400).map(lambda d: TODAY + dt.timedelta(days=d))
    day = st.one_of(near, near, st.dates())
    timestamp = st.one_of(
        st.builds(
            lambda d, s: dt.datetime.combine(d, dt.time(), dt.UTC) + dt.timedelta(seconds=s),
            near, st.integers(min_value=0, max_value=86_399),
        ).map(dt.datetime.isoformat),
        st.datetimes().map(dt.datetime.isoformat),
    )  # fmt: skip
    amount = st.one_of(
        st.sampled_from([
            "0", "1", "6.50", "24.00", "120.00", "-5", "0.001", "1e3", "NaN", "Infinity",
            "-Infinity", "sNaN", "1e400", "-1e-400", "99999999999999999999.99", "1,5", " 1 ",
        ]),
        st.decimals(places=2, allow_nan=False, allow_infinity=False).map(str),
        st.decimals().map(str),
    )  # fmt: skip
    return {
        "ID": st.one_of(
            _one_of_pool(known.ids), _one_of_pool(known.ids), forged_ids(type_names), text
        ).map(nodes.String),
        "String": st.one_of(_one_of_pool(known.strings), _one_of_pool(known.strings), text).map(
            nodes.String
        ),
        "Int": st.one_of(
            st.integers(min_value=1, max_value=5),
            st.integers(min_value=-2, max_value=150),
            st.integers(min_value=-(2**31), max_value=2**31 - 1),
        ).map(nodes.Int),
        "Date": st.one_of(day.map(dt.date.isoformat), text).map(nodes.String),
        "DateTime": st.one_of(timestamp, text).map(nodes.String),
        "Decimal": st.one_of(amount, text).map(nodes.String),
    }


# ID arguments whose name does not say the type they take.
ID_ARGUMENT_TYPES = {"assignee": "User", "user": "User", "corrects": "FolioLine"}


def id_type_of(argument: str, type_names: list[str]) -> str | None:
    """The Node type an ID argument or input field named ``argument`` takes (``order``:
    Order, ``endpoint``: WebhookEndpoint, ``tasks``: HousekeepingTask); None for any."""
    if argument in ID_ARGUMENT_TYPES:
        return ID_ARGUMENT_TYPES[argument]
    key = argument.lower().removesuffix("s")
    exact = [t for t in type_names if t.lower() == key]
    ending = [t for t in type_names if t.lower().endswith(key)]
    return exact[0] if exact else ending[0] if len(ending) == 1 else None


class _RealValues(graphql.Visitor):
    """Swaps most ID string values for a real ID of the type their argument or input
    field takes (an ``order`` gets an Order's), and most ``after`` cursors for real ones
    (of any connection: another's must be refused as cleanly)."""

    def __init__(self, type_info: graphql.TypeInfo, known: Known, draw: st.DrawFn) -> None:
        super().__init__()
        self.type_info = type_info
        self.known = known
        self.draw = draw
        self.names: list[str] = []  # the arguments and input fields we are in

    def enter_argument(self, node: graphql.ArgumentNode, *_: Any) -> None:
        self.names.append(node.name.value)

    def leave_argument(self, *_: Any) -> None:
        self.names.pop()

    enter_object_field = enter_argument
    leave_object_field = leave_argument

    def enter_string_value(self, node: graphql.StringValueNode, *_: Any) -> Any:
        expected = self.type_info.get_input_type()
        if expected is None:
            return None
        if graphql.get_named_type(expected).name == "ID":
            wanted = id_type_of(self.names[-1], sorted(self.known.ids_of))
            pool = self.known.ids_of.get(wanted or "")
        elif self.names[-1] == "after":
            pool = self.known.cursors
        else:
            return None
        if not pool or not self.draw(st.integers(min_value=0, max_value=3)):
            return None
        index = self.draw(st.integers(min_value=0, max_value=10_000))
        return graphql.StringValueNode(value=pool[index % len(pool)])


def with_real_values(
    schema: graphql.GraphQLSchema, known: Known, documents: st.SearchStrategy[Any]
) -> st.SearchStrategy[graphql.DocumentNode]:
    """``documents`` with most IDs real ones of the right type, so that mutations find
    what they act on, and most cursors real."""

    @st.composite
    def swapped(draw: st.DrawFn) -> graphql.DocumentNode:
        type_info = graphql.TypeInfo(schema)
        visitor = graphql.TypeInfoVisitor(type_info, _RealValues(type_info, known, draw))
        return graphql.visit(draw(documents), visitor)

    return swapped()


def _together(documents: list[graphql.DocumentNode]) -> graphql.DocumentNode:
    """One operation running the root fields of several (each aliased, so none clash)."""
    selections = []
    for document in documents:
        (operation,) = document.definitions
        assert isinstance(operation, graphql.OperationDefinitionNode)
        for node in operation.selection_set.selections:
            assert isinstance(node, graphql.FieldNode)
            alias = graphql.NameNode(value=f"f{len(selections)}")
            selections.append(
                graphql.FieldNode(
                    alias=alias,
                    name=node.name,
                    arguments=node.arguments,
                    directives=node.directives,
                    selection_set=node.selection_set,
                )
            )
    first = documents[0].definitions[0]
    assert isinstance(first, graphql.OperationDefinitionNode)
    operation = graphql.OperationDefinitionNode(
        operation=first.operation,
        selection_set=graphql.SelectionSetNode(selections=tuple(selections)),
    )
    return graphql.DocumentNode(definitions=(operation,))


@dataclass(frozen=True)
class Round:
    """``examples`` operations drawn from ``documents``."""

    label: str
    documents: st.SearchStrategy[str]
    examples: int


def rounds(schema: graphql.GraphQLSchema, known: Known, examples: int) -> list[Round]:
    """Every root field on its own, in the schema's order (so each gets its share), then
    documents of two or three root fields of a kind (mutations in one request run in
    order, each seeing what the one before did).

    One root field at a time is also much cheaper to generate than letting
    hypothesis-graphql weigh every root field of a schema this size each time."""
    scalars = scalar_strategies(known, node_type_names(schema))

    def one(name: str) -> st.SearchStrategy[Any]:
        document = hypothesis_graphql.from_schema(
            schema, fields=[name], custom_scalars=scalars, print_ast=lambda d: d
        )
        return with_real_values(schema, known, document)

    kinds = {
        root.name: {name: one(name) for name in root.fields}
        for root in (schema.query_type, schema.mutation_type)
        if root is not None
    }
    fields = [(kind, name) for kind, by_name in kinds.items() for name in by_name]
    each = max(1, examples * 2 // 3 // len(fields))
    result = [Round(f"{kind}.{name}", kinds[kind][name].map(graphql.print_ast), each)
              for kind, name in fields]  # fmt: skip
    several = st.sampled_from(sorted(kinds)).flatmap(
        lambda kind: st.lists(st.one_of(*kinds[kind].values()), min_size=2, max_size=3)
    )
    mixed = max(1, examples - each * len(fields))
    result.append(Round("several", several.map(_together).map(graphql.print_ast), mixed))
    return result


@dataclass
class Fuzzer:
    """Sends generated operations to one endpoint on the test's event loop and checks
    what every response must be."""

    kit: ConciergeTestKit
    loop: asyncio.AbstractEventLoop
    path: str
    token: Callable[[], Coroutine[Any, Any, str]]
    known: Known
    statuses: Counter[int] = field(default_factory=Counter)
    sent: int = 0
    clean: int = 0  # 200s without a top-level error

    async def send(self, document: str) -> None:
        token = await self.token()
        response = await self.kit.client.post(
            self.path,
            json={"query": document},
            headers={"accept": GRAPHQL_RESPONSE_JSON, "authorization": f"Bearer {token}"},
        )
        self.sent += 1
        self.statuses[response.status_code] += 1
        assert response.status_code < 500, (response.status_code, response.text)
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise AssertionError(f"not JSON: {response.text[:500]!r}") from exc
        assert isinstance(body, dict), body
        errors = body.get("errors") or []
        internal = [e for e in errors if (e.get("extensions") or {}).get("code") == "INTERNAL"]
        assert not internal, internal
        if response.status_code == 400:
            # Failed before execution (syntax, validation, limits): no data, no path.
            assert "data" not in body and errors, body
            assert not any(e.get("path") for e in errors), body
        else:
            assert response.status_code == 200, (response.status_code, body)
            assert "data" in body, body
            self.clean += not errors
        self.known.harvest(body.get("data"))

    def run(self, rounds: list[Round]) -> None:
        """Run hypothesis in a worker thread (``asyncio.to_thread``): its examples are
        plain calls, each handing its request to the test's event loop, where the app,
        the client and the database connections live, and waiting for the checks."""
        for planned in rounds:
            self._run(planned)

    def _run(self, planned: Round) -> None:
        @settings(
            max_examples=planned.examples,
            deadline=None,
            derandomize=FUZZ_SEED is None,
            database=None,  # nothing saved between runs: derandomized, a failure repeats
            suppress_health_check=list(HealthCheck),
        )
        @given(document=planned.documents)
        def fuzz(document: str) -> None:
            note(f"{planned.label}:\n{document}")
            asyncio.run_coroutine_threadsafe(self.send(document), self.loop).result()

        if FUZZ_SEED is not None:
            fuzz = seed(int(FUZZ_SEED))(fuzz)
        fuzz()

    def summary(self) -> str:
        return f"{self.sent} requests to {self.path}: {dict(self.statuses)}, {self.clean} clean"


def node_type_names(schema: graphql.GraphQLSchema) -> list[str]:
    node = schema.get_type("Node")
    assert isinstance(node, graphql.GraphQLInterfaceType)
    return sorted(t.name for t in schema.get_implementations(node).objects)


def _ids_below(
    schema: graphql.GraphQLSchema, kind: graphql.GraphQLObjectType, seen: frozenset[str]
) -> str:
    """``id`` and, a few levels down, the ids of the Node objects ``kind`` links to."""
    nodes_of = set(node_type_names(schema))
    selection = ["id"] if "id" in kind.fields else []
    if len(seen) < 3:
        for name, link in kind.fields.items():
            target = graphql.get_named_type(link.type)
            required = any(graphql.is_required_argument(a) for a in link.args.values())
            if (
                isinstance(target, graphql.GraphQLObjectType)
                and target.name in nodes_of
                and target.name not in seen
                and not required
            ):
                selection.append(f"{name} {{ {_ids_below(schema, target, seen | {target.name})} }}")
    return " ".join(selection)


def listing_queries(schema: graphql.GraphQLSchema) -> list[str]:
    """A query per root field that lists Node objects and needs no argument (with the
    ids of what they link to, such as an order's payments): what exists to be named."""
    nodes_of = set(node_type_names(schema))
    documents = []
    assert schema.query_type is not None
    for name, root in schema.query_type.fields.items():
        if any(graphql.is_required_argument(a) for a in root.args.values()):
            continue
        kind = graphql.get_named_type(root.type)
        if not isinstance(kind, graphql.GraphQLObjectType):
            continue
        if kind.name in nodes_of:
            documents.append(
                f"{{ {name} {{ {_ids_below(schema, kind, frozenset({kind.name}))} }} }}"
            )
        elif "edges" in kind.fields and "first" in root.args:
            edge = graphql.get_named_type(kind.fields["edges"].type)
            assert isinstance(edge, graphql.GraphQLObjectType)
            node = graphql.get_named_type(edge.fields["node"].type)
            if isinstance(node, graphql.GraphQLObjectType) and node.name in nodes_of:
                ids = _ids_below(schema, node, frozenset({node.name}))
                documents.append(
                    f"{{ {name}(first: 100) {{ edges {{ cursor node {{ {ids} }} }} }} }}"
                )
    return documents


async def fuzz(
    kit: ConciergeTestKit,
    schema: graphql.GraphQLSchema,
    path: str,
    token: Callable[[], Coroutine[Any, Any, str]],
    examples: int,
) -> Fuzzer:
    """Read what exists, then send about ``examples`` generated operations to ``path``."""
    fuzzer = Fuzzer(kit, asyncio.get_running_loop(), path, token, Known())
    for document in listing_queries(schema):
        response = await kit.client.post(
            path, json={"query": document}, headers={"authorization": f"Bearer {await token()}"}
        )
        assert response.status_code == 200 and "errors" not in response.json(), response.text
        fuzzer.known.harvest(response.json()["data"])
    assert fuzzer.known.ids, "nothing to name by ID"
    planned = rounds(schema, fuzzer.known, examples)
    await asyncio.to_thread(fuzzer.run, planned)
    print(fuzzer.summary())
    # The examples ran, one request each (a field without arguments has fewer to give).
    assert fuzzer.sent > 0.9 * sum(r.examples for r in planned), fuzzer.summary()
    assert fuzzer.statuses[200] > examples // 2 and fuzzer.clean > examples // 4, fuzzer.summary()
    return fuzzer


async def set_up_everything(kit: ConciergeTestKit) -> Resort:
    """A resort running every built-in plugin, with some of everything in it."""
    resort = await set_up_resort(kit, "sea-resort", plugins=EVERY_PLUGIN)
    hotel, store = resort.hotel, resort.store
    stay = await hotel.book("stay", arrive=0, nights=2, room="101", last_name="Lovelace")
    await hotel.ok("checkInReservation", {"reservation": stay["id"]})
    await hotel.book("later", arrive=3, nights=2, last_name="Hopper")
    await resort.sell({
        "saleId": "R-1", "outlet": "REST",
        "lines": [{"description": "Dinner", "quantity": 1, "unitPrice": "76.00"}],
        "roomCharge": {"roomNumber": "101", "lastName": "Lovelace"},
    })  # fmt: skip
    await resort.sell({
        "saleId": "G-1", "outlet": "GIFT", "payment": "CARD",
        "lines": [{"description": "Soap", "sku": "SOAP", "quantity": 1, "unitPrice": "6.50"}],
    })  # fmt: skip
    order = await store.place("o-1", ("SOAP", 2), ("TOTE", 1))
    await store.ok(
        "recordOrderPayment", {"order": order["id"], "amount": "37.00", "method": "card"}
    )
    await store.place("o-2", ("BEANS", 1))
    created = await hotel.request(
        "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input)"
        " { errors { code } } }",
        {"input": {"url": "https://example.com/hook", "eventTypes": ["*"]}},
    )
    assert created.ok()["createWebhookEndpoint"]["errors"] == []
    return resort


async def test_a_property_with_every_plugin_survives_fuzzing(
    concierge: ConciergeTestKit, concierge_host: PluginHost
) -> None:
    resort = await set_up_everything(concierge)
    prop = resort.hotel.prop
    # The schema the endpoint serves: the property's plugins, not schema.graphql's set
    # (which also holds whatever else is installed).
    served = concierge.runtime.schemas.for_plugins(EVERY_PLUGIN)
    schema = graphql.build_schema(served.as_str())

    async def owner() -> str:
        return concierge.token(prop.tenant_id)

    await fuzz(concierge, schema, f"/graphql/{prop.slug}", owner, FUZZ_EXAMPLES)
    report = await check_invariants(concierge.db, concierge_host, concierge.clock)
    assert report.holds, str(report)


async def test_the_account_endpoint_survives_fuzzing(
    concierge: ConciergeTestKit, concierge_host: PluginHost
) -> None:
    tenant = await concierge.tenant("globex")
    await concierge.property(tenant, "globex-resort", plugins=EVERY_PLUGIN)
    await concierge.property(tenant, "globex-shop", plugins=["oms_inventory"])
    await concierge.user(tenant, "viewer@globex.example", role="viewer")
    me = (await concierge.graphql("{ me { id email } }", tenant=tenant)).ok()["me"]
    owner = UserRef(
        id=int(relay.GlobalID.from_id(me["id"]).node_id),
        tenant_id=tenant.id,
        email=me["email"],
        password=TEST_PASSWORD,
    )

    # The tenant's owner, in a new sign-in session for each request: a generated logout
    # ends only that one (and a tenant keeps an owner: they cannot demote themselves).
    async def signed_in() -> str:
        return await concierge.token_for(owner)

    schema = graphql.build_schema(concierge.runtime.schemas.account().as_str())
    await fuzz(concierge, schema, "/graphql", signed_in, ACCOUNT_EXAMPLES)
    report = await check_invariants(concierge.db, concierge_host, concierge.clock)
    assert report.holds, str(report)
