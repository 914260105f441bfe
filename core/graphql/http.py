"""GraphQL over HTTP and WebSocket: strawberry's ASGI view, tuned to the spec.

Follows the GraphQL-over-HTTP specification: ``application/json`` bodies for
POST (anything else is 415), the ``application/graphql-response+json`` media
type when the client accepts it, and with it 400 for requests that failed
before execution (syntax, validation, limits). WebSocket subscriptions
(graphql-transport-ws) authenticate in ``connection_init``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError, OperationDefinitionNode, parse
from starlette.requests import Request
from starlette.responses import Response
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET

from core.auth import AuthenticationError, authenticate
from core.context import Context
from core.graphql.websocket import SubscriptionsOnlyHandler, watch_credential

JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
ACCEPTABLE = (GRAPHQL_RESPONSE_JSON, JSON)


_MEDIA_CHOICES = {
    "*/*": GRAPHQL_RESPONSE_JSON,
    "application/*": GRAPHQL_RESPONSE_JSON,
    GRAPHQL_RESPONSE_JSON: GRAPHQL_RESPONSE_JSON,
    JSON: JSON,
}


def negotiate_media_type(accept: str | None) -> str | None:
    """The response media type for an Accept header; None when nothing acceptable."""
    if not accept:
        return JSON  # the spec's legacy default for clients that send no Accept
    best: tuple[float, int, int] | None = None
    chosen: str | None = None
    for position, part in enumerate(accept.split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        candidate = _MEDIA_CHOICES.get(media.lower())
        if candidate is None or quality <= 0:
            continue
        # Higher quality wins; on a tie graphql-response+json, then the earlier entry.
        rank = (quality, int(candidate == GRAPHQL_RESPONSE_JSON), -position)
        if best is None or rank > best:
            best, chosen = rank, candidate
    return chosen


def error_body(message: str, code: str) -> bytes:
    return orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})


def graphql_error_response(
    status: int, message: str, code: str, media_type: str = JSON
) -> Response:
    return Response(error_body(message, code), status_code=status, media_type=media_type)


HTTP_POST_OPERATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})
HTTP_ERROR_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


@lru_cache(maxsize=512)
def _operation_count(query: str, max_tokens: int) -> int:
    try:
        document = parse(query, max_tokens=max_tokens)
    except GraphQLError:
        return 1  # strawberry reports the syntax error itself
    return sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)


class ConciergeGraphQL(GraphQL):
    """One view per composed schema; the endpoint builds the context and calls ``run``."""

    def encode_json(self, data: object) -> str:
        # Text, not bytes: graphql-transport-ws messages must go out as text frames.
        return orjson.dumps(data).decode()

    def parse_json(self, data: str | bytes) -> Any:
        parsed = super().parse_json(data)
        # strawberry reads the body with .get(): any other JSON value would be a 500.
        items = parsed if isinstance(parsed, list) else [parsed]
        if not all(isinstance(item, dict) for item in items):
            raise HTTPException(400, "Expected a JSON object")
        return parsed

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        processed = process_result(result)
        # Parse, validation, limit or variable errors: nothing executed, so no "data"
        # key. An error raised while executing carries a path and keeps "data" (null
        # when a non-null field failed): not a request error.
        if result.data is None and result.errors and not any(e.path for e in result.errors):
            processed.pop("data", None)
            if isinstance(request, Request):
                request.state.graphql_failed_before_execution = True
        return processed

    graphql_transport_ws_handler_class = SubscriptionsOnlyHandler

    async def on_ws_connect(self, context: Context) -> Any:
        params = context.connection_params or {}
        raw = params.get("Authorization") or params.get("authorization")
        try:
            if not isinstance(raw, str):
                raise AuthenticationError("connection_init carries no Authorization")
            principal = await authenticate(context.runtime, raw)
        except AuthenticationError:
            raise ConnectionRejectionError() from None
        prop = context.property
        # Unknown, another tenant's, or not a member: refused alike.
        if (
            principal is None
            or context.property_missing
            or (
                prop is not None
                and (
                    prop.tenant_id != principal.tenant_id or not principal.may_use_property(prop.id)
                )
            )
        ):
            raise ConnectionRejectionError()
        context.principal = principal
        context.ws_credential = raw
        context.start_watcher(
            watch_credential(context, context.request.close, context.settings.ws_recheck_seconds)
        )
        await context.extend_from_hooks()
        return UNSET  # acknowledge without a payload

    async def execute_single(
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Response,
        context: Context,
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Execute one operation: queries by GET, queries and mutations by POST.

        Subscriptions are served over WebSocket only. A document with several
        operations must name the one to run (strawberry would run the first).
        """
        method = request_adapter.method
        allowed = {OperationType.QUERY} if method == "GET" else HTTP_POST_OPERATIONS
        max_tokens = context.settings.limits.max_tokens
        unnamed = request_data.query and request_data.operation_name is None
        if unnamed and _operation_count(request_data.query, max_tokens) > 1:
            raise HTTPException(400, "the document has several operations: give operationName")
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as exc:
            if exc.operation_type is OperationType.SUBSCRIPTION:
                raise HTTPException(
                    400, "subscriptions are served over WebSocket (graphql-transport-ws)"
                ) from exc
            raise HTTPException(405, "mutations are accepted only by POST") from exc
        except CannotGetOperationTypeError as exc:
            raise HTTPException(400, exc.as_http_error_reason()) from exc
        except MissingQueryError as exc:
            raise HTTPException(400, "No GraphQL query found in the request") from exc

    async def execute_http(self, request: Request, context: Context, media_type: str) -> Response:
        """Run one HTTP GraphQL request and shape the response per the spec."""
        try:
            response = await self.run(request, context=context)
        except HTTPException as exc:
            code = HTTP_ERROR_CODES.get(exc.status_code, "BAD_REQUEST")
            response = graphql_error_response(exc.status_code, exc.reason, code, media_type)
            if exc.status_code == 405:
                response.headers["allow"] = "POST"
            return response
        if response.media_type == JSON or response.headers.get("content-type", "").startswith(JSON):
            response.headers["content-type"] = media_type
            if media_type == GRAPHQL_RESPONSE_JSON and getattr(
                request.state, "graphql_failed_before_execution", False
            ):
                response.status_code = 400
        return response
