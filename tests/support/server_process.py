"""A real `concierge serve` process on the test's database, for end-to-end tests that need
a server of their own: another process beside the test app, a process to kill, a socket
to stall. Its output goes to a log file shown when it fails to come up."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO

import httpx
import pytest

from core.testing import TEST_SECRET

READY_DEADLINE = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """`concierge serve --no-migrate` on ``database_url`` with the test secret and no jobs
    (the test drives time); ``env`` adds or overrides CONCIERGE_* settings."""

    def __init__(self, database_url: str, tmp_path: Path, name: str = "server", **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / f"{name}.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CONCIERGE_")}
        self.env.update(
            CONCIERGE_DATABASE_URL=database_url, CONCIERGE_SECRET_KEY=TEST_SECRET,
            CONCIERGE_RUN_JOBS="false", CONCIERGE_DATA_DIR=str(tmp_path / f"{name}-data"),
        )  # fmt: skip
        self.env.update({f"CONCIERGE_{key.upper()}": value for key, value in env.items()})
        self.cwd = tmp_path
        self.proc: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    async def start(self) -> None:
        """Start the process and wait until /readyz answers (the test fails otherwise)."""
        self._log = self.log_path.open("wb")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "core.cli", "serve", "--no-migrate", "--port", str(self.port),
            env=self.env, cwd=self.cwd, stdout=self._log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + READY_DEADLINE
        async with httpx.AsyncClient(base_url=self.base, timeout=5) as client:
            while time.monotonic() < deadline:
                if self.proc.returncode is not None:
                    pytest.fail(f"the server exited ({self.proc.returncode}):\n{self.log_tail()}")
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        pytest.fail(f"the server was not ready in {READY_DEADLINE} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no rollback but the database's own."""
        assert self.proc is not None and self.proc.returncode is None
        os.kill(self.proc.pid, signal.SIGKILL)

    async def stop(self) -> None:
        """Terminate (or kill) and reap the process, whatever state it is in."""
        try:
            if self.proc is not None and self.proc.returncode is None:
                self.proc.terminate()
                try:
                    await asyncio.wait_for(self.proc.wait(), 15)
                except TimeoutError:
                    self.proc.kill()
                    await asyncio.wait_for(self.proc.wait(), 15)
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None


@asynccontextmanager
async def served(database_url: str, tmp_path: Path, **env: str) -> AsyncIterator[ServerProcess]:
    """A started server, stopped when the block ends."""
    server = ServerProcess(database_url, tmp_path, **env)
    try:
        await server.start()
        yield server
    finally:
        await server.stop()
