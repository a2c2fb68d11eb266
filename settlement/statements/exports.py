"""A statement as a spreadsheet (XLSX) or CSV: the summary, then the orders, refunds, holds and payouts.

Built as a :class:`stats.exports.Report`, written by the statistics exports' CSV and XLSX writers (money as
exact two-decimal yuan, text never as a formula).
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from core.i18n import format_local
from orders.collection import Collector
from settlement.labels import payout_status_label
from settlement.payees.models import PayeeAccount
from settlement.statements.figures import order_rows, refund_rows
from settlement.statements.models import Statement
from settlement.statements.services import Position, month_label
from stats.exports import INT, MONEY, TEXT, Report, Section


def _collector(collector: Collector) -> str:
    """Who holds the money, in words."""
    text: str = _("the platform") if collector is Collector.PLATFORM else _("you (cash on delivery)")
    return text


def summary_rows(statement: Statement, position: Position) -> list[tuple[str, int]]:
    """The statement's figures in reading order, as on its page."""
    return [
        (_("Brought forward from the previous statement"), position.brought_forward_fen),
        (_("Goods sold (collected by the platform)"), statement.sales_fen),
        (_("Shipping fees (collected by the platform)"), statement.shipping_fen),
        (_("Refunds"), -statement.refunds_fen),
        (_("Fees"), -statement.fees_fen),
        (_("Net of the period"), statement.net_fen),
        (_("Held: orders with an open recall"), -position.held_fen),
        (_("Amount payable"), position.payable_fen),
        (_("Paid"), -position.paid_fen),
        (_("Balance"), position.balance_fen),
        (_("Collected by you: cash on delivery (not payable)"), statement.cash_collected_fen),
        (
            _("Collected by you: purchase orders paid directly (not payable)"),
            statement.procurement_received_fen,
        ),
    ]


def statement_report(
    session: Session,
    producer: Producer,
    statement: Statement,
    position: Position,
    payee: PayeeAccount | None,
) -> Report:
    """The whole statement as a report."""
    facts = [
        (_("Producer"), producer.name),
        (_("Month"), month_label(statement.month)),
        (
            _("Period (Beijing time)"),
            f"{statement.period_start.isoformat()} – {statement.period_end.isoformat()}",
        ),
        (
            _("Closed"),
            format_local(statement.closed_at) if statement.id is not None else _("running month, as of now"),
        ),
        (_("Fee rate (basis points)"), str(statement.fee_basis_points)),
        (_("Payee account"), f"{payee.bank_name} {payee.masked_number}" if payee else _("none verified")),
    ]
    summary = Section(_("Summary"), [(_("Figure"), TEXT), (_("Amount (yuan)"), MONEY)])
    summary.rows = [[name, amount] for name, amount in summary_rows(statement, position)]
    orders = Section(
        _("Orders"),
        [
            (_("Order"), TEXT),
            (_("Paid on"), TEXT),
            (_("Collected by"), TEXT),
            (_("Goods (yuan)"), MONEY),
            (_("Shipping (yuan)"), MONEY),
        ],
    )
    orders.rows = [
        [row.number, row.paid_on.isoformat(), _collector(row.collector), row.goods_fen, row.shipping_fen]
        for row in order_rows(session, producer.id, statement.period_start, statement.period_end)
    ]
    refunds = Section(
        _("Refunds"),
        [
            (_("Order"), TEXT),
            (_("Refunded on"), TEXT),
            (_("Given back by"), TEXT),
            (_("Amount (yuan)"), MONEY),
        ],
    )
    refunds.rows = [
        [row.number, row.refunded_on.isoformat(), _collector(row.collector), row.amount_fen]
        for row in refund_rows(session, producer.id, statement.period_start, statement.period_end)
    ]
    holds = Section(_("Held"), [(_("Order"), TEXT), (_("Paid on"), TEXT), (_("Held (yuan)"), MONEY)])
    holds.rows = [[h.number, h.paid_on.isoformat(), h.held_fen] for h in position.held]
    payouts = Section(
        _("Payouts"),
        [
            (_("Payout"), INT),
            (_("State"), TEXT),
            (_("Paid on"), TEXT),
            (_("Bank reference"), TEXT),
            (_("Amount (yuan)"), MONEY),
        ],
    )
    payouts.rows = [
        [
            p.id,
            payout_status_label(p.status),
            p.paid_on.isoformat() if p.paid_on else "",
            p.bank_reference or "",
            p.amount_fen,
        ]
        for p in position.payouts
    ]
    title = _(
        "Settlement statement %(month)s — %(producer)s",
        month=month_label(statement.month),
        producer=producer.name,
    )
    return Report(title, facts, [summary, orders, refunds, holds, payouts])
