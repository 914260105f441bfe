"""The sort direction every list's ``sort`` input shares."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="Ascending (oldest, smallest first) or descending.")
class SortDirection(Enum):
    ASC = "asc"
    DESC = "desc"
