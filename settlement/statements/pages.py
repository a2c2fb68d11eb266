"""The statement page, shared by the statement views and by the payout steps (shown again after a refusal)."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from catalog.producers.models import Producer
from catalog.products.forms import suffix_ids
from core.db import db_session
from settlement.payees.services import in_force
from settlement.payouts.forms import ApproveForm, CancelForm, ProposeForm
from settlement.payouts.models import PayoutStatus
from settlement.statements.exports import summary_rows
from settlement.statements.models import Statement
from settlement.statements.services import (
    available_fen,
    fee_basis_points,
    latest_statement,
    month_label,
    position,
)


def render_statement(
    producer: Producer, statement: Statement, status: int = 200, error: str | None = None, **forms: Any
) -> ResponseReturnValue:
    """A statement (closed, or the running month's when it has no id) with where it stands now; for
    administrators also the payout forms (``forms`` replace blank ones after a refused attempt on the payout
    ``payout_id``)."""
    is_admin = bool(current_user.is_admin)
    latest = latest_statement(db_session, producer.id)
    is_latest = statement.id is not None and latest is not None and latest.id == statement.id
    basis_points = fee_basis_points(current_app.config)
    where = position(db_session, statement)
    failed = forms.get("payout_id")
    payout_forms = {}
    for payout in where.payouts:
        if payout.status is not PayoutStatus.PROPOSED:
            continue
        approve = forms.get("approve_form") if failed == payout.id else None
        cancel = forms.get("cancel_form") if failed == payout.id else None
        payout_forms[payout.id] = (
            suffix_ids(approve or ApproveForm(formdata=None), str(payout.id)),
            suffix_ids(cancel or CancelForm(formdata=None), str(payout.id)),
        )
    context = {
        "producer": producer,
        "statement": statement,
        "month": month_label(statement.month),
        "is_live": statement.id is None,
        "is_latest": is_latest,
        "latest": latest,
        "position": where,
        "rows": summary_rows(statement, where),
        "payee": in_force(db_session, producer.id),
        "available": available_fen(db_session, producer, basis_points) if is_admin and is_latest else None,
        "propose_form": forms.get("propose_form") or ProposeForm(formdata=None),
        "payout_forms": payout_forms,
        "month_label": month_label,
        "error": error,
    }
    return render_template("settlement/statements/detail.html", **context), status
