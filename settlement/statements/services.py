"""Settlement statements: closing a month, the running month read live, and where each statement stands.

**Figures.** A statement's money is what moved in its period (:mod:`settlement.statements.figures`: the
ledger and the payments, platform-collected money only is payable). Fees are
``SETTLEMENT_FEE_BASIS_POINTS`` of the period's goods and shipping less refunds (default 0, as on the 832
platform). Closing a month (``flask --app shop settlement close --month 2026-11``) writes one
:class:`Statement` per producer with ledger entries that month — once: a month closed again adds only the
producers still missing, and never touches a closed statement. A producer's first statement covers all its
earlier money too.

**Where a statement stands** (:class:`Position`, always read live, so a hold released or a payout made shows
at once). Statements chain: the balance of one is brought forward into the next.

- brought forward = the previous statement's balance (0 for the first);
- held = money of this period's orders with an open recall (:mod:`settlement.statements.holds`);
- amount payable = brought forward + this period's net − held;
- paid = payouts made against this statement; balance = payable − paid.

Equivalently, balance = every net so far − everything held now − every payout so far: a hold released later
raises the balance of the statement it was taken from (and every later one), a refund after a payout lowers
the next period's net. A negative balance is carried forward and settled out of later money.

**Payouts** are made against the producer's latest closed statement only, and never exceed the smaller of its
balance and the live balance that includes the running month (so money refunded since the close is never paid
out) less the payouts proposed and not approved yet (:func:`available_fen`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from core.clock import shanghai_date
from core.errors import DomainError
from core.i18n import in_language_of
from core.notifications.services import notify
from core.urls import path_for
from settlement.payouts.models import Payout, PayoutStatus
from settlement.statements.figures import Figures, active_producers, fee_of, first_days, period_figures
from settlement.statements.holds import HeldOrder, held_before, held_orders
from settlement.statements.models import Statement

#: The platform's fee in basis points of platform-collected money (0: none, as on the 832 platform).
DEFAULT_FEE_BASIS_POINTS = 0
CLOSED_KIND = "settlement.statement"
_MONTH = re.compile(r"(\d{4})-(\d{2})")


class MonthInvalid(DomainError):
    """A month is written YYYY-MM."""

    message = _l("Write the month as YYYY-MM, e.g. 2026-11.")


class MonthNotOver(DomainError):
    """Only a month that has ended can be closed."""

    status = 409
    message = _l("%(month)s has not ended yet (Beijing time): it can be closed from its next month on.")


def parse_month(text: str | None) -> date | None:
    """``"2026-11"`` → 1 November 2026; None for anything else."""
    found = _MONTH.fullmatch((text or "").strip())
    if found is None:
        return None
    year, month = int(found.group(1)), int(found.group(2))
    if not 2000 <= year <= 9998 or not 1 <= month <= 12:
        return None
    return date(year, month, 1)


def next_month(month: date) -> date:
    """The first day of the month after ``month``."""
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def month_label(month: date) -> str:
    """``2026-11``."""
    return f"{month.year:04d}-{month.month:02d}"


def running_month(today: date | None = None) -> date:
    """The first day of the current Asia/Shanghai month."""
    return (today or shanghai_date()).replace(day=1)


def fee_basis_points(config: Mapping[str, Any]) -> int:
    """``SETTLEMENT_FEE_BASIS_POINTS`` from the app config, kept within 0 to 10,000."""
    value = int(config.get("SETTLEMENT_FEE_BASIS_POINTS") or DEFAULT_FEE_BASIS_POINTS)
    return max(0, min(value, 10_000))


def statement_of(session: Session, producer_id: int, month: date) -> Statement | None:
    """The producer's closed statement of ``month``, or None."""
    query = select(Statement).where(Statement.producer_id == producer_id, Statement.month == month)
    return session.scalars(query).first()


def latest_statement(session: Session, producer_id: int, before: date | None = None) -> Statement | None:
    """The producer's latest closed statement (before the month ``before`` when given), or None."""
    query = select(Statement).where(Statement.producer_id == producer_id)
    if before is not None:
        query = query.where(Statement.month < before)
    return session.scalars(query.order_by(Statement.month.desc()).limit(1)).first()


def statements_of(session: Session, producer_id: int) -> list[Statement]:
    """The producer's closed statements, newest first."""
    query = select(Statement).where(Statement.producer_id == producer_id).order_by(Statement.month.desc())
    return list(session.scalars(query))


def _statement(
    producer_id: int,
    month: date,
    start: date,
    figures: Figures,
    basis_points: int,
    previous: Statement | None,
) -> Statement:
    """A statement (not added to any session) from a period's figures."""
    fees = fee_of(figures.gross_fen, basis_points)
    net = figures.gross_fen - fees
    return Statement(
        producer_id=producer_id,
        month=month,
        period_start=start,
        period_end=next_month(month),
        sales_fen=figures.sales_fen,
        shipping_fen=figures.shipping_fen,
        refunds_fen=figures.refunds_fen,
        refunded_goods_fen=figures.refunded_goods_fen,
        fee_basis_points=basis_points,
        fees_fen=fees,
        net_fen=net,
        cumulative_net_fen=(previous.cumulative_net_fen if previous else 0) + net,
        held_at_close_fen=0,
        cash_collected_fen=figures.cash_collected_fen,
        procurement_received_fen=figures.procurement_received_fen,
    )


def live_statement(
    session: Session, producer: Producer, basis_points: int, today: date | None = None
) -> Statement:
    """The running month's statement, computed now and never stored (not added to the session).

    It covers everything since the producer's latest closed statement (or since its first sale).
    """
    month = running_month(today)
    previous = latest_statement(session, producer.id)
    if previous is not None:
        start = previous.period_end
    else:
        start = min(first_days(session, [producer.id]).get(producer.id, month), month)
    figures = period_figures(session, [producer.id], start, next_month(month))[producer.id]
    statement = _statement(producer.id, month, start, figures, basis_points, previous)
    statement.producer = producer
    return statement


@dataclass
class Position:
    """Where a statement stands now (see the module docstring); every amount in fen."""

    brought_forward_fen: int
    #: Held for this period's orders with an open recall.
    held_fen: int
    payable_fen: int
    paid_fen: int
    #: Proposed against this statement and not approved yet (not deducted from the balance).
    proposed_fen: int
    balance_fen: int
    held: list[HeldOrder] = field(default_factory=list)
    payouts: list[Payout] = field(default_factory=list)


def _payouts(session: Session, producer_id: int) -> list[tuple[Payout, date]]:
    """The producer's payouts that are not cancelled, with their statement's month (a few a month)."""
    query = (
        select(Payout, Statement.month)
        .join(Statement, Statement.id == Payout.statement_id)
        .where(Payout.producer_id == producer_id, Payout.status != PayoutStatus.CANCELLED)
        .order_by(Payout.id)
    )
    return [(payout, month) for payout, month in session.execute(query)]


def position(session: Session, statement: Statement) -> Position:
    """Where ``statement`` (closed, or the live one) stands now."""
    held = held_orders(session, statement.producer_id)
    previous = latest_statement(session, statement.producer_id, before=statement.month)
    payouts = _payouts(session, statement.producer_id)
    paid_before = sum(
        p.amount_fen for p, month in payouts if p.status is PayoutStatus.PAID and month < statement.month
    )
    mine = [p for p, _month in payouts if statement.id is not None and p.statement_id == statement.id]
    held_until_previous = held_before(held, previous.period_end) if previous is not None else 0
    brought_forward = (
        previous.cumulative_net_fen - held_until_previous - paid_before if previous is not None else 0
    )
    held_now = held_before(held, statement.period_end) - held_until_previous
    payable = brought_forward + statement.net_fen - held_now
    paid = sum(p.amount_fen for p in mine if p.status is PayoutStatus.PAID)
    start = previous.period_end if previous is not None else date.min
    return Position(
        brought_forward_fen=brought_forward,
        held_fen=held_now,
        payable_fen=payable,
        paid_fen=paid,
        proposed_fen=sum(p.amount_fen for p in mine if p.status is PayoutStatus.PROPOSED),
        balance_fen=payable - paid,
        held=[h for h in held if start <= h.paid_on < statement.period_end],
        payouts=mine,
    )


def available_fen(
    session: Session, producer: Producer, basis_points: int, *, excluding: Payout | None = None
) -> int:
    """What may still be paid out to ``producer`` now: the smaller of its latest closed statement's balance
    and the live balance with the running month, less the proposals not approved yet (``excluding`` one of
    them: the payout being approved). 0 before the first statement."""
    latest = latest_statement(session, producer.id)
    if latest is None:
        return 0
    closed = position(session, latest)
    live = position(session, live_statement(session, producer, basis_points))
    proposed = sum(
        p.amount_fen
        for p, _month in _payouts(session, producer.id)
        if p.status is PayoutStatus.PROPOSED and (excluding is None or p.id != excluding.id)
    )
    return min(closed.balance_fen, live.balance_fen) - proposed


@dataclass
class CloseResult:
    """What closing a month did."""

    month: date
    created: list[Statement]
    #: Producers with a statement for this month already (closed before) or a later one (left alone).
    already: int = 0
    later: int = 0


def close_month(
    session: Session,
    month: date,
    basis_points: int,
    today: date | None = None,
    *,
    notify_members: bool = True,
) -> CloseResult:
    """Write the statement of ``month`` for every producer with ledger entries that month and none yet.

    Idempotent: a producer whose statement of ``month`` exists is skipped; one with a later statement too
    (a month is never closed behind a later one). Raises :class:`MonthNotOver` for the running month or a
    later one. Members of each producer are told. Does not commit.
    """
    today = today or shanghai_date()
    end = next_month(month)
    if end > today:
        raise MonthNotOver(month=month_label(month))
    result = CloseResult(month, [])
    producers = active_producers(session, month, end)
    for offset in range(0, len(producers), 500):
        chunk = producers[offset : offset + 500]
        result_chunk = _close_chunk(session, month, chunk, basis_points)
        result.created.extend(result_chunk.created)
        result.already += result_chunk.already
        result.later += result_chunk.later
    session.flush()
    if notify_members:
        for statement in result.created:
            _tell_members(session, statement)
    return result


def _close_chunk(
    session: Session, month: date, producer_ids: Sequence[int], basis_points: int
) -> CloseResult:
    """:func:`close_month` for some producers: one GROUP BY per question, then the figures per start day."""
    result = CloseResult(month, [])
    closed = session.execute(
        select(Statement.producer_id, func.max(Statement.month))
        .where(Statement.producer_id.in_(producer_ids), Statement.month >= month)
        .group_by(Statement.producer_id)
    )
    skip = set()
    for producer_id, latest in closed:
        skip.add(int(producer_id))
        if latest == month:
            result.already += 1
        else:
            result.later += 1
    todo = [p for p in producer_ids if p not in skip]
    if not todo:
        return result
    latest_months = (
        select(Statement.producer_id, func.max(Statement.month).label("month"))
        .where(Statement.producer_id.in_(todo), Statement.month < month)
        .group_by(Statement.producer_id)
        .subquery()
    )
    found = session.scalars(
        select(Statement).join(
            latest_months,
            (Statement.producer_id == latest_months.c.producer_id)
            & (Statement.month == latest_months.c.month),
        )
    )
    previous: dict[int, Statement | None] = dict.fromkeys(todo)
    previous.update({s.producer_id: s for s in found})
    firsts = first_days(session, [p for p in todo if previous[p] is None])
    starts: dict[date, list[int]] = {}
    for producer_id in todo:
        prev = previous[producer_id]
        start = prev.period_end if prev is not None else min(firsts.get(producer_id, month), month)
        starts.setdefault(start, []).append(producer_id)
    end = next_month(month)
    for start, ids in sorted(starts.items()):
        figures = period_figures(session, ids, start, end)
        for producer_id in ids:
            statement = _statement(
                producer_id, month, start, figures[producer_id], basis_points, previous[producer_id]
            )
            statement.held_at_close_fen = held_before(held_orders(session, producer_id), end)
            session.add(statement)
            result.created.append(statement)
    return result


def _tell_members(session: Session, statement: Statement) -> None:
    producer = session.get(Producer, statement.producer_id)
    if producer is None:  # pragma: no cover - the foreign key keeps it
        return
    for member in producer.members:
        with in_language_of(member.user):
            notify(
                session,
                member.user,
                CLOSED_KIND,
                _("Settlement statement %(month)s", month=month_label(statement.month)),
                _(
                    "Your settlement statement for %(month)s is ready: what the platform collected for you, "
                    "what is held and what it pays you. Download it as a spreadsheet from its page.",
                    month=month_label(statement.month),
                ),
                link=path_for(
                    "statements.detail", producer_id=producer.id, month=month_label(statement.month)
                ),
                data={"statement": statement.id},
            )
