"""What a GraphQL document asks for, measured before anything else reads it.

A request of a few hundred bytes can otherwise hold a worker for minutes:

* a fragment bomb: fragments that each spread the next one twice expand to 2^n
  fields, and the depth limiter (and execution) walks every expansion;
* one field selected a thousand times in one selection set: graphql-core's
  "overlapping fields can be merged" rule compares every pair;
* pages inside pages: ``orders(first: 100) { customer { orders(first: 100) ... } }``
  asks for 10,000 orders.

``measure`` walks the document once, each fragment once (its result is kept and
reused at every spread), so its own cost is linear in the document's size. The
cost is an estimate of the fields a response resolves: a field counts one, and
what it selects counts once per object it returns, which for a connection is its
page size (``first``/``last``, else the default page). Plain lists (an order's
lines) count one object: they are bounded by the domain, not by the client.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_interface_type,
    is_object_type,
)
from graphql.language import DocumentNode

from core.config import GraphQLLimits

QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
CONNECTION_SUFFIX = "Connection"  # API.md: every paginated list is a <Type>Connection


@dataclass(frozen=True)
class Measure:
    cost: int
    # The most times one response name is selected in one selection set, and which.
    repeats: int = 0
    repeated: str | None = None


@dataclass(frozen=True)
class _Level:
    """One selection set with its fragments spread in: its cost and its response names."""

    cost: int
    names: Counter[str]


_EMPTY = _Level(0, Counter())


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        limits: GraphQLLimits,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.limits = limits
        self.done: dict[str, _Level] = {}
        self.in_progress: set[str] = set()
        self.repeats = 0
        self.repeated: str | None = None

    def fragment(self, name: str) -> _Level:
        if name in self.done:
            return self.done[name]
        definition = self.fragments.get(name)
        # A cycle or an unknown fragment: validation reports it; it adds nothing here.
        if definition is None or name in self.in_progress:
            return _EMPTY
        self.in_progress.add(name)
        parent = self.schema.get_type(definition.type_condition.name.value)
        level = self.level(definition.selection_set, parent)
        self.in_progress.discard(name)
        self.done[name] = level
        return level

    def level(self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None) -> _Level:
        cost = 0
        names: Counter[str] = Counter()
        for selection in selection_set.selections or ():
            if isinstance(selection, FieldNode):
                response_name = (selection.alias or selection.name).value
                names[response_name] += 1
                cost += self.field(selection, parent)
            elif isinstance(selection, FragmentSpreadNode):
                spread = self.fragment(selection.name.value)
                cost += spread.cost
                names.update(spread.names)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                spread = self.level(selection.selection_set, inner)
                cost += spread.cost
                names.update(spread.names)
        if names:
            name, count = names.most_common(1)[0]
            if count > self.repeats:
                self.repeats, self.repeated = count, name
        return _Level(cost, names)

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> int:
        if node.selection_set is None:
            return 1
        returned: GraphQLNamedType | None = None
        if parent is not None and (is_object_type(parent) or is_interface_type(parent)):
            definition = parent.fields.get(node.name.value)  # type: ignore[union-attr]
            if definition is not None:
                returned = get_named_type(definition.type)
        inner = self.level(node.selection_set, returned)
        return 1 + self.page_size(node, returned) * inner.cost

    def page_size(self, node: FieldNode, returned: GraphQLNamedType | None) -> int:
        if returned is None or not returned.name.endswith(CONNECTION_SUFFIX):
            return 1
        for argument in node.arguments or ():
            if argument.name.value not in ("first", "last"):
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                asked: Any = int(value.value)
            elif isinstance(value, VariableNode):
                asked = self.variables.get(value.name.value)
            else:
                continue
            if isinstance(asked, int) and not isinstance(asked, bool):
                # A page above the maximum is refused when it runs (BAD_PAGE_SIZE).
                return max(0, min(asked, self.limits.max_page_size))
        return self.limits.default_page_size


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    limits: GraphQLLimits,
) -> Measure:
    """The cost of the costliest operation in the document and its worst repeat.

    Every operation and fragment is measured, run or not: validation reads them all.
    """
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walk = _Walk(schema, fragments, variables or {}, limits)
    cost = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            root = schema.get_root_type(definition.operation)
            cost = max(cost, walk.level(definition.selection_set, root).cost)
    for name in fragments:
        walk.fragment(name)
    return Measure(cost, walk.repeats, walk.repeated)


def cost_errors(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    limits: GraphQLLimits,
) -> list[GraphQLError]:
    """The errors that refuse the document before validation, or none."""
    try:
        found = measure(schema, document, variables, limits)
    except RecursionError:
        # Fragments nested thousands deep: nothing a real client sends.
        return [_too_complex("The query nests too deeply to be measured.")]
    if found.repeats > limits.max_field_repeats:
        return [
            _too_complex(
                f"'{found.repeated}' is selected {found.repeats:,} times in one selection set; "
                f"at most {limits.max_field_repeats:,} are accepted."
            )
        ]
    if found.cost > limits.max_cost:
        return [
            _too_complex(
                f"The query would resolve about {found.cost:,} fields; at most "
                f"{limits.max_cost:,} are accepted. Ask for smaller pages or fewer nested lists.",
                cost=found.cost,
            )
        ]
    return []


def _too_complex(message: str, *, cost: int | None = None) -> GraphQLError:
    extensions: dict[str, Any] = {"code": QUERY_TOO_COMPLEX}
    if cost is not None:
        extensions["cost"] = cost
    return GraphQLError(message, extensions=extensions)
