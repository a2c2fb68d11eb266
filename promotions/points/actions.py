"""Points for assistance actions the platform chooses to reward, configured per action with an amount.

An action earns its points once per subject (an order, a complaint): the ledger's unique key (``awarded``,
the action, the subject) decides, however often the signal behind it is delivered. The actions come through
signals of the packages where they happen (:mod:`promotions.points.receivers`): an order's first rating after
receipt (orders), an institution's staff member's paid personal order (payments); a complaint found founded
is awarded by oversight, which calls :func:`award` when the county office decides. Functions flush but never
commit.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.errors import DomainError, PermissionDenied
from core.models import User
from promotions.points.models import AssistanceAction, PointsAction, PointsKind
from promotions.points.services import earn

#: Most points one action may earn.
MAX_ACTION_POINTS = 100_000


class InvalidActionPoints(DomainError):
    """The amount is out of range."""

    status = 422
    message = _l("Points for an action must be from 0 to %(max)s.")


def settings(session: Session) -> dict[AssistanceAction, PointsAction | None]:
    """Every action with its setting (``None``: never set, earns nothing)."""
    rows = {row.action: row for row in session.scalars(select(PointsAction))}
    return {action: rows.get(action) for action in AssistanceAction}


def configure(
    session: Session, actor: User, action: AssistanceAction, points: int, is_active: bool
) -> PointsAction:
    """Set how many points ``action`` earns and whether it earns any now (administrators only). Points
    already awarded stay. Raises :class:`PermissionDenied`, :class:`InvalidActionPoints`. Does not commit."""
    if not getattr(actor, "is_admin", False):
        raise PermissionDenied()
    if not 0 <= points <= MAX_ACTION_POINTS:
        raise InvalidActionPoints(max=MAX_ACTION_POINTS)
    row = session.get(PointsAction, action)
    if row is None:
        row = PointsAction(action=action)
        session.add(row)
    row.points, row.is_active = points, is_active
    row.updated_by_id, row.updated_at = actor.id, utcnow()
    session.flush()
    return row


def award(
    session: Session, action: AssistanceAction, user_id: int, subject_id: int, now: datetime | None = None
) -> int:
    """Credit ``user_id`` the points ``action`` earns for ``subject_id``, once (0: not rewarded now, or
    already awarded for this subject). Does not commit."""
    row = session.get(PointsAction, action)
    if row is None or not row.is_active or row.points <= 0:
        return 0
    return earn(
        session, user_id, row.points, action.value, subject_id, now or utcnow(), kind=PointsKind.AWARDED
    )
