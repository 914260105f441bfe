"""WebSocket subscriptions (graphql-transport-ws): subscriptions only, credential re-checked.

A socket can outlive its credential: the user logs out, changes password, or
an API key is revoked. So the credential from ``connection_init`` is checked
again on every ``subscribe`` and, while the socket is open, every
``CONCIERGE_WS_RECHECK_SECONDS``; once it fails the socket closes with 4403.
Queries and mutations go by HTTP (mutations only by POST, per API.md), so a
``subscribe`` message carrying one is answered with an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)

from core.auth import AuthenticationError, Principal, authenticate

if TYPE_CHECKING:
    from core.context import Context

log = logging.getLogger(__name__)
FORBIDDEN = 4403


@lru_cache(maxsize=256)
def _operation_types(query: str) -> frozenset[OperationType] | None:
    try:
        document = parse(query)
    except GraphQLError:
        return None  # the executor reports the syntax error
    return frozenset(
        d.operation for d in document.definitions if isinstance(d, OperationDefinitionNode)
    )


async def still_allowed(context: Context) -> Principal | None:
    """The connection's credential checked again; None when it no longer holds."""
    raw = context.ws_credential
    if raw is None or context.principal is None:
        return None
    try:
        principal = await authenticate(context.runtime, raw, allow_expired_token=True)
    except AuthenticationError:
        return None
    prop = context.property
    if principal is None or principal.tenant_id != context.principal.tenant_id:
        return None
    if prop is not None and not principal.may_use_property(prop.id):
        return None
    return principal


async def watch_credential(context: Context, close: Any, every: float) -> None:
    """Close the socket once its credential stops being valid."""
    while True:
        await asyncio.sleep(every)
        principal = await still_allowed(context)
        if principal is None:
            log.info("closing a WebSocket: its credential is no longer valid")
            with contextlib.suppress(Exception):
                await close(code=FORBIDDEN, reason="Forbidden")
            return
        context.principal = principal  # role changes apply to what follows


class SubscriptionsOnlyHandler(BaseGraphQLTransportWSHandler):
    async def handle_subscribe(self, message: Any) -> None:
        context: Context = self.context
        if self.connection_acknowledged:
            principal = await still_allowed(context)
            if principal is None:
                await self.websocket.close(code=FORBIDDEN, reason="Forbidden")
                return
            context.principal = principal
            query = (message.get("payload") or {}).get("query") or ""
            kinds = _operation_types(query)
            if kinds is not None and kinds != {OperationType.SUBSCRIPTION}:
                await self.send_message(
                    {
                        "id": message["id"],
                        "type": "error",
                        "payload": [
                            {
                                "message": "only subscriptions go over WebSocket; send "
                                "queries and mutations by HTTP POST",
                                "extensions": {"code": "BAD_REQUEST"},
                            }
                        ],
                    }
                )
                return
        await super().handle_subscribe(message)
