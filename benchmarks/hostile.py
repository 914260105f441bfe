"""What a hostile request costs the server: time and memory to refuse each one.

Builds the real app on a fresh SQLite shop (as ``benchmarks.orders`` does) and
sends each hostile document ``--requests`` times through httpx's ASGI
transport, each copy made unique (a trailing comment) so no parse or
validation cache helps, as an attacker would. Prints the answer, the median
and p99 time per request and the peak memory Python allocated while
answering one (tracemalloc, measured on a separate request as it slows
everything down). For comparison, the first line is a real orders page, and
the last shows what the fragment bomb's 16-level version (2^16 fields) cost graphql-core's
validation with the depth limiter and no cost check in front (the server
before the check).

    python -m benchmarks.hostile [--requests 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

from graphql import parse, specified_rules, validate
from strawberry.extensions import QueryDepthLimiter

from benchmarks.orders import shop
from core.config import GraphQLLimits

LIMITS = GraphQLLimits()
# Each level doubles the unguarded validation's time: 16 takes seconds, 40 would not end.
UNGUARDED_LEVELS = 16


def fragment_bomb(levels: int) -> str:
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    fragments.append(f"fragment F{levels} on Query {{ currentProperty {{ name }} }}")
    return "query Bomb { ...F0 }\n" + "\n".join(fragments)


ORDERS_PAGE = (
    "{ orders(first: 50) { edges { node { number status total { amount currency }"
    " lines { sku quantity } customer { email } } } } }"
)
DOCUMENTS: dict[str, str] = {
    "orders page (served)": ORDERS_PAGE,
    "fragment bomb, 2^40 fields": fragment_bomb(40),
    "one field 1,000 times": "{ " + "currentProperty { name } " * 1000 + "}",
    "100 orders x 100 orders": (
        "{ orders(first: 100) { edges { node { customer { orders(first: 100) {"
        " edges { node { number lines { sku } } } } } } } } }"
    ),
    "5,001 tokens": "{ " + "__typename " * LIMITS.max_tokens + "}",
    f"{LIMITS.max_aliases + 1} aliases": (
        "{ " + " ".join(f"a{i}: __typename" for i in range(LIMITS.max_aliases + 1)) + " }"
    ),
}


@dataclass
class Row:
    name: str
    answer: str
    median_ms: float
    p99_ms: float
    peak_kib: float


def _answer(status: int, body: dict) -> str:
    errors = body.get("errors") or []
    code = (errors[0].get("extensions") or {}).get("code") if errors else None
    return f"{status} {code or ('ok' if not errors else 'error')}"


async def measure(requests: int) -> list[Row]:
    rows: list[Row] = []
    async with shop("sqlite", "") as bench:

        async def send(text: str) -> tuple[int, dict]:
            response = await bench.client.post(
                bench.path, json={"query": text}, headers=bench.headers
            )
            return response.status_code, response.json()

        for name, document in DOCUMENTS.items():
            await send(document)  # warm the code paths, not the caches
            times: list[float] = []
            status, body = 0, {}
            for copy in range(requests):
                started = time.perf_counter()
                status, body = await send(f"{document}\n# {copy}")
                times.append((time.perf_counter() - started) * 1000)
            tracemalloc.start()
            await send(f"{document}\n# traced")
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            times.sort()
            p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
            rows.append(
                Row(name, _answer(status, body), statistics.median(times), p99, peak / 1024)
            )
        body_bytes = b'{"query": "{ __typename }", "pad": "' + b"p" * (2 << 20) + b'"}'
        started = time.perf_counter()
        response = await bench.client.post(
            bench.path,
            content=body_bytes,
            headers={**bench.headers, "content-type": "application/json"},
        )
        elapsed = (time.perf_counter() - started) * 1000
        rows.append(
            Row("2 MiB body", _answer(response.status_code, response.json()), elapsed, elapsed, 0)
        )
        rows.append(_unguarded(bench.kit.runtime.schemas.full()._schema))
    return rows


def _unguarded(schema: object) -> Row:
    rules = [*specified_rules, *QueryDepthLimiter(max_depth=LIMITS.max_depth).validation_rules]
    document = parse(fragment_bomb(UNGUARDED_LEVELS))
    timed: Callable[[], object] = lambda: validate(schema, document, rules)  # noqa: E731
    started = time.perf_counter()
    timed()
    elapsed = (time.perf_counter() - started) * 1000
    name = f"fragment bomb, 2^{UNGUARDED_LEVELS}, no cost check"
    return Row(name, "(validation only)", elapsed, elapsed, 0)


def print_table(rows: list[Row]) -> None:
    print(f"{'request':<42} {'answer':<24} {'p50 ms':>9} {'p99 ms':>9} {'peak KiB':>9}")
    for row in rows:
        peak = f"{row.peak_kib:9.0f}" if row.peak_kib else f"{'':>9}"
        print(f"{row.name:<42} {row.answer:<24} {row.median_ms:9.1f} {row.p99_ms:9.1f} {peak}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hostile", description=__doc__)
    parser.add_argument("--requests", type=int, default=50, help="copies of each document")
    args = parser.parse_args(argv)
    print_table(asyncio.run(measure(args.requests)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
