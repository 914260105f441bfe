"""core.testing.PropertyClient, exactly as docs/plugins.md shows it (the test below checks
the guide's example is this file's code)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from notes_plugin.models import NoteRow

from core.testing import ConciergeTestKit, PropertyClient, PropertyRef

MUTATIONS = {"addNote": "AddNoteInput"}


@dataclass
class Notebook(PropertyClient):
    kit: ConciergeTestKit
    prop: PropertyRef

    def mutation_document(self, name: str) -> str:
        return (
            f"mutation($input: {MUTATIONS[name]}!) {{ {name}(input: $input) {{"
            " note { text } errors { code message } } }"
        )


async def test_a_blank_note_is_refused_and_nothing_is_written(concierge):
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    notes = Notebook(concierge, shop)
    before = await notes.rows(NoteRow)
    error = await notes.fails("addNote", {"text": " "}, "INVALID_INPUT")
    assert "text" in error["message"]
    assert await notes.rows(NoteRow) == before


async def test_ok_returns_the_payload(concierge: ConciergeTestKit) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    added = await Notebook(concierge, shop).ok("addNote", {"text": "hello"})
    assert added == {"note": {"text": "hello"}, "errors": []}


def test_the_guide_shows_this_code() -> None:
    guide = (Path(__file__).parents[2] / "docs" / "plugins.md").read_text()
    section = guide.split("### Your own helper: `PropertyClient`", 1)[1]
    example = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    here = Path(__file__).read_text()
    for line in example.strip().splitlines():
        assert line in here, f"the guide's line {line!r} is not in this test"


async def test_the_owner_stays_signed_in_when_a_test_moves_time_by_months(
    concierge: ConciergeTestKit,
) -> None:
    """Jobs that act on weeks-old data (expiry, reminders) are tested by moving the clock;
    the kit's default owner token follows, though a real sign-in session lasts 30 days."""
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    stale = concierge.token(tenant)
    concierge.clock.advance(dt.timedelta(days=90))
    assert (
        await concierge.graphql("{ notes { totalCount } }", property=shop, token=stale)
    ).status == 401
    listed = await concierge.graphql("{ notes { totalCount } }", property=shop)
    assert listed.ok() == {"notes": {"totalCount": 1}}
