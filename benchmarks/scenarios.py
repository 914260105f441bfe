"""What the suite asks: each scenario's GraphQL request, its baseline twin, and the
minimal check of every answer (right number of orders, the rooms the seed left free...).

The same check reads both answers: the baseline answers in GraphQL's JSON shape.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks.access import Credentials
from benchmarks.dataset import OUTLET, STAY_NIGHTS, Manifest, ShopFacts
from benchmarks.load import Check, Endpoint
from benchmarks.orders import ORDERS_PAGE, PAGE_FILTER
from benchmarks.rooms import AVAILABILITY
from benchmarks.server import BASELINE_PREFIX

GRAPHQL_ACCEPT = "application/graphql-response+json"

BOARD = """
query Board {
  housekeepingBoard {
    businessDate
    counts { dirty clean inspected vacant occupied outOfOrder outOfService arrivals departures }
    rooms {
      number floor condition occupancy arrivalToday departureToday
      block { kind reason }
      assignee { name }
      openTasks { id kind status note assignee { name } }
    }
  }
}
"""

PLACE_ORDER = """
mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    created
    order { id number status total { amount } lines { sku quantity } }
    errors { code message }
  }
}
"""

POS_SALE = """
mutation Sale($input: PostPosSaleInput!) {
  postPosSale(input: $input) {
    created
    sale {
      saleId settlement total { amount }
      roomCharge { roomNumber guestName reservationNumber }
    }
    errors { code message }
  }
}
"""

BAR_TAB = [
    {"description": "Mojito", "quantity": 2, "unitPrice": "9.50"},
    {"description": "Nachos", "quantity": 1, "unitPrice": "7.00"},
]


@dataclass
class Scenario:
    key: str
    title: str
    graphql: Endpoint
    baseline: Endpoint | None
    writes: bool = False
    # (api, clients) of each measured phase, in order.
    phases: list[tuple[str, int]] = field(default_factory=list)


def _graphql(
    slug: str, token: str, query: str, variables: Callable[[int], dict[str, Any]], check: Check
) -> Endpoint:
    def requests(index: int) -> tuple[str, dict[str, Any]]:
        return f"/graphql/{slug}", {"query": query, "variables": variables(index)}

    headers = {
        "authorization": f"Bearer {token}",
        "content-type": "application/json",
        "accept": GRAPHQL_ACCEPT,
    }
    return Endpoint("graphql", headers, requests, check)


def _baseline(
    slug: str, token: str, route: str, variables: Callable[[int], dict[str, Any]], check: Check
) -> Endpoint:
    def requests(index: int) -> tuple[str, dict[str, Any]]:
        return f"{BASELINE_PREFIX}/{slug}/{route}", variables(index)

    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    return Endpoint("baseline", headers, requests, check)


def _pair(
    key: str, title: str, slug: str, token: str, query: str, route: str | None,
    variables: Callable[[int], dict[str, Any]], check: Check, *, writes: bool = False,
) -> Scenario:  # fmt: skip
    return Scenario(
        key=key, title=title,
        graphql=_graphql(slug, token, query, variables, check),
        baseline=_baseline(slug, token, route, variables, check) if route else None,
        writes=writes,
    )  # fmt: skip


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------


def page_check(shop: ShopFacts, size: int) -> Check:
    """The page's totalCount is the seed's confirmed web orders; it holds ``size`` of
    them, each with its lines and customer."""
    expected = min(size, shop.matching)

    def check(index: int, data: dict[str, Any]) -> str | None:
        orders = data["orders"]
        if orders["totalCount"] != shop.matching:
            return f"totalCount {orders['totalCount']}, the seed made {shop.matching}"
        nodes = [edge["node"] for edge in orders["edges"]]
        if len(nodes) != expected:
            return f"{len(nodes)} orders on the page, {expected} expected"
        for node in nodes:
            if (node["status"], node["channel"]) != ("CONFIRMED", "WEB"):
                return f"order {node['number']} is {node['status']} on {node['channel']}"
            if not node["lines"] or node["customer"] is None:
                return f"order {node['number']} came without its lines or customer"
        return None

    return check


def availability_check(arrivals: list[tuple[str, dict[str, int]]]) -> Check:
    """The room types offered, with as many free rooms as the seed left, each with both
    rate plans priced for every night."""

    def check(index: int, data: dict[str, Any]) -> str | None:
        arrival, free = arrivals[index % len(arrivals)]
        offers = data["availability"]
        got = {offer["roomTypeCode"]: offer["freeRooms"] for offer in offers}
        if got != free:
            return f"arrival {arrival}: offered {got}, the seed left {free}"
        for offer in offers:
            rates = offer["rates"]
            if len(rates) != 2 or any(len(rate["nights"]) != STAY_NIGHTS for rate in rates):
                return f"{offer['roomTypeCode']}: not two rate plans priced for every night"
        return None

    return check


def board_check(manifest: Manifest) -> Check:
    resort = manifest.resort

    def check(index: int, data: dict[str, Any]) -> str | None:
        board = data["housekeepingBoard"]
        tasks = sum(len(room["openTasks"]) for room in board["rooms"])
        got = (len(board["rooms"]), board["counts"]["dirty"], tasks)
        want = (resort.rooms, resort.dirty, resort.open_tasks)
        if got != want:
            return f"rooms, dirty, open tasks {got}; the seed made {want}"
        return None

    return check


def placement_check(index: int, data: dict[str, Any]) -> str | None:
    payload = data["placeOrder"]
    if payload["errors"] or not payload["created"] or payload["order"] is None:
        return f"not placed: {payload['errors']}"
    if len(payload["order"]["lines"]) != 2:
        return f"order {payload['order']['number']} has {len(payload['order']['lines'])} lines"
    return None


def sale_check(guests: list[tuple[str, str]]) -> Check:
    def check(index: int, data: dict[str, Any]) -> str | None:
        payload = data["postPosSale"]
        if payload["errors"] or not payload["created"] or payload["sale"] is None:
            return f"not posted: {payload['errors']}"
        room, _ = guests[index % len(guests)]
        charge = payload["sale"]["roomCharge"] or {}
        if payload["sale"]["settlement"] != "ROOM_CHARGE" or charge.get("roomNumber") != room:
            return f"not charged to room {room}: {payload['sale']}"
        return None

    return check


# ---------------------------------------------------------------------------
# The scenarios
# ---------------------------------------------------------------------------


def _label(orders: int) -> str:
    return f"{orders // 1000:,}k" if orders >= 1000 and orders % 1000 == 0 else f"{orders:,}"


def page_keys(manifest: Manifest) -> tuple[str, str, str]:
    """The keys of the orders page at 50 on the big shop and on the small one, and at 10
    on the big shop (the targets compare them)."""
    big, small = _label(manifest.shop.orders), _label(manifest.small_shop.orders)
    return f"orders-page-50-{big}", f"orders-page-50-{small}-small", f"orders-page-10-{big}"


def scenarios(manifest: Manifest, access: Credentials, clients: int) -> list[Scenario]:
    """Reads first, then writes (which change the working copy: new orders, sales)."""
    shop, small, resort = manifest.shop, manifest.small_shop, manifest.resort
    token = access.manager_tokens[shop.tenant_id]  # the big shop's and the resort's tenant
    big_label, small_label = _label(shop.orders), _label(small.orders)
    big_key, small_key, ten_key = page_keys(manifest)
    both = [("graphql", clients), ("baseline", clients)]
    with_one = [*both, ("graphql", 1), ("baseline", 1)]

    def page(size: int) -> Callable[[int], dict[str, Any]]:
        return lambda index: {"first": size, "filter": PAGE_FILTER}

    found = []
    for facts, key, label in ((shop, big_key, big_label), (small, small_key, small_label)):
        scenario = _pair(
            key, f"orders page, 50, {label} orders", facts.slug,
            access.manager_tokens[facts.tenant_id], ORDERS_PAGE, "orders", page(50),
            page_check(facts, 50),
        )  # fmt: skip
        scenario.phases = list(with_one)
        found.append(scenario)
    ten = _pair(
        ten_key, f"orders page, 10, {big_label} orders", shop.slug, token, ORDERS_PAGE, None,
        page(10), page_check(shop, 10),
    )  # fmt: skip
    ten.phases = [("graphql", clients)]
    found.insert(1, ten)

    arrivals = resort.availability

    def stay(index: int) -> dict[str, Any]:
        arrival = dt.date.fromisoformat(arrivals[index % len(arrivals)][0])
        departure = arrival + dt.timedelta(days=STAY_NIGHTS)
        return {"arrival": arrival.isoformat(), "departure": departure.isoformat(), "adults": 2}

    rooms = _pair(
        "availability-30-nights", f"availability, {STAY_NIGHTS} nights, {resort.rooms} rooms",
        resort.slug, token, AVAILABILITY, "availability", stay, availability_check(arrivals),
    )  # fmt: skip
    board = _pair(
        "housekeeping-board", f"housekeeping board, {resort.rooms} rooms", resort.slug, token,
        BOARD, "housekeeping-board", lambda index: {}, board_check(manifest),
    )  # fmt: skip

    def order(index: int) -> dict[str, Any]:
        # Two SKUs of the catalog (stock_catalog's names), a returning customer in four.
        first, second = (index * 7919) % shop.skus, (index * 7919 + 1) % shop.skus
        return {"input": {
            "idempotencyKey": f"bench-{index}", "email": f"buyer{index % 4000}@example.com",
            "customerName": "Bench Buyer",
            "lines": [{"sku": f"SKU-{first:05d}", "quantity": 1 + index % 3},
                      {"sku": f"SKU-{second:05d}", "quantity": 1}],
        }}  # fmt: skip

    place = _pair(
        "place-order", f"placeOrder, 2 lines, {big_label} orders", shop.slug, token,
        PLACE_ORDER, "place-order", order, placement_check, writes=True,
    )  # fmt: skip
    guests = resort.in_house

    def sale(index: int) -> dict[str, Any]:
        room, last_name = guests[index % len(guests)]
        return {"input": {
            "outlet": OUTLET, "saleId": f"bench-{index}", "lines": BAR_TAB,
            "roomCharge": {"roomNumber": room, "lastName": last_name},
        }}  # fmt: skip

    charge = _pair(
        "pos-room-charge", "POS sale charged to a room", resort.slug, access.till_key,
        POS_SALE, "pos-sale", sale, sale_check(guests), writes=True,
    )  # fmt: skip
    for scenario in (rooms, board, place, charge):
        scenario.phases = list(both)
    return [*found, rooms, board, place, charge]
