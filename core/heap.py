"""The garbage collector, tuned for a server whose heap is mostly long-lived.

After start-up the heap holds the plugins, SQLAlchemy's mappers and the GraphQL schemas:
hundreds of thousands of objects that live as long as the process. CPython's default
collector walks all of them on every full collection, and a request that builds a page
of 300 rooms allocates enough to trigger one every few requests: measured at 37 ms of
GC per housekeeping-board request (benchmarks/README.md). Freezing the start-up heap
moves it out of the collector's sight (``gc.freeze``), and a larger first-generation
threshold lets a request's short-lived objects die by reference counting before a
collection runs. Cycles are still collected.
"""

from __future__ import annotations

import gc

# Allocations between young collections (CPython's default is 700). A request's objects
# are mostly freed by reference counting; collecting them every 700 allocations is waste,
# and a collection walks the request's live objects each time. Measured on the orders
# page (benchmarks/README.md): 20,000 left 2 ms of GC a request; 50,000 under 1 ms;
# 100,000 no better on average but with longer pauses (p99 up at one client).
YOUNG_THRESHOLD = 50_000
# How many young collections per middle one, and middle per full one (defaults 10, 10).
OLDER_THRESHOLDS = (20, 20)


def settle() -> None:
    """Collect what start-up left, then freeze the rest: it is never collected again."""
    gc.collect()
    gc.freeze()


def tune() -> None:
    """For a long-running server process (``concierge serve``): larger thresholds, and
    the start-up heap frozen."""
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
    settle()
