"""The payout steps, for administrators only: one proposes, another approves with the bank's reference or
cancels.

Each step answers on the statement's page: a refusal shows it again with the message and the status (400 for
bad input, 403 for the same administrator approving, 409 for a conflict with the current state).
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from core.access import admin_required
from core.db import db_session, get_or_404
from core.errors import DomainError
from core.i18n import format_fen
from core.models import User
from core.transactions import run_unit_of_work
from settlement.payouts import services as payouts
from settlement.payouts.forms import ApproveForm, CancelForm, ProposeForm
from settlement.payouts.models import Payout
from settlement.statements.models import Statement
from settlement.statements.pages import render_statement
from settlement.statements.services import fee_basis_points, month_label

bp = Blueprint("payouts", __name__, url_prefix="/settlement")


def _admin() -> User:
    """The signed-in administrator as a plain model object (for services)."""
    user: User = current_user._get_current_object()
    return user


def _back(statement: Statement) -> ResponseReturnValue:
    return redirect(
        url_for("statements.detail", producer_id=statement.producer_id, month=month_label(statement.month))
    )


@bp.post("/statements/<id:statement_id>/payouts")
@admin_required
def propose(statement_id: int) -> ResponseReturnValue:
    """Propose paying (part of) the statement's balance into the producer's verified account."""
    statement = get_or_404(Statement, statement_id)
    form = ProposeForm()
    if not form.validate_on_submit():
        return render_statement(statement.producer, statement, 400, propose_form=form)
    admin, amount, note = _admin(), form.amount.data or 0, form.note.data
    basis_points = fee_basis_points(current_app.config)
    try:
        payout = run_unit_of_work(
            lambda: payouts.propose_payout(db_session, admin, statement, amount, note, basis_points),
            db_session,
        )
    except DomainError as exc:
        db_session.rollback()
        return render_statement(statement.producer, statement, exc.status, str(exc), propose_form=form)
    flash(
        _(
            "Payout of %(amount)s proposed: another administrator approves it once the money is sent.",
            amount=format_fen(payout.amount_fen),
        ),
        "success",
    )
    return _back(statement)


@bp.post("/payouts/<id:payout_id>/approve")
@admin_required
def approve(payout_id: int) -> ResponseReturnValue:
    """A second administrator records the transfer that paid a proposed payout."""
    payout = get_or_404(Payout, payout_id)
    statement = payout.statement
    form = ApproveForm()
    if not form.validate_on_submit():
        return render_statement(statement.producer, statement, 400, approve_form=form, payout_id=payout.id)
    admin, basis_points = _admin(), fee_basis_points(current_app.config)
    reference, paid_on = form.bank_reference.data, form.paid_on.data
    try:
        run_unit_of_work(
            lambda: payouts.approve_payout(db_session, admin, payout, reference, paid_on, basis_points),
            db_session,
        )
    except DomainError as exc:
        db_session.rollback()
        return render_statement(
            statement.producer, statement, exc.status, str(exc), approve_form=form, payout_id=payout.id
        )
    flash(_("Payout recorded as paid; the producer has been told."), "success")
    return _back(statement)


@bp.post("/payouts/<id:payout_id>/cancel")
@admin_required
def cancel(payout_id: int) -> ResponseReturnValue:
    """Cancel a proposed payout (nothing was sent), with a reason."""
    payout = get_or_404(Payout, payout_id)
    statement = payout.statement
    form = CancelForm()
    if not form.validate_on_submit():
        return render_statement(statement.producer, statement, 400, cancel_form=form, payout_id=payout.id)
    admin, reason = _admin(), form.reason.data
    try:
        run_unit_of_work(lambda: payouts.cancel_payout(db_session, admin, payout, reason), db_session)
    except DomainError as exc:
        db_session.rollback()
        return render_statement(
            statement.producer, statement, exc.status, str(exc), cancel_form=form, payout_id=payout.id
        )
    flash(_("Payout cancelled."), "info")
    return _back(statement)
