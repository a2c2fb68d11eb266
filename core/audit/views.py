"""Administrators read and filter the audit log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, Flask, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from core.access import admin_required
from core.audit.forms import AuditFilterForm
from core.audit.services import AuditEntry
from core.clock import SHANGHAI
from core.db import db_session
from core.models import User
from core.pagination import paginate
from core.regions import counties

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

#: ``app.extensions`` key: how each kind of subject names its ``status`` values (registered at wiring).
STATUS_LABELS_KEY = "audit_status_labels"


def register_status_labels(app: Flask, subject_type: str, label: Callable[[Any], str]) -> None:
    """Let the audit log name ``subject_type``'s states in words; each package registers its own subjects
    in its ``init_app`` (the table belongs to ``app``, nothing global changes)."""
    app.extensions.setdefault(STATUS_LABELS_KEY, {})[subject_type] = label


def _distinct(column: Any) -> list[str]:
    """The values of ``column`` present in the log, sorted."""
    return sorted(str(v) for v in db_session.scalars(select(column).distinct()) if v)


def _shanghai_midnight(day: date) -> datetime:
    """The instant an Asia/Shanghai calendar day starts."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def _filtered(form: AuditFilterForm) -> Select[Any]:
    """The log, newest first, narrowed by the form's valid filters."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if form.action.data:
        query = query.where(AuditEntry.action == form.action.data)
    if form.subject.data:
        query = query.where(AuditEntry.subject_type == form.subject.data)
    if form.county.data:
        query = query.where(AuditEntry.region_code == form.county.data)
    actor = (form.actor.data or "").strip()
    if actor and not form.actor.errors:
        query = query.join(User, AuditEntry.actor_id == User.id).where(
            User.email.icontains(actor, autoescape=True)
        )
    if form.date_from.data and not form.date_from.errors:
        query = query.where(AuditEntry.at >= _shanghai_midnight(form.date_from.data))
    if form.date_to.data and not form.date_to.errors:
        query = query.where(AuditEntry.at < _shanghai_midnight(form.date_to.data + timedelta(days=1)))
    return query


def changes(entry: AuditEntry) -> list[tuple[str, Any, Any]]:
    """``(field, before, after)`` for every field an entry records, in a stable order."""
    before, after = entry.before or {}, entry.after or {}
    keys = list(before) + [key for key in after if key not in before]
    return [(key, before.get(key), after.get(key)) for key in keys]


@bp.get("/")
@admin_required
def log() -> ResponseReturnValue:
    """The audit log, newest first, filtered by action, subject, county, actor and Asia/Shanghai dates."""
    form = AuditFilterForm(formdata=request.args)
    form.action.choices = [("", str(_l("All actions")))] + [(a, a) for a in _distinct(AuditEntry.action)]
    form.subject.choices = [("", str(_l("All subjects")))] + [
        (s, s) for s in _distinct(AuditEntry.subject_type)
    ]
    form.county.choices = [("", str(_l("All counties")))] + [
        (c.code or "", c.name) for c in counties(db_session)
    ]
    valid = form.validate()
    page = paginate(db_session, _filtered(form), request.args.get("page", type=int) or 1)
    filters = {
        name: request.args.get(name, "")
        for name in ("action", "subject", "county", "actor", "date_from", "date_to")
        if request.args.get(name)
    }
    page_html = render_template(
        "core/audit/log.html",
        form=form,
        page=page,
        filters=filters,
        changes=changes,
        status_labels=current_app.extensions.get(STATUS_LABELS_KEY, {}),
    )
    return page_html, 200 if valid else 400
