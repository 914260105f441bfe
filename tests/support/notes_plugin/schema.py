"""GraphQL for notes: thin, calls service.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator
from typing import ClassVar

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.types import Info

from core.errors import DomainError
from core.graphql import Connection, Error, error_from, load_nodes, paginate
from core.graphql.permissions import public, requires
from notes_plugin import service
from notes_plugin.models import NoteRow

NoteErrorCodeEnum = strawberry.enum(service.NoteErrorCode, name="NoteErrorCode")


@strawberry.type
class Note(relay.Node):
    read_permission: ClassVar[str | None] = "notes:read"

    id: relay.NodeID[int]
    text: str
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: NoteRow) -> Note:
        return cls(id=row.id, text=row.text, created_at=row.created_at)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await load_nodes(info, NoteRow, node_ids, cls.from_row)


@strawberry.type
class NoteError(Error):
    code: NoteErrorCodeEnum  # type: ignore[valid-type]
    max_length: int | None = None


@strawberry.input
class AddNoteInput:
    text: str


@strawberry.type
class AddNotePayload:
    note: Note | None = None
    errors: list[NoteError] = strawberry.field(default_factory=list)


@strawberry.type
class NotesQuery:
    @strawberry.field(permission_classes=requires("notes:read"))
    async def notes(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Note]:
        page = await paginate(
            info,
            select(NoteRow),
            sort_key=NoteRow.created_at,
            pk=NoteRow.id,
            first=first,
            after=after,
        )
        return page.to_connection(Note.from_row)

    @strawberry.field(permission_classes=public())
    def note_context_mark(self, info: Info) -> str | None:
        return info.context.extras.get("test_notes.mark")

    @strawberry.field(permission_classes=public())
    def explode(self) -> str:
        raise RuntimeError("secret internals: /etc/passwd")


@strawberry.type
class NotesMutation:
    @strawberry.mutation(permission_classes=requires("notes:write"))
    async def add_note(self, info: Info, input: AddNoteInput) -> AddNotePayload:
        try:
            async with info.context.transaction() as session:
                row = await service.add_note(session, input.text, clock=info.context.clock)
                note = Note.from_row(row)
        except DomainError as exc:
            return AddNotePayload(errors=[error_from(exc, NoteError, service.NoteErrorCode)])
        return AddNotePayload(note=note)


@strawberry.type
class NotesSubscription:
    @strawberry.subscription(permission_classes=requires("notes:read"))
    async def note_added(self, info: Info) -> AsyncGenerator[Note, None]:
        bus = info.context.runtime.bus
        async with bus.subscribe(info.context.property.id) as queue:
            while True:
                event = await queue.get()
                if event.name == "test_notes.note_added":
                    yield Note(
                        id=event.payload["note_id"],
                        text=event.payload["text"],
                        created_at=event.occurred_at,
                    )
