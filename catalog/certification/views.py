"""Reviewers decide certification applications and revoke certificates, for their own counties only."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from catalog.certification import services
from catalog.certification.services import certificate_state
from catalog.producers.models import Producer
from catalog.products.forms import CertifyForm, ReasonForm
from catalog.products.models import Certification, CertificationStatus, Product
from core.access import can_review, ensure, user_passes
from core.clock import shanghai_date
from core.db import db_session, get_or_404
from core.errors import DomainError
from core.pagination import paginate
from core.regions import counties

bp = Blueprint("certification", __name__, url_prefix="/review/certifications")

#: Reviewers (of any county) and admins; the county of each application is checked on the object.
reviewer_or_admin = user_passes(lambda user: user.is_reviewer or user.is_admin)

STATUS_FILTERS = ("applied", "certified", "rejected", "revoked", "all")


def reviewable(cert_id: int) -> Certification:
    """Load a certification record: 404 if unknown, 403 unless the user reviews the product's county."""
    cert = get_or_404(Certification, cert_id)
    ensure(can_review(current_user, cert.product.producer.county))
    return cert


@bp.get("/")
@reviewer_or_admin
def queue() -> ResponseReturnValue:
    """Applications and certificates in the reviewer's counties (admins: all) by status; default: open."""
    status = request.args.get("status", "applied")
    if status not in STATUS_FILTERS:
        status = "applied"
    scope = counties(db_session) if current_user.is_admin else list(current_user.reviewer_counties)
    county_code = request.args.get("county", "")
    chosen = [c for c in scope if c.code == county_code] or scope
    query = (
        select(Certification)
        .join(Certification.product)
        .join(Product.producer)
        .where(Producer.county_id.in_([c.id for c in chosen]))
    )
    if status == "applied":
        query = query.where(Certification.status == CertificationStatus.APPLIED).order_by(
            Certification.applied_at, Certification.id
        )
    else:
        if status != "all":
            query = query.where(Certification.status == CertificationStatus(status))
        query = query.order_by(Certification.id.desc())
    page = paginate(db_session, query, request.args.get("page", type=int) or 1)
    return render_template(
        "catalog/certification/queue.html",
        page=page,
        status=status,
        statuses=STATUS_FILTERS,
        scope=scope,
        county_code=county_code if len(chosen) == 1 and len(scope) > 1 else "",
        today=shanghai_date(),
    )


def one_year_from(day: date) -> date:
    """The last day of a one-year validity starting on ``day`` (29 February counts as 28)."""
    try:
        anniversary = day.replace(year=day.year + 1)
    except ValueError:
        anniversary = day.replace(year=day.year + 1, day=28)
    return anniversary - timedelta(days=1)


def render_decision(
    cert: Certification,
    certify_form: CertifyForm | None = None,
    reason_form: ReasonForm | None = None,
    status: int = 200,
    error: str | None = None,
) -> ResponseReturnValue:
    """The decision page: product facts, producer, history, and the forms the record's state allows."""
    today = shanghai_date()
    if certify_form is None:
        county = cert.product.producer.county
        certify_form = CertifyForm(
            formdata=None,
            authority=f"{county.name}乡村振兴局",  # the county's rural revitalisation bureau
            valid_from=today,
            valid_to=one_year_from(today),
            facts_seen=cert.product.facts_fingerprint(),
        )
    return render_template(
        "catalog/certification/decide.html",
        cert=cert,
        product=cert.product,
        producer=cert.product.producer,
        state=certificate_state(cert.product, today),
        certify_form=certify_form,
        reason_form=reason_form or ReasonForm(formdata=None),
        error=error,
    ), status


@bp.get("/<id:cert_id>")
@reviewer_or_admin
def decide(cert_id: int) -> ResponseReturnValue:
    """Show an application or certificate with what can be decided on it."""
    return render_decision(reviewable(cert_id))


def refused(cert: Certification, exc: DomainError, **forms: Any) -> ResponseReturnValue:
    """Roll back and show the decision page again with the broken rule next to its field (or on top)."""
    db_session.rollback()
    form = forms.get("certify_form") or forms.get("reason_form")
    name = getattr(exc, "field", None)
    if form is not None and name and name in form:
        form[name].errors = [*form[name].errors, str(exc)]
        return render_decision(cert, status=exc.status, **forms)
    return render_decision(cert, status=exc.status, error=str(exc), **forms)


@bp.post("/<id:cert_id>/certify")
@reviewer_or_admin
def certify(cert_id: int) -> ResponseReturnValue:
    """Certify the application with certificate number, authority and validity."""
    cert = reviewable(cert_id)
    form = CertifyForm()
    if not form.validate_on_submit():
        return render_decision(cert, certify_form=form, status=400)
    try:
        services.certify(
            db_session,
            current_user,
            cert,
            form.certificate_no.data or "",
            form.authority.data or "",
            form.valid_from.data,
            form.valid_to.data,
            form.facts_seen.data or None,
        )
    except services.FactsChangedSinceReview as exc:
        db_session.rollback()
        return render_decision(cert, status=exc.status, error=str(exc))  # a fresh form with today's facts
    except DomainError as exc:
        return refused(cert, exc, certify_form=form)
    db_session.commit()
    flash(
        _(
            "%(name)s is certified (certificate %(number)s).",
            name=cert.product.name,
            number=cert.certificate_no,
        ),
        "success",
    )
    return redirect(url_for(".queue"))


@bp.post("/<id:cert_id>/reject")
@reviewer_or_admin
def reject(cert_id: int) -> ResponseReturnValue:
    """Reject the application with a reason."""
    cert = reviewable(cert_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return render_decision(cert, reason_form=form, status=400)
    try:
        services.reject(db_session, current_user, cert, form.reason.data or "")
    except DomainError as exc:
        return refused(cert, exc, reason_form=form)
    db_session.commit()
    flash(_("The application for %(name)s was rejected.", name=cert.product.name), "info")
    return redirect(url_for(".queue"))


@bp.post("/<id:cert_id>/revoke")
@reviewer_or_admin
def revoke(cert_id: int) -> ResponseReturnValue:
    """Revoke a certificate with a reason; it stops counting at once."""
    cert = reviewable(cert_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return render_decision(cert, reason_form=form, status=400)
    try:
        services.revoke(db_session, current_user, cert, form.reason.data or "")
    except DomainError as exc:
        return refused(cert, exc, reason_form=form)
    db_session.commit()
    flash(_("The certificate of %(name)s was revoked.", name=cert.product.name), "info")
    return redirect(url_for(".decide", cert_id=cert.id))
