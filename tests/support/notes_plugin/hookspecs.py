"""Hooks the test_notes plugin offers to other plugins."""

from core import hookspec


@hookspec
def test_notes_note_added(text: str) -> str | None:
    """Called when a note is added, before commit; may return a tag for the note."""
