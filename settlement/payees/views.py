"""Payee account pages: the producer's members register or change the account, the county reviewer decides.

The producer's page is for its members only (403 for other signed-in users); the review desk for reviewers and
administrators, each version only for the reviewers of its producer's county (403 otherwise).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from catalog.access import is_member
from catalog.producers.models import Producer
from core.access import can_review, ensure, user_passes
from core.db import db_session, get_or_404
from core.errors import DomainError
from core.models import User
from core.regions import counties
from settlement.payees import services as payees
from settlement.payees.errors import PayeeFieldError
from settlement.payees.forms import ConfirmForm, PayeeForm, RejectForm
from settlement.payees.models import PayeeAccount

bp = Blueprint("payees", __name__, url_prefix="/settlement")

#: Reviewers (of any county) and administrators; the county of each version is checked on the object.
reviewer_or_admin = user_passes(lambda user: user.is_reviewer or user.is_admin)


def _user() -> User:
    """The signed-in user as a plain model object (for services)."""
    user: User = current_user._get_current_object()
    return user


def _member_producer(producer_id: int) -> Producer:
    """A producer the signed-in user acts for: 404 if unknown, 403 if not theirs."""
    producer = get_or_404(Producer, producer_id)
    ensure(is_member(current_user, producer))
    return producer


def _prefill(producer: Producer) -> dict[str, object]:
    """The account in force (or the producer's name) to start a change from."""
    current = payees.in_force(db_session, producer.id)
    if current is None:
        return {"account_name": producer.name}
    return {
        "account_name": current.account_name,
        "name_note": current.name_note,
        "bank_name": current.bank_name,
        "branch_name": current.branch_name,
        "account_number": current.account_number,
        "cnaps_code": current.cnaps_code,
    }


def _render_account(
    producer: Producer, form: PayeeForm | None = None, status: int = 200, error: str | None = None
) -> ResponseReturnValue:
    """The producer's payee page: the account in force, the pending change, the form and every version."""
    return render_template(
        "settlement/payees/account.html",
        producer=producer,
        current=payees.in_force(db_session, producer.id),
        pending=payees.pending_change(db_session, producer.id),
        versions=payees.versions(db_session, producer.id),
        form=form or PayeeForm(formdata=None, data=_prefill(producer)),
        confirm_form=ConfirmForm(formdata=None),
        error=error,
    ), status


@bp.route("/producers/<id:producer_id>/payee", methods=["GET", "POST"])
@login_required
def producer_account(producer_id: int) -> ResponseReturnValue:
    """Members see the account money is paid into and submit a new one (or a change) for verification."""
    producer = _member_producer(producer_id)
    if request.method == "GET":
        return _render_account(producer)
    form = PayeeForm()
    if not form.validate_on_submit():
        return _render_account(producer, form, 400)
    try:
        payees.submit_account(db_session, _user(), producer, form.payee_input())
    except PayeeFieldError as exc:
        db_session.rollback()
        form.show_error(exc)
        return _render_account(producer, form, exc.status)
    except DomainError as exc:
        db_session.rollback()
        return _render_account(producer, form, exc.status, str(exc))
    db_session.commit()
    flash(_("Submitted: the county office verifies the account before money is paid into it."), "success")
    return redirect(url_for(".producer_account", producer_id=producer.id))


@bp.post("/producers/<id:producer_id>/payee/withdraw")
@login_required
def withdraw(producer_id: int) -> ResponseReturnValue:
    """Members take back the change waiting for review; the account in force stays."""
    producer = _member_producer(producer_id)
    if not ConfirmForm().validate_on_submit():
        return _render_account(producer, status=400)
    pending = payees.pending_change(db_session, producer.id)
    if pending is None:
        return _render_account(producer, status=409, error=_("No change is waiting for review."))
    try:
        payees.withdraw_account(db_session, _user(), pending)
    except DomainError as exc:
        db_session.rollback()
        return _render_account(producer, status=exc.status, error=str(exc))
    db_session.commit()
    flash(_("Change withdrawn; the account in force stays."), "info")
    return redirect(url_for(".producer_account", producer_id=producer.id))


@bp.get("/payees/")
@reviewer_or_admin
def queue() -> ResponseReturnValue:
    """Payee accounts waiting for verification in the reviewer's counties (admins: all), oldest first."""
    scope = counties(db_session) if current_user.is_admin else list(current_user.reviewer_counties)
    page = payees.review_queue(db_session, request.args.get("page", type=int) or 1, [c.id for c in scope])
    return render_template("settlement/payees/queue.html", page=page)


def _reviewable(account_id: int) -> PayeeAccount:
    """A version of a payee account: 404 if unknown, 403 unless the user reviews its producer's county."""
    account = get_or_404(PayeeAccount, account_id)
    ensure(can_review(current_user, account.producer.county))
    return account


def _render_review(
    account: PayeeAccount, reject_form: RejectForm | None = None, status: int = 200, error: str | None = None
) -> ResponseReturnValue:
    """The review page: the version, the account in force beside it, the history and the decision forms."""
    current = payees.in_force(db_session, account.producer_id)
    return render_template(
        "settlement/payees/review.html",
        account=account,
        producer=account.producer,
        current=current if current is not None and current.id != account.id else None,
        history=payees.history(db_session, account),
        may_decide=payees.may_review(current_user, account),
        confirm_form=ConfirmForm(formdata=None),
        reject_form=reject_form or RejectForm(formdata=None),
        error=error,
    ), status


@bp.get("/payees/<id:account_id>")
@reviewer_or_admin
def review(account_id: int) -> ResponseReturnValue:
    """One version with everything the reviewer compares it with."""
    return _render_review(_reviewable(account_id))


@bp.post("/payees/<id:account_id>/verify")
@reviewer_or_admin
def verify(account_id: int) -> ResponseReturnValue:
    """The reviewer verifies the version: it is in force from now on."""
    account = _reviewable(account_id)
    if not ConfirmForm().validate_on_submit():
        return _render_review(account, status=400)
    try:
        payees.verify_account(db_session, _user(), account)
    except DomainError as exc:
        db_session.rollback()
        return _render_review(account, status=exc.status, error=str(exc))
    db_session.commit()
    flash(
        _("Verified: %(producer)s is paid into this account from now on.", producer=account.producer.name),
        "success",
    )
    return redirect(url_for(".review", account_id=account.id))


@bp.post("/payees/<id:account_id>/reject")
@reviewer_or_admin
def reject(account_id: int) -> ResponseReturnValue:
    """The reviewer rejects the version with a reason; the account in force stays."""
    account = _reviewable(account_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _render_review(account, form, 400)
    try:
        payees.reject_account(db_session, _user(), account, form.reason.data)
    except PayeeFieldError as exc:
        db_session.rollback()
        form.reason.errors = [*form.reason.errors, str(exc)]
        return _render_review(account, form, exc.status)
    except DomainError as exc:
        db_session.rollback()
        return _render_review(account, form, exc.status, str(exc))
    db_session.commit()
    flash(_("Not verified; the producer has been told why."), "info")
    return redirect(url_for(".review", account_id=account.id))
