"""Administrators register EPCIS partners and issue (shown once) or revoke their tokens."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core.access import admin_required
from core.db import db_session, get_or_404
from core.errors import DomainError
from core.regions import get_region
from traceability.interop.models import Partner, PartnerKind, PartnerToken
from traceability.interop.partners import issue_partner_token, register_partner, revoke_partner_token
from traceability.partners.forms import KIND_LABELS, PartnerForm, RevokeForm, TokenForm

bp = Blueprint("epcis_partners", __name__, url_prefix="/admin/epcis-partners")

#: The page lists this many partners, by name (partners are wired up by hand: a handful per county).
LISTED = 100


def _render(form: PartnerForm, status: int = 200, secret: str | None = None) -> ResponseReturnValue:
    """The page: the new secret (once), the partners with their tokens, and the form."""
    partners = list(db_session.scalars(select(Partner).order_by(Partner.name).limit(LISTED)))
    ids = [p.id for p in partners]
    tokens = (
        list(db_session.scalars(select(PartnerToken).where(PartnerToken.partner_id.in_(ids)))) if ids else []
    )
    html = render_template(
        "traceability/partners/index.html",
        form=form,
        partners=partners,
        tokens={p.id: [t for t in tokens if t.partner_id == p.id] for p in partners},
        token_form=TokenForm(formdata=None),
        revoke_form=RevokeForm(formdata=None),
        kind_labels=KIND_LABELS,
        secret=secret,
    )
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"  # a secret must not linger in any cache
    return response


def _form() -> PartnerForm:
    """The registration form with its county choices."""
    form = PartnerForm()
    form.load_choices(db_session)
    return form


@bp.get("/")
@admin_required
def index() -> ResponseReturnValue:
    """The partners and the form to register one."""
    form = PartnerForm(formdata=None)
    form.load_choices(db_session)
    return _render(form)


@bp.post("/")
@admin_required
def create() -> ResponseReturnValue:
    """Register a partner."""
    form = _form()
    producers = form.producer_objects(db_session) if form.validate_on_submit() else None
    if producers is None:
        if not form.errors:
            form.producers.errors = [_("No producer has this id.")]
        return _render(form, 400)
    counties = [get_region(db_session, code) for code in form.counties.data or []]
    try:
        partner = register_partner(
            db_session, current_user, form.name.data or "", PartnerKind(form.kind.data),
            producers, [c for c in counties if c is not None],
        )  # fmt: skip
    except DomainError as exc:
        db_session.rollback()
        form.name.errors = [str(exc)]
        return _render(form, exc.status)
    db_session.commit()
    flash(_("Partner “%(name)s” registered. Issue it a token.", name=partner.name), "success")
    return redirect(url_for("epcis_partners.index"))


@bp.post("/<id:partner_id>/tokens")
@admin_required
def issue(partner_id: int) -> ResponseReturnValue:
    """Issue a token and show its secret this once."""
    partner = get_or_404(Partner, partner_id)
    form = TokenForm()
    empty = PartnerForm(formdata=None)
    empty.load_choices(db_session)
    if not form.validate_on_submit():
        flash(_("Give the token a name of 1 to 80 characters."), "error")
        return _render(empty, 400)
    try:
        _token, secret = issue_partner_token(db_session, current_user, partner, form.name.data or "")
    except DomainError as exc:
        db_session.rollback()
        flash(str(exc), "error")
        return _render(empty, exc.status)
    db_session.commit()
    return _render(empty, 200, secret=secret)


@bp.post("/tokens/<id:token_id>/revoke")
@admin_required
def revoke(token_id: int) -> ResponseReturnValue:
    """Revoke a partner's token for good."""
    token = get_or_404(PartnerToken, token_id)
    if RevokeForm().validate_on_submit():
        revoke_partner_token(db_session, current_user, token)
        db_session.commit()
        flash(_("The token “%(name)s” was revoked.", name=token.name), "success")
    return redirect(url_for("epcis_partners.index"))
