"""A housekeeping task's allowed status changes and a room's allowed condition changes,
each in one table.

Tasks: pending -> in_progress -> done; a done cleaning task becomes inspected
when its room passes inspection, or pending again when it fails (cleaned
again, by the same housekeeper). Pending and in-progress tasks can be
canceled. Conditions: a room is cleaned (dirty -> clean) and then, optionally,
inspected (clean -> inspected); anything can become dirty again, and an
inspected room can be set back to clean. Anything else is INVALID_TRANSITION.
"""

from __future__ import annotations

from enum import Enum


class TaskStatus(Enum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    INSPECTED = "inspected"
    CANCELED = "canceled"


class TaskKind(Enum):
    DEPARTURE = "departure"  # a room a guest left: a full clean before the next one
    STAY_OVER = "stay_over"  # an occupied room's daily service
    INSPECTION = "inspection"  # a supervisor checks a cleaned room
    MAINTENANCE = "maintenance"  # a repair; does not change the room's condition


class Condition(Enum):
    DIRTY = "dirty"
    CLEAN = "clean"
    INSPECTED = "inspected"


S = TaskStatus
TASK_TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    S.PENDING: frozenset({S.IN_PROGRESS, S.CANCELED}),
    S.IN_PROGRESS: frozenset({S.DONE, S.CANCELED}),
    S.DONE: frozenset({S.INSPECTED, S.PENDING}),  # pending again: failed inspection
    S.INSPECTED: frozenset(),
    S.CANCELED: frozenset(),
}
OPEN_STATUSES = frozenset({S.PENDING, S.IN_PROGRESS})

C = Condition
CONDITION_TRANSITIONS: dict[Condition, frozenset[Condition]] = {
    C.DIRTY: frozenset({C.CLEAN}),
    C.CLEAN: frozenset({C.DIRTY, C.INSPECTED}),
    C.INSPECTED: frozenset({C.DIRTY, C.CLEAN}),
}

# Kinds whose completion makes the room clean.
CLEANING_KINDS = frozenset({TaskKind.DEPARTURE, TaskKind.STAY_OVER})


def can_change_task(current: TaskStatus, target: TaskStatus) -> bool:
    return target in TASK_TRANSITIONS[current]


def can_change_condition(current: Condition, target: Condition) -> bool:
    return target in CONDITION_TRANSITIONS[current]
