"""Who may do what in housekeeping, per built-in role, over real HTTP: one table, one
column per role. A refused root field is a top-level FORBIDDEN error and changes
nothing; an allowed one answers (a mutation's own checks may still refuse in its payload)."""

from __future__ import annotations

from typing import Any

import pytest
from housekeeping_kit import MUTATIONS, Housekeeping, mutation_document

from core.testing import GraphQLResult

ROLES = ("front_desk", "housekeeping", "housekeeper", "viewer", "cashier", "manager")
# x: allowed, .: refused; one column per role, in the order of ROLES.
MATRIX = """
housekeepingSettings        x x . x . x
housekeepingBoard           x x . x . x
housekeepingTasks           x x . x . x
myHousekeepingTasks         . x x . . x
roomBlocks                  x x . x . x
roomConditionChanges        x x . x . x
housekeepers                x x . x . x
node:HousekeepingTask       x x . x . x
updateHousekeepingSettings  . x . . . x
setRoomCondition            . x . . . x
inspectRoom                 . x . . . x
createRoomBlock             . x . . . x
releaseRoomBlock            . x . . . x
createHousekeepingTask      . x . . . x
assignHousekeepingTasks     . x . . . x
startHousekeepingTask       . x x . . x
finishHousekeepingTask      . x x . . x
cancelHousekeepingTask      . x . . . x
"""
ALLOWED: dict[str, frozenset[str]] = {
    op: frozenset(role for role, mark in zip(ROLES, marks, strict=True) if mark == "x")
    for op, *marks in (line.split() for line in MATRIX.strip().splitlines())
}
READS = {
    "housekeepingSettings": "{ housekeepingSettings { inspectionRequired } }",
    "housekeepingBoard": "{ housekeepingBoard { rooms { number } } }",
    "housekeepingTasks": "{ housekeepingTasks { totalCount } }",
    "myHousekeepingTasks": "{ myHousekeepingTasks { id } }",
    "roomBlocks": "{ roomBlocks { totalCount } }",
    "roomConditionChanges": "{ roomConditionChanges { totalCount } }",
    "housekeepers": "{ housekeepers { name } }",
    "node:HousekeepingTask": "query($id: ID!) { node(id: $id) { ... on HousekeepingTask { id } } }",
}


def test_the_table_covers_every_housekeeping_mutation() -> None:
    assert {op for op in ALLOWED if op not in READS} == set(MUTATIONS)


def forbidden(result: GraphQLResult) -> bool:
    return [(e.get("extensions") or {}).get("code") for e in result.errors] == ["FORBIDDEN"]


@pytest.mark.parametrize("role", ROLES)
async def test_what_each_role_may_read_and_do(hk: Housekeeping, role: str) -> None:
    hotel = hk.hotel
    user = await hk.kit.user(hotel.tenant, f"{role}@sea.example", role=role, property=hotel.prop)
    token = await hk.kit.token_for(user)
    from strawberry import relay

    task = (await hk.ok("createHousekeepingTask", {
        "room": "101", "kind": "DEPARTURE",
        **({"assignee": relay.to_base64("User", user.id)} if role in ("housekeeper",
           "housekeeping", "manager") else {}),
    }))["task"]  # fmt: skip
    spare = (await hk.ok("createHousekeepingTask", {"room": "102", "kind": "STAY_OVER"}))["task"]
    block = (await hk.ok("createRoomBlock", {
        "room": "104", "kind": "OUT_OF_SERVICE", "reason": "Paint", "start": hotel.day(0),
        "end": hotel.day(1),
    }))["block"]  # fmt: skip

    for op, document in READS.items():
        variables = {"id": task["id"]} if op.startswith("node:") else None
        result = await hotel.request(document, variables, token=token)
        if op.startswith("node:"):
            assert result.errors == [], (role, op, result.body)
            assert (result.data["node"] is not None) is (role in ALLOWED[op]), (role, op)
            continue
        assert forbidden(result) is (role not in ALLOWED[op]), (role, op, result.body)
        if role in ALLOWED[op]:
            assert result.errors == [], (role, op, result.body)

    inputs: dict[str, dict[str, Any]] = {
        "updateHousekeepingSettings": {"stayOverCleaning": True},
        "setRoomCondition": {"room": "102", "condition": "DIRTY"},
        "inspectRoom": {"room": "103", "passed": True},
        "createRoomBlock": {"room": "103", "kind": "OUT_OF_SERVICE", "reason": "Paint",
                            "start": hotel.day(3), "end": hotel.day(4)},
        "releaseRoomBlock": {"block": block["id"]},
        "createHousekeepingTask": {"room": "102", "kind": "MAINTENANCE"},
        "assignHousekeepingTasks": {"tasks": [spare["id"]], "assignee": hk.ivo.id},
        "startHousekeepingTask": {"task": task["id"]},
        "finishHousekeepingTask": {"task": task["id"]},
        "cancelHousekeepingTask": {"task": spare["id"]},
    }  # fmt: skip
    # In an order where each allowed call succeeds: start before finish.
    for op in ("updateHousekeepingSettings", "setRoomCondition", "inspectRoom",
               "createRoomBlock", "releaseRoomBlock", "createHousekeepingTask",
               "startHousekeepingTask", "finishHousekeepingTask", "assignHousekeepingTasks",
               "cancelHousekeepingTask"):  # fmt: skip
        before = await hk.snapshot()
        result = await hotel.request(mutation_document(op), {"input": inputs[op]}, token=token)
        if role not in ALLOWED[op]:
            assert forbidden(result), (role, op, result.body)
            assert await hk.snapshot() == before, (role, op)
            continue
        assert result.errors == [], (role, op, result.body)
        assert result.data[op]["errors"] == [], (role, op, result.data)
