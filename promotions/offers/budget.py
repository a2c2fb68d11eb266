"""Taking a discount from a promotion's budget, and a buyer's use from its per-buyer limit, race-safe.

Each is one conditional statement, so concurrent checkouts can never overspend a budget nor pass a limit,
on SQLite and PostgreSQL alike:

- the budget: ``UPDATE promotions_promotion SET spent_fen = spent_fen + :x, uses = uses + 1 WHERE id = :id
  AND status = 'active' AND starts_at <= :now AND ends_at > :now AND spent_fen + :x <= budget_fen`` — no row
  updated means the money is not there (or it stopped running) any more; a checkout using several
  promotions takes them all in one such statement (``:x`` a ``CASE`` on the id, ``RETURNING id`` tells which
  rows could give their amount);
- the limit: ``INSERT … ON CONFLICT (promotion_id, buyer_id) DO UPDATE SET uses = uses + 1 WHERE uses <
  :limit RETURNING uses`` — no row returned means the buyer used it up.

Functions flush but never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, case, literal, update
from sqlalchemy.orm import Session

from core.transactions import upsert_insert
from promotions.offers.errors import BudgetSpent, BuyerLimitReached, PromotionEnded
from promotions.offers.models import BuyerUse, Promotion, PromotionStatus

USE_TABLE = cast(Table, BuyerUse.__table__)


def take_budget(session: Session, promotion: Promotion, amount_fen: int, now: datetime) -> None:
    """Take ``amount_fen`` from the promotion's budget and count one use, in one conditional UPDATE.

    Raises :class:`BudgetSpent` when the budget left cannot cover it, :class:`PromotionEnded` when it was
    paused or ended meanwhile. Does not commit.
    """
    take_budgets(session, [(promotion, amount_fen)], now)


def take_budgets(session: Session, taken: Sequence[tuple[Promotion, int]], now: datetime) -> None:
    """Take each amount from its promotion's budget and count one use of each, all in one conditional
    UPDATE (the same condition per row as :func:`take_budget`; one statement for every promotion a checkout
    uses, its rows locked in the order of their ids).

    Raises :class:`PromotionEnded` or :class:`BudgetSpent` for the first promotion (by id) that could not
    give its amount; the rows updated by then are the caller's to roll back (the checkout's SAVEPOINT).
    Does not commit.
    """
    amounts = {promotion.id: amount for promotion, amount in taken}
    if not amounts:
        return
    amount = (
        case(amounts, value=Promotion.id, else_=0)
        if len(amounts) > 1
        else literal(next(iter(amounts.values())))
    )
    done = set(
        session.scalars(
            update(Promotion)
            .where(
                Promotion.id.in_(sorted(amounts)),
                Promotion.status == PromotionStatus.ACTIVE,
                Promotion.starts_at <= now,
                Promotion.ends_at > now,
                Promotion.spent_fen + amount <= Promotion.budget_fen,
            )
            .values(spent_fen=Promotion.spent_fen + amount, uses=Promotion.uses + 1)
            .returning(Promotion.id)
            .execution_options(synchronize_session=False)
        )
    )
    for promotion, _amount in sorted(taken, key=lambda pair: pair[0].id):
        if promotion.id in done:
            session.expire(promotion, ["spent_fen", "uses"])
            continue
        session.refresh(promotion, ["status", "spent_fen", "budget_fen"])
        running = promotion.starts_at <= now < promotion.ends_at
        if promotion.status is not PromotionStatus.ACTIVE or not running:
            raise PromotionEnded(title=promotion.title)
        raise BudgetSpent(title=promotion.title)


def give_back(session: Session, promotion_id: int, amount_fen: int) -> None:
    """Return ``amount_fen`` to a promotion's budget (a refunded discount, a checkout never paid), in one
    UPDATE that never takes ``spent_fen`` below zero. Does not commit."""
    if amount_fen <= 0:
        return
    session.execute(
        update(Promotion)
        .where(Promotion.id == promotion_id, Promotion.spent_fen >= amount_fen)
        .values(spent_fen=Promotion.spent_fen - amount_fen)
        .execution_options(synchronize_session=False)
    )


def take_use(session: Session, promotion: Promotion, buyer_id: int) -> None:
    """Count one use of the promotion by the buyer, never past its per-buyer limit (one conditional upsert).

    Raises :class:`BuyerLimitReached`. Does nothing for a promotion without a limit. Does not commit.
    """
    limit = promotion.per_buyer_limit
    if limit is None:
        return
    stmt = upsert_insert(session, USE_TABLE).values(promotion_id=promotion.id, buyer_id=buyer_id, uses=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["promotion_id", "buyer_id"],
        set_={"uses": USE_TABLE.c.uses + 1},
        where=USE_TABLE.c.uses < limit,
    ).returning(USE_TABLE.c.uses)
    if session.execute(stmt).first() is None:
        raise BuyerLimitReached(title=promotion.title, limit=limit)
