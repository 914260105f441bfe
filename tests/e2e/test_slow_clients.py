"""Slow clients against a real `concierge serve`: a connection that stalls in its
headers, and one whose body trickles in, hold no worker: everyone else is answered
meanwhile, and the trickling body is refused with 408 when its time is up."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
from server_process import served

from core.testing import ConciergeTestKit

# Long enough for five answers on a loaded CI machine, short enough to wait for.
BODY_TIMEOUT_SECONDS = 5
TYPENAME = b'{"query": "{ __typename }"}'


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return status, await reader.readexactly(length)


async def test_stalled_and_trickling_clients_hold_no_one_up(
    concierge: ConciergeTestKit, concierge_database_url: str, tmp_path: Path
) -> None:
    timeout = str(BODY_TIMEOUT_SECONDS)
    async with served(concierge_database_url, tmp_path, body_timeout_seconds=timeout) as server:
        port = server.port
        # Twenty connections stalled halfway through their headers.
        stalled = []
        for _ in range(20):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: appl")
            await writer.drain()
            stalled.append(writer)
        # One whose body arrives a few bytes at a time, far slower than the timeout.
        # Timed from before the request: the server's clock starts when its headers land.
        started = time.monotonic()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(TYPENAME) + TYPENAME[:5]
        )
        await writer.drain()

        async def trickle() -> None:
            for byte in TYPENAME[5:]:
                await asyncio.sleep(1)
                writer.write(bytes([byte]))
                await writer.drain()

        trickling = asyncio.create_task(trickle())
        try:
            # Meanwhile everyone else is answered at once.
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as c:
                for _ in range(5):
                    answer = await c.post("/graphql", json={"query": "{ __typename }"})
                    assert answer.json() == {"data": {"__typename": "AccountQuery"}}
                assert time.monotonic() - started < BODY_TIMEOUT_SECONDS
            status, body = await asyncio.wait_for(read_response(reader), 10)
            waited = time.monotonic() - started
        finally:
            trickling.cancel()
            for stalled_writer in [*stalled, writer]:
                stalled_writer.close()
    assert status == 408, body
    assert b"REQUEST_TIMEOUT" in body
    assert BODY_TIMEOUT_SECONDS <= waited < BODY_TIMEOUT_SECONDS + 5
