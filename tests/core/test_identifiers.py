"""Identifiers (slugs, SKUs, codes, role names, e-mails, event types) end where they seem
to: a trailing newline is not a different SKU or a slug reachable as `/graphql/acme%0A`.
Python's `$` matches before a final newline, so every pattern ends in `\\Z` instead."""

from __future__ import annotations

import re

import pytest

from core.scaffold import NAME
from core.tenancy import SLUG_PATTERN
from core.testing import ConciergeTestKit
from core.users import EMAIL_PATTERN, ROLE_NAME_PATTERN
from plugins.oms_inventory.service.catalog import CODE_PATTERN, SKU_PATTERN
from plugins.pos_bridge.service.outlets import CODE as OUTLET_CODE
from plugins.webhooks.service.endpoints import EVENT_TYPE

PATTERNS: dict[str, tuple[re.Pattern[str], str]] = {
    "property slug": (SLUG_PATTERN, "acme-shop"),
    "role name": (ROLE_NAME_PATTERN, "auditor"),
    "e-mail": (EMAIL_PATTERN, "ada@example.com"),
    "plugin name": (NAME, "loyalty"),
    "SKU": (SKU_PATTERN, "SOAP-1"),
    "location code": (CODE_PATTERN, "MAIN"),
    "outlet code": (OUTLET_CODE, "REST"),
    "webhook event type": (EVENT_TYPE, "oms_orders.*"),
}


@pytest.mark.parametrize("name", PATTERNS)
def test_a_trailing_newline_makes_no_identifier(name: str) -> None:
    pattern, good = PATTERNS[name]
    assert pattern.match(good)
    assert not pattern.match(good + "\n")


async def test_a_role_named_with_a_trailing_newline_is_refused(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    save = (
        'mutation { saveRole(input: {name: "auditor\\n", permissions: ["reports:read"]})'
        " { errors { code field } } }"
    )
    refused = (await concierge.graphql(save, tenant=tenant)).ok()["saveRole"]["errors"]
    assert [error["code"] for error in refused] == ["INVALID_INPUT"], refused
    roles = (await concierge.graphql("{ roles { name } }", tenant=tenant)).ok()["roles"]
    assert not any(role["name"].startswith("auditor") for role in roles)
