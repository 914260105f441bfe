"""Request bodies are bounded in size and in time, for every route.

Without this a client could send a gigabyte (strawberry reads the whole body into
memory before looking at it) or send one byte a minute and hold a request open
for ever. A declared length over the limit is refused before a byte is read; a
streamed body is counted as it arrives; the whole body must arrive within the
timeout. The refusal is the GraphQL-over-HTTP error shape every client already
parses: 413 for too large, 408 for too slow.
"""

from __future__ import annotations

import asyncio
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.graphql.http import graphql_error_response


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit:,} bytes")


class BodyTooSlow(Exception):
    def __init__(self, seconds: int) -> None:
        super().__init__(f"the request body did not arrive within {seconds} seconds")


class BodyLimitMiddleware:
    """Wraps ``receive``; the app's exception handlers (``body_limit_handlers``) answer."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout_seconds: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = _refusal(413, str(BodyTooLarge(self.max_bytes)), "PAYLOAD_TOO_LARGE")
            await response(scope, receive, send)
            return
        await self.app(scope, self._bounded(receive), send)

    def _bounded(self, receive: Receive) -> Receive:
        deadline = time.monotonic() + self.timeout_seconds
        received = 0
        body_done = False

        async def bounded_receive() -> Message:
            nonlocal received, body_done
            if body_done:
                # After the body, receive only waits for a disconnect: no deadline.
                return await receive()
            try:
                async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                    message = await receive()
            except TimeoutError:
                raise BodyTooSlow(self.timeout_seconds) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
                body_done = not message.get("more_body", False)
            return message

        return bounded_receive


def _refusal(status: int, message: str, code: str) -> Response:
    response = graphql_error_response(status, message, code)
    # The rest of the body is not read: the connection cannot be reused.
    response.headers["connection"] = "close"
    return response


async def _too_large(request: Request, exc: Exception) -> Response:
    return _refusal(413, str(exc), "PAYLOAD_TOO_LARGE")


async def _too_slow(request: Request, exc: Exception) -> Response:
    return _refusal(408, str(exc), "REQUEST_TIMEOUT")


body_limit_handlers = {BodyTooLarge: _too_large, BodyTooSlow: _too_slow}
