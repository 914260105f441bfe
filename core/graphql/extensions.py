"""Schema extensions every Concierge schema runs with, created per request.

Strawberry shares an extension *instance* between concurrent requests, so
each entry here is a factory (FACTS.md). The order matters: the limit rules
are added before validation runs, and validation is cached.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterator
from functools import lru_cache, partial

from graphql import GraphQLError, GraphQLSchema, validate
from graphql.language import DocumentNode
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.schema import validate_document

from core.config import GraphQLLimits, Settings
from core.graphql.cost import cost_errors
from core.graphql.errors import is_client_facing
from core.graphql.strings import RefuseNulStrings

log = logging.getLogger("concierge.graphql")

VALIDATION_CACHE_SIZE = 512
PARSER_CACHE_SIZE = 512
_SUGGESTION = re.compile(r"\s*Did you mean .*\?$")


@lru_cache(maxsize=VALIDATION_CACHE_SIZE)
def _validate_cached(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> list[GraphQLError]:
    if not hide_suggestions:
        return validate_document(schema, document, rules)
    # strawberry's validate_document cannot hide suggestions; add its own rules here.
    return validate(schema, document, _strawberry_rules(rules), hide_suggestions=True)


def _strawberry_rules(
    rules: tuple[type[ASTValidationRule], ...],
) -> tuple[type[ASTValidationRule], ...]:
    from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
    from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

    return (*rules, MaybeNullValidationRule, OneOfInputValidationRule)


class CachedValidation(SchemaExtension):
    """The document's cost first, then validation with an LRU cache; field suggestions
    hidden in production.

    The cost check comes first because validation itself is what a fragment bomb or a
    field repeated a thousand times attacks (core/graphql/cost.py); it is not cached,
    as a page size may come from the variables.
    """

    def __init__(self, *, hide_suggestions: bool, limits: GraphQLLimits) -> None:
        super().__init__()
        self.hide_suggestions = hide_suggestions
        self.limits = limits

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        try:
            refused = cost_errors(
                context.schema._schema, context.graphql_document, context.variables, self.limits
            )
        except Exception as exc:
            # Errors raised here bypass MaskErrors: mask a bug of ours by hand.
            refused = [anonymised(GraphQLError(str(exc), original_error=exc))]
        if refused:
            context.pre_execution_errors = refused
            yield
            return
        errors = _validate_cached(
            context.schema._schema,
            context.graphql_document,
            tuple(context.validation_rules),
            self.hide_suggestions,
        )
        if self.hide_suggestions:
            # Custom rules (limits) may still suggest; strip it for production.
            for error in errors:
                error.message = _SUGGESTION.sub("", error.message)
        context.pre_execution_errors = errors
        yield


def _should_mask(error: GraphQLError) -> bool:
    return not is_client_facing(error)


def anonymised(error: GraphQLError, message: str = "Unexpected error.") -> GraphQLError:
    """A bug's error as the client sees it: a plain message and an id; the traceback is
    logged under that id, so support can find it from what the client quotes."""
    error_id = uuid.uuid4().hex
    path = ".".join(str(p) for p in error.path or ()) or "operation"
    log.error(
        "unexpected error %s in %s", error_id, path, exc_info=error.original_error,
        extra={"error_id": error_id},
    )  # fmt: skip
    return GraphQLError(
        message=message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={"code": "INTERNAL", "errorId": error_id},
    )


class MaskErrorsWithId(MaskErrors):
    """Replace a bug's message with "Unexpected error." and an id (``anonymised``)."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return anonymised(error, self.error_message)


def schema_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Extension factories for one schema.

    The depth and alias limiters make their rule classes when constructed;
    building them once here keeps the classes identical across requests, so
    the validation cache (keyed by the rules) hits.
    """
    limits = settings.limits
    rules: list[type[ASTValidationRule]] = [
        *QueryDepthLimiter(max_depth=limits.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules,
    ]
    if settings.production:
        rules.append(NoSchemaIntrospectionCustomRule)
    return [
        partial(ParserCache, maxsize=PARSER_CACHE_SIZE),
        partial(MaxTokensLimiter, max_token_count=limits.max_tokens),
        partial(AddValidationRules, rules),
        partial(CachedValidation, hide_suggestions=settings.production, limits=limits),
        # After validation: a string PostgreSQL cannot store fails the request too.
        RefuseNulStrings,
        partial(MaskErrorsWithId, should_mask_error=_should_mask),
    ]
