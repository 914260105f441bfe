"""The fingerprint of a request sent with an idempotency key.

A retry with the same key must send the same request: services store this
digest beside the key and refuse the key with another payload.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from enum import Enum
from typing import Any


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else str(value)


def request_hash(spec: Any, *, key_field: str = "idempotency_key") -> str:
    """SHA-256 of a dataclass request, every field but the key itself, canonical JSON
    (enums by value, dates and decimals as text)."""
    body = dataclasses.asdict(spec)
    body.pop(key_field)
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=_plain)
    return hashlib.sha256(canonical.encode()).hexdigest()
