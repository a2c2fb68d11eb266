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
from promotions.points.models import AssistanceAction, PointsAction, PointsEntry, PointsKind
from promotions.points.services import earn, take_back

#: Actions whose subject is an order: their points go when the order is refunded in whole.
ORDER_ACTIONS = (AssistanceAction.STAFF_PURCHASE, AssistanceAction.FIRST_RATING)

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


def take_back_order_awards(session: Session, order_id: int, now: datetime | None = None) -> int:
    """Take back, once, the points actions whose subject is order ``order_id`` earned (a staff purchase, a
    first rating), called when the order has been refunded in whole; return the points taken.

    Each award is taken back by one ``CLAWED_BACK`` entry keyed by its action and the order, so a repeated
    signal finds it there and takes nothing more. Points already spent are not recovered: what remains of
    the balance is taken, never below zero (as for earned points). A founded complaint's award is not tied
    to an order and stays. Does not commit.
    """
    awarded = session.execute(
        select(PointsEntry.user_id, PointsEntry.source, PointsEntry.points)
        .where(
            PointsEntry.kind == PointsKind.AWARDED,
            PointsEntry.source.in_([action.value for action in ORDER_ACTIONS]),
            PointsEntry.source_id == order_id,
        )
        .order_by(PointsEntry.id)  # the oldest award first when the balance does not cover them all
    ).all()
    moment = now or utcnow()
    return sum(
        take_back(session, int(user_id), int(points), str(source), order_id, moment)
        for user_id, source, points in awarded
    )
