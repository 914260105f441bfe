"""Who may be given housekeeping tasks: users holding ``housekeeping:tasks`` here."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import session_scope
from core.errors import DomainError
from core.permissions import role_permissions
from core.users import Membership, User, custom_roles, grants_for_user
from plugins.pms_housekeeping.service.common import TASKS
from plugins.pms_housekeeping.service.errors import HousekeepingErrorCode, not_found


@dataclass(frozen=True)
class Housekeeper:
    user_id: int
    name: str


async def housekeepers(session: AsyncSession) -> list[Housekeeper]:
    """Active users whose role here (or tenant-wide) lets them work on tasks, by name."""
    property_id = session_scope(session).property_id
    roles = await custom_roles(session)
    rows = await session.execute(
        select(User.id, User.name, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(
            User.is_active.is_(True),
            or_(Membership.property_id == property_id, Membership.property_id.is_(None)),
        )
    )
    found: dict[int, str] = {}
    for user_id, name, role in rows:
        # Expanding against just our name answers "does this role grant it".
        if role_permissions(role, [TASKS], roles):
            found[user_id] = name
    return sorted(
        (Housekeeper(user_id, name) for user_id, name in found.items()),
        key=lambda h: (h.name.casefold(), h.user_id),
    )


async def ensure_housekeeper(session: AsyncSession, user_id: int, field: list[str]) -> User:
    """The user, if they may work on tasks here; NOT_A_HOUSEKEEPER otherwise."""
    user = await session.get(User, user_id)
    if user is None:
        raise not_found("user", field)
    property_id = session_scope(session).property_id
    grants = await grants_for_user(session, user_id, [TASKS])
    held = grants.tenant_wide | grants.per_property.get(property_id or 0, frozenset())
    if not user.is_active or TASKS not in held:
        raise DomainError(
            HousekeepingErrorCode.NOT_A_HOUSEKEEPER,
            f"{user.name} may not work on housekeeping tasks at this property",
            field=field,
        )
    return user
