"""Schema composition: one schema per set of enabled plugins; collisions stop start-up."""

from __future__ import annotations

import datetime as dt
import types
from pathlib import Path

import pytest
import strawberry
from strawberry import relay

from core import Plugin, hookimpl
from core.config import Settings
from core.graphql import GraphQLContribution, Money
from core.graphql.permissions import public
from core.plugins import PluginError, PluginHost
from core.schema import SchemaRegistry, export_schema_sdl
from core.testing import ConciergeTestKit

ROOT = Path(__file__).resolve().parents[2]
NOTE_TYPE = '{ __type(name: "Note") { name } }'

# Contributions of made-up plugins (module level, so strawberry can resolve them).


@strawberry.type
class BarQuery:
    @strawberry.field(permission_classes=public())
    def opened_at(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    @strawberry.field(permission_classes=public())
    def tab_total(self) -> Money:
        return Money.from_minor(1250, "EUR")


@strawberry.type
class SpaQuery:
    @strawberry.field(permission_classes=public())
    def booked_at(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    @strawberry.field(permission_classes=public())
    def treatment_price(self) -> Money:
        return Money.from_minor(9000, "EUR")


@strawberry.type(name="Voucher")
class VoucherA:
    code: str


@strawberry.type(name="Voucher")
class VoucherB:
    serial: int


@strawberry.type
class QueryA:
    @strawberry.field(permission_classes=public())
    def voucher_a(self) -> VoucherA:
        return VoucherA(code="x")


@strawberry.type
class QueryB:
    @strawberry.field(permission_classes=public())
    def voucher_b(self) -> VoucherB:
        return VoucherB(serial=1)


@strawberry.type
class MutationA:
    @strawberry.mutation(permission_classes=public())
    def redeem(self) -> bool:
        return True


@strawberry.type
class MutationB:
    @strawberry.mutation(permission_classes=public())
    def redeem(self) -> bool:
        return False


@strawberry.type
class UsurperQuery:
    @strawberry.field(permission_classes=public())
    def current_property(self) -> str:
        return "mine"


@strawberry.type
class Product:
    sku: str


@strawberry.type
class CatalogQuery:
    @strawberry.field(permission_classes=public())
    def product(self) -> Product:
        return Product(sku="A")


@strawberry.type
class ShopQuery:
    @strawberry.field(permission_classes=public())
    def featured(self) -> Product:
        return Product(sku="B")


async def test_properties_with_different_plugins_get_different_schemas(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    with_notes = await concierge.property(tenant, "with-notes", plugins=["test_notes"])
    without = await concierge.property(tenant, "without-notes")

    assert (await concierge.graphql(NOTE_TYPE, property=with_notes)).ok()["__type"] == {
        "name": "Note"
    }
    assert (await concierge.graphql(NOTE_TYPE, property=without)).ok()["__type"] is None

    missing = await concierge.graphql("{ notes { totalCount } }", property=without)
    assert missing.status == 400
    assert "notes" in missing.errors[0]["message"]


async def test_disabling_removes_the_fields_and_enabling_brings_back_the_data(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    added = await concierge.graphql(
        'mutation { addNote(input: {text: "keep me"}) { note { text } errors { message } } }',
        property=shop,
    )
    assert added.ok()["addNote"]["note"] == {"text": "keep me"}

    await concierge.disable(shop, "test_notes")
    gone = await concierge.graphql("{ notes { totalCount } }", property=shop)
    assert gone.status == 400

    await concierge.enable(shop, "test_notes")
    back = await concierge.graphql("{ notes { edges { node { text } } } }", property=shop)
    texts = [edge["node"]["text"] for edge in back.ok()["notes"]["edges"]]
    assert texts == ["Welcome", "keep me"]  # seeding is idempotent: still one Welcome


async def test_schemas_are_cached_per_plugin_set(concierge: ConciergeTestKit) -> None:
    schemas = concierge.runtime.schemas
    first = schemas.for_plugins({"test_notes", "oms_orders"})
    assert schemas.for_plugins(["oms_orders", "test_notes"]) is first
    assert schemas.for_plugins({"oms_orders"}) is not first


def _contributing(name: str, contribution: GraphQLContribution, **kwargs) -> Plugin:
    hooks = types.ModuleType(f"{name}_hooks")

    @hookimpl
    def concierge_graphql() -> GraphQLContribution:
        return contribution

    hooks.concierge_graphql = concierge_graphql
    return Plugin(name=name, version="1", description=name, hooks=hooks, **kwargs)


def _settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db", secret_key="x" * 40)


def test_two_plugins_contributing_one_type_name_stop_start_up(tmp_path: Path) -> None:
    host = PluginHost(
        [
            _contributing("gift_cards", GraphQLContribution(query=QueryA)),
            _contributing("promotions", GraphQLContribution(query=QueryB)),
        ]
    )
    with pytest.raises(PluginError) as raised:
        SchemaRegistry(host, _settings(tmp_path))
    message = str(raised.value)
    assert "'gift_cards'" in message and "'promotions'" in message and "Voucher" in message


def test_two_plugins_contributing_one_root_field_stop_start_up(tmp_path: Path) -> None:
    host = PluginHost(
        [
            _contributing("gift_cards", GraphQLContribution(mutation=MutationA)),
            _contributing("promotions", GraphQLContribution(mutation=MutationB)),
        ]
    )
    with pytest.raises(PluginError) as raised:
        SchemaRegistry(host, _settings(tmp_path))
    message = str(raised.value)
    assert "'gift_cards'" in message and "'promotions'" in message and "redeem" in message


def test_a_plugin_redefining_a_core_root_field_stops_start_up(tmp_path: Path) -> None:
    host = PluginHost([_contributing("usurper", GraphQLContribution(query=UsurperQuery))])
    with pytest.raises(PluginError, match=r"usurper.*currentProperty"):
        SchemaRegistry(host, _settings(tmp_path))


def test_a_plugin_may_reuse_the_types_of_a_plugin_it_requires(tmp_path: Path) -> None:
    host = PluginHost(
        [
            _contributing("catalog", GraphQLContribution(query=CatalogQuery)),
            _contributing("shopfront", GraphQLContribution(query=ShopQuery), requires=("catalog",)),
        ]
    )
    registry = SchemaRegistry(host, _settings(tmp_path))
    sdl = registry.full().as_str()
    assert "featured: Product!" in sdl and "product: Product!" in sdl


def test_independent_plugins_may_share_core_types(tmp_path: Path) -> None:
    """DateTime, Money and other shared classes are not collisions."""
    host = PluginHost(
        [
            _contributing("bar_tabs", GraphQLContribution(query=BarQuery)),
            _contributing("spa_bookings", GraphQLContribution(query=SpaQuery)),
        ]
    )
    sdl = SchemaRegistry(host, _settings(tmp_path)).full().as_str()
    assert "openedAt: DateTime!" in sdl and "treatmentPrice: Money!" in sdl


def test_schema_graphql_is_fresh() -> None:
    """schema.graphql must equal `concierge export-schema`; regenerate it when this fails."""
    from core.cli import builtin_plugin_names

    host = PluginHost.discover(only=builtin_plugin_names())
    registry = SchemaRegistry(
        host, Settings(database_url="sqlite+aiosqlite://", secret_key="x" * 40)
    )
    expected = export_schema_sdl(registry)
    current = (ROOT / "schema.graphql").read_text()
    assert current == expected, (
        "schema.graphql is stale: run `concierge export-schema -o schema.graphql`"
    )


@strawberry.type
class UnguardedQuery:
    @strawberry.field
    def secret_stock(self) -> int:
        return 42


@strawberry.type
class Gadget(relay.Node):
    id: relay.NodeID[int]


@strawberry.type
class GadgetQuery:
    @strawberry.field(permission_classes=public())
    def gadget(self) -> Gadget:
        return Gadget(id=1)


def test_a_root_field_without_a_guard_stops_start_up(tmp_path: Path) -> None:
    host = PluginHost([_contributing("careless", GraphQLContribution(query=UnguardedQuery))])
    with pytest.raises(PluginError, match=r"'careless'.*'secret_stock' declares no guard"):
        SchemaRegistry(host, _settings(tmp_path))


def test_a_node_type_without_read_permission_stops_start_up(tmp_path: Path) -> None:
    host = PluginHost([_contributing("gadgets", GraphQLContribution(query=GadgetQuery))])
    with pytest.raises(PluginError, match=r"'gadgets'.*'Gadget' declares no read_permission"):
        SchemaRegistry(host, _settings(tmp_path))


def test_every_core_root_field_declares_a_guard(tmp_path: Path) -> None:
    from core.graphql.account.schema import AccountMutation, AccountQuery
    from core.graphql.root import PropertyQuery
    from core.schema import check_guards

    for contribution in (
        GraphQLContribution(query=AccountQuery, mutation=AccountMutation),
        GraphQLContribution(query=PropertyQuery),
    ):
        check_guards(contribution, "core")
