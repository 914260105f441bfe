"""Strings the database cannot store, refused before execution.

PostgreSQL's text types cannot hold U+0000: a NUL in any bound parameter, even one
only compared in a WHERE clause, fails the statement ("invalid byte sequence for
encoding UTF8"), which would surface as an internal error wherever a resolver
happens to use the string. GraphQL's String is any Unicode, and the built-in
scalar cannot be replaced, so a request carrying a NUL in a string literal or a
variable is refused as a whole, like a validation error (a 400, nothing run), on
every database alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, StringValueNode, Visitor, visit
from graphql.language import DocumentNode
from strawberry.extensions import SchemaExtension

NUL = "\x00"
MESSAGE = "Strings may not contain the NUL character (U+0000)."


class _FindNul(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: StringValueNode | None = None

    def enter_string_value(self, node: StringValueNode, *_: Any) -> Any:
        if NUL in node.value:
            self.found = node
            return self.BREAK
        return None


def _nul_literal(document: DocumentNode) -> StringValueNode | None:
    finder = _FindNul()
    visit(document, finder)
    return finder.found


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


class RefuseNulStrings(SchemaExtension):
    """A NUL in a string literal or a variable fails the request before execution.

    Runs after CachedValidation (listed after it, so its setup runs later) and before
    strawberry looks at the errors, which happens before any extension resumes.
    """

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.pre_execution_errors or context.graphql_document is None:
            yield  # refused already (cost, validation): one reason is enough
            return
        # A literal can hold a NUL only as an escape (the lexer refuses a raw one), so
        # most documents need no walk.
        node = None
        if context.query is None or "\\u" in context.query:
            node = _nul_literal(context.graphql_document)
        if node is not None:
            context.pre_execution_errors = [
                GraphQLError(MESSAGE, nodes=node, extensions={"code": "BAD_REQUEST"})
            ]
        elif _holds_nul(context.variables):
            context.pre_execution_errors = [
                GraphQLError(MESSAGE, extensions={"code": "BAD_REQUEST"})
            ]
        yield
