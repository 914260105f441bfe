"""What the isolation suite found: leaks, uncovered types, and what it checked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Leak:
    """One of tenant A's objects reached by tenant B."""

    endpoint: str
    how: str  # list | node | nodes | mutation
    type: str
    id: str
    field: str

    def __str__(self) -> str:
        return f"{self.how} leak on {self.endpoint}: {self.type} {self.id} via {self.field}"


@dataclass(frozen=True)
class UncoveredType:
    """A Node type of which the suite found no object of tenant A."""

    endpoint: str
    type: str

    def __str__(self) -> str:
        return (
            f"uncovered on {self.endpoint}: no {self.type} of tenant A was found "
            "(give it demo data and a list that reaches it)"
        )


@dataclass(frozen=True)
class Unresolvable:
    """One of tenant A's objects that ``node(id:)`` does not find even for tenant A."""

    endpoint: str
    type: str
    id: str

    def __str__(self) -> str:
        return f"node(id:) on {self.endpoint} answers null to tenant A for its own {self.type}"


@dataclass(frozen=True)
class FieldError:
    """A query or mutation that answered with errors (recorded, not a failure)."""

    endpoint: str
    field: str
    message: str


@dataclass
class Checked:
    node_types: int = 0
    node_types_covered: int = 0
    ids: int = 0
    list_queries: int = 0
    node_lookups: int = 0
    mutations: int = 0
    mutation_calls: int = 0


@dataclass
class IsolationReport:
    uncovered_types: list[UncoveredType] = field(default_factory=list)
    leaks: list[Leak] = field(default_factory=list)
    unresolvable: list[Unresolvable] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    checked: Checked = field(default_factory=Checked)
    mutations_exercised: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """Everything that fails the suite, one line each (empty when isolation holds)."""
        found: Iterable[object] = (*self.leaks, *self.uncovered_types, *self.unresolvable)
        return [str(problem) for problem in found]

    def __str__(self) -> str:
        c = self.checked
        lines = [
            f"tenant isolation: {c.node_types_covered}/{c.node_types} Node types covered, "
            f"{c.ids} ids of tenant A, {c.list_queries} list queries, "
            f"{c.node_lookups} node look-ups, {c.mutations} mutations "
            f"({c.mutation_calls} calls)",
            *(f"  PROBLEM {line}" for line in self.problems),
            *(f"  note: {e.field} on {e.endpoint}: {e.message}" for e in self.errors),
        ]
        if not self.problems:
            lines.append("  no leaks, every Node type covered")
        return "\n".join(lines)
