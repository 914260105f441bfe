"""`concierge check`'s data invariants (core.invariants and each plugin's): they hold on
data made through the API, and a corruption made behind the API's back is reported in a
line that names the property, the invariant and the row."""

from __future__ import annotations

from typing import Any

from hotel_kit import Hotel, set_up_hotel
from orders_store import CATALOG, CREATE_PRODUCT, INVENTORY, ORDERS, RECEIVE, Store
from pos_kit import set_up_resort
from sqlalchemy import text, update

from core.invariants import check_invariants
from core.plugins import PluginHost
from core.testing import ConciergeTestKit
from plugins.oms_inventory.models import StockLevel
from plugins.pms_rooms.models import Folio, FolioLine, RoomNight


async def shop(concierge: ConciergeTestKit) -> Store:
    tenant = await concierge.tenant("acme")
    prop = await concierge.property(tenant, "acme-shop", plugins=[INVENTORY, ORDERS])
    store = Store(concierge, tenant, prop, True)
    for sku, price, quantity in CATALOG:
        variant = {"name": sku.title(), "variants": [{"sku": sku, "price": price}]}
        assert (await store.request(CREATE_PRODUCT, {"input": variant})).ok()
        received = {"sku": sku, "location": "MAIN", "quantity": quantity}
        assert (await store.request(RECEIVE, {"input": received})).ok()
    order = await store.place("o-1", ("SOAP", 2), ("TOTE", 1))
    await store.ok(
        "recordOrderPayment", {"order": order["id"], "amount": "37.00", "method": "card"}
    )
    return store


async def hotel(concierge: ConciergeTestKit) -> tuple[Hotel, dict[str, Any]]:
    hotel = await set_up_hotel(concierge, "sea-hotel")
    stay = await hotel.book("stay", arrive=0, nights=2)
    await hotel.ok("checkInReservation", {"reservation": stay["id"]})
    await hotel.ok(
        "postFolioEntry",
        {"reservation": stay["id"], "kind": "charge", "amount": "30.00", "description": "Spa"},
    )
    canceled = await hotel.book("gone", arrive=3, nights=2, last_name="Hopper")
    await hotel.ok("cancelReservation", {"reservation": canceled["id"]})
    return hotel, stay


async def test_data_made_through_the_api_keeps_every_invariant(
    concierge: ConciergeTestKit, concierge_host: PluginHost
) -> None:
    await shop(concierge)
    await hotel(concierge)
    report = await check_invariants(concierge.db, concierge_host)
    assert report.holds, str(report)
    # The core's orphan check, the shop's 5 (inventory 3, orders 2), the hotel's 3.
    assert (report.properties, report.checked) == (2, 1 + 5 + 3)
    assert str(report) == "invariants: 9 checks on 2 properties, every one holds"


async def test_stock_changed_behind_the_ledgers_back_is_reported(
    concierge: ConciergeTestKit, concierge_host: PluginHost
) -> None:
    store = await shop(concierge)
    async with concierge.transaction(store.prop) as session:
        await session.execute(update(StockLevel).values(on_hand=StockLevel.on_hand + 1))
    report = await check_invariants(concierge.db, concierge_host)
    lines = [str(v) for v in report.violations]
    soap = (
        "acme-shop: oms_inventory.levels_match_ledger: level SOAP at MAIN: "
        "on hand/allocated/held (11, 2, 0), its ledger says (10, 2, 0)"
    )
    assert soap in lines, lines
    assert not report.holds


async def test_a_folio_out_of_balance_and_a_stay_missing_a_night_are_reported(
    concierge: ConciergeTestKit, concierge_host: PluginHost
) -> None:
    hotel_, stay = await hotel(concierge)
    async with concierge.transaction(hotel_.prop) as session:
        await session.execute(update(Folio).values(balance_minor=Folio.balance_minor - 1))
        night = await session.scalar(RoomNight.__table__.select().limit(1))
        await session.execute(RoomNight.__table__.delete().where(RoomNight.__table__.c.id == night))
    report = await check_invariants(concierge.db, concierge_host)
    found = {(v.where, v.invariant) for v in report.violations}
    assert ("sea-hotel", "pms_rooms.folios_balance") in found
    assert ("sea-hotel", "pms_rooms.stays_hold_their_nights") in found
    problem = next(v.problem for v in report.violations if v.invariant.endswith("nights"))
    assert problem == f"reservation {stay['number']} (in_house) holds 1 nights, not 2"


async def test_a_row_pointing_at_a_deleted_row_is_reported(
    concierge: ConciergeTestKit, concierge_host: PluginHost
) -> None:
    """The orphan check reads every foreign key, for databases (or plugins' tables) that
    do not enforce them; here the database's enforcement is switched off to make one."""
    await hotel(concierge)
    async with concierge.db.engine.connect() as conn:
        if concierge.db.is_sqlite:
            await conn.execute(text("COMMIT"))
            await conn.execute(text("PRAGMA foreign_keys = OFF"))
            await conn.execute(text("DELETE FROM pms_folios"))
            await conn.execute(text("PRAGMA foreign_keys = ON"))
        else:
            await conn.execute(text("SET session_replication_role = replica"))
            await conn.execute(text("DELETE FROM pms_folios"))
            await conn.execute(text("SET session_replication_role = DEFAULT"))
            await conn.commit()
    report = await check_invariants(concierge.db, concierge_host)
    orphans = [v for v in report.violations if v.invariant == "core.no_orphans"]
    assert [str(v) for v in orphans] == [
        "database: core.no_orphans: 1 row of pms_folio_lines point at a pms_folios row that "
        "is gone (folio_id)"
    ], str(report)


async def test_an_outlet_day_that_no_longer_matches_the_folios_is_reported(
    concierge: ConciergeTestKit, concierge_host: PluginHost
) -> None:
    resort = await set_up_resort(concierge)
    reservation = await resort.hotel.book("guest", nights=2, room="101", last_name="Lovelace")
    await resort.hotel.ok("checkInReservation", {"reservation": reservation["id"]})
    bill = {
        "saleId": "R-1", "outlet": "REST",
        "lines": [{"description": "Dinner", "quantity": 1, "unitPrice": "76.00"}],
        "roomCharge": {"roomNumber": "101", "lastName": "Lovelace"},
    }  # fmt: skip
    await resort.sell(bill)
    assert (await check_invariants(concierge.db, concierge_host)).holds
    async with concierge.transaction(resort.hotel.prop) as session:
        await session.execute(
            update(FolioLine).where(FolioLine.reference == "pos:REST:R-1").values(amount_minor=0)
        )
    report = await check_invariants(concierge.db, concierge_host)
    reconcile = [v for v in report.violations if v.invariant == "pos_bridge.days_reconcile"]
    assert len(reconcile) == 1, str(report)
    assert "outlet REST on " in reconcile[0].problem
    assert "charged to rooms 7600, on the folios 0" in reconcile[0].problem
