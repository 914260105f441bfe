"""What the client asked for below the field being resolved: a resolver that loads a
page's children ahead (core.graphql.loaders.load_ahead) does so only when they are
selected, so a query that does not ask for them costs no extra statement."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from strawberry.types import Info
from strawberry.types.nodes import SelectedField


def _fields(selections: Iterable[Any]) -> Iterable[SelectedField]:
    """The fields among ``selections``, looking through inline fragments and spreads."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:
            yield from _fields(selection.selections)


def selects(info: Info, *path: str) -> bool:
    """Whether the current field's selection reaches ``path`` (GraphQL names), e.g.
    ``selects(info, "edges", "node", "lines")`` on a connection of orders."""
    level: list[SelectedField] = list(info.selected_fields)
    for name in path:
        level = [
            child for field in level for child in _fields(field.selections) if child.name == name
        ]
        if not level:
            return False
    return True
