"""Rules for notes: the only place that writes test_notes."""

from enum import Enum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.errors import DomainError
from core.events import record_event
from notes_plugin.models import NoteRow

MAX_LENGTH = 500


class NoteErrorCode(Enum):
    INVALID_INPUT = "invalid_input"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"


async def add_note(session: AsyncSession, text: str, *, clock: Clock) -> NoteRow:
    if not text.strip():
        raise DomainError(NoteErrorCode.INVALID_INPUT, "a note needs text", field=["text"])
    if len(text) > MAX_LENGTH:
        raise DomainError(
            NoteErrorCode.TOO_LONG, "note is too long", field=["text"], max_length=MAX_LENGTH
        )
    note = NoteRow(text=text, created_at=clock.now())
    session.add(note)
    await session.flush()
    record_event(session, "test_notes.note_added", {"note_id": note.id, "text": text}, clock=clock)
    return note


async def seed_welcome_note(session: AsyncSession, clock: Clock) -> None:
    count = await session.scalar(select(func.count()).select_from(NoteRow))
    if not count:
        session.add(NoteRow(text="Welcome", created_at=clock.now()))
