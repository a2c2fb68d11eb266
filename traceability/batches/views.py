"""The producer's batch workbench (record batches and steps, process, serials, labels, recall) and the
county reviewer's recall list.

Members of a batch's producer (and admins) may do everything on it; reviewers of its county may view it,
recall it and export the recall list; everyone else gets 403, an unknown batch 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from catalog.access import is_member, producer_member_required, producers_of
from catalog.images import ImageError, delete_image, store_upload
from catalog.products.models import Product
from catalog.products.services import member_product_filter
from core.access import can_review, ensure, user_passes
from core.clock import shanghai_date
from core.db import db_session, get_or_404
from core.errors import DomainError
from core.ids import query_id
from core.models import Region
from core.pagination import paginate
from traceability.batches.fields import shanghai_now, shanghai_to_utc
from traceability.batches.forms import (
    MANUAL_KINDS_IN_ORDER,
    ComplianceFields,
    EventForm,
    IssueCertificateForm,
    NewBatchForm,
    RecallForm,
    SerialsForm,
    origin_choices,
    product_choices,
)
from traceability.batches.inventory import unsellable_reasons
from traceability.batches.photos import keep_sent_photo, kept_photo
from traceability.batches.picker import last_contact_phone, prefill, product_cards, usual_shelf_days
from traceability.batches.services import BatchData, create_batch, issue_compliance_certificate, record_event
from traceability.display import (
    BASIS_LABELS,
    EVENT_KIND_LABELS,
    event_details,
    event_title,
    recorded_by,
)
from traceability.links import trace_path
from traceability.models import Batch, BatchStatus, EventKind, SerialUnit
from traceability.processing.forms import ProcessingForm
from traceability.processing.services import (
    ProcessInput,
    ProcessOutput,
    children_of,
    parents_of,
    process_batches,
)
from traceability.recall.services import can_recall
from traceability.serials import MAX_SERIALS_PER_REQUEST, scan_report

bp = Blueprint("batches", __name__, url_prefix="/producer/batches")

MAX_LABEL_COPIES = 200
#: Labels one PDF sheet holds at most (48 A4 pages, rendered in memory in a few seconds): a batch with more
#: unit codes prints them on several sheets. As many as unit codes are issued at once.
MAX_LABELS_PER_SHEET = MAX_SERIALS_PER_REQUEST

reviewer_or_admin_required = user_passes(lambda user: user.is_admin or user.is_reviewer)


def can_manage(batch: Batch) -> bool:
    """Members of the batch's producer and admins act on it."""
    return bool(current_user.is_admin or is_member(current_user, batch.producer))


def load_batch(batch_id: int, *, manage: bool = True) -> Batch:
    """Load a batch: 404 if unknown, 403 unless the user may manage it (``manage=False``: view it)."""
    batch = get_or_404(Batch, batch_id)
    ensure(can_manage(batch) or (not manage and can_review(current_user, batch.producer.county)))
    return batch


def member_products() -> list[Product]:
    """Products of every producer the signed-in user acts for."""
    query = (
        select(Product)
        .where(member_product_filter(current_user))
        .options(selectinload(Product.images))
        .order_by(Product.name, Product.id)
    )
    return list(db_session.scalars(query))


def upload_dir() -> Path:
    """Where uploads live (never under static/)."""
    return Path(current_app.config["UPLOAD_DIR"])


@contextmanager
def uploads_cleanup() -> Iterator[list[str | None]]:
    """Collect the keys of uploads stored for one unit of work; delete them again when it fails."""
    stored: list[str | None] = []
    try:
        yield stored
    except BaseException:
        for key in stored:
            if key:
                delete_image(upload_dir(), key)
        raise


def store_report(form: ComplianceFields) -> str | None:
    """Store the test report through the image pipeline; None when none is needed or sent.

    Raises ImageError with the pipeline's message (nothing stored then).
    """
    upload = form.report_upload
    return None if upload is None else store_upload(upload.stream, upload_dir()).key


def serial_count(batch: Batch) -> int:
    """How many unit codes the batch has."""
    return db_session.scalar(select(func.count(SerialUnit.id)).where(SerialUnit.batch_id == batch.id)) or 0


def sheet_count(serials: int) -> int:
    """How many label sheets (of at most :data:`MAX_LABELS_PER_SHEET` labels) ``serials`` unit codes need."""
    return -(-serials // MAX_LABELS_PER_SHEET)


def label_sheets(serials: int) -> list[tuple[int, int, int]]:
    """``(part, first, last)`` of each label sheet of ``serials`` unit codes, numbered from 1."""
    return [
        (part, (part - 1) * MAX_LABELS_PER_SHEET + 1, min(part * MAX_LABELS_PER_SHEET, serials))
        for part in range(1, sheet_count(serials) + 1)
    ]


def render_detail(
    batch: Batch, status: int = 200, error: str | None = None, **forms: Any
) -> ResponseReturnValue:
    """The batch page; ``forms`` replaces the blank forms with ones that failed validation."""
    manage = can_manage(batch)
    step = forms.pop("step", None) or request.args.get("step")
    event_form = forms.pop("event_form", None)
    serials = serial_count(batch)
    if step not in {k.value for k in MANUAL_KINDS_IN_ORDER}:
        step = None
    elif event_form is None:
        event_form = EventForm(formdata=None, kind=step, occurred_at=shanghai_now())
    context = {
        "batch": batch,
        "manage": manage,
        "may_recall": can_recall(current_user, batch),
        "reasons": unsellable_reasons(batch),
        "timeline": [
            (e, event_title(e), event_details(e, str(batch.product.unit)), recorded_by(e))
            for e in batch.events
        ],
        "parents": parents_of(db_session, batch),
        "children": children_of(db_session, batch),
        "serials": serials,
        "label_sheets": label_sheets(serials),
        "scan_reports": scan_report(
            db_session,
            batch,
            max_networks=int(current_app.config["SERIAL_MAX_NETWORKS"]),
            max_checks=int(current_app.config["SERIAL_MAX_CHECKS"]),
        ),
        "max_networks": current_app.config["SERIAL_MAX_NETWORKS"],
        "scan_window_minutes": current_app.config["SERIAL_SCAN_WINDOW_MINUTES"],
        "trace_href": trace_path(batch),
        "step": step,
        "step_kind": EventKind(step) if step else None,
        "event_form": event_form,
        "certificate_form": forms.pop("certificate_form", None) or _blank_certificate_form(batch),
        "serials_form": forms.pop("serials_form", None) or SerialsForm(formdata=None),
        "recall_form": forms.pop("recall_form", None) or RecallForm(formdata=None),
        "kinds": MANUAL_KINDS_IN_ORDER,
        "kind_labels": EVENT_KIND_LABELS,
        "basis_labels": BASIS_LABELS,
        "max_copies": MAX_LABEL_COPIES,
        "error": error,
    }
    return render_template("traceability/batches/detail.html", **context), status


def _blank_certificate_form(batch: Batch) -> IssueCertificateForm:
    return IssueCertificateForm(
        formdata=None, contact_phone=batch.producer.contact_phone, issued_on=shanghai_date()
    )


def _failed(exc: DomainError) -> tuple[int, str]:
    """Undo the failed unit of work; return the status and message to show."""
    db_session.rollback()
    return exc.status, str(exc)


@bp.get("/")
@producer_member_required
def index() -> ResponseReturnValue:
    """The member's batches, newest first."""
    ids = [p.id for p in producers_of(current_user)]
    query = select(Batch).where(Batch.producer_id.in_(ids)).order_by(Batch.created_at.desc(), Batch.id.desc())
    page = paginate(db_session, query, request.args.get("page", type=int) or 1)
    return render_template("traceability/batches/index.html", page=page)


@bp.route("/new", methods=["GET", "POST"])
@producer_member_required
def new() -> ResponseReturnValue:
    """Record a batch of one of the member's products, photo first, with its compliance certificate."""
    products = member_products()
    shelf_days = usual_shelf_days(db_session, [p.id for p in products])
    form = NewBatchForm(shelf_days=shelf_days)
    form.product_id.choices = product_choices(products)
    form.origin_id.choices = origin_choices(products)
    if not form.is_submitted():
        producers = producers_of(current_user)
        phone = last_contact_phone(db_session, producers)
        prefill(form, products, producers, shanghai_date(), query_id("product"), phone)
    status, error, photo_refused = (400 if form.is_submitted() else 200), None, None
    if form.is_submitted():
        try:  # kept now, so that neither a − / + tap nor a refused field makes the producer take it again
            keep_sent_photo(form, upload_dir())
        except ImageError as exc:
            photo_refused = str(exc)
    if form.is_submitted() and form.apply_stepper():
        status = 200  # a − / + tap without JavaScript: the same form, stepped, no batch written
    elif form.validate_on_submit() and photo_refused is None:
        product = next(p for p in products if p.id == form.product_id.data)
        origin = db_session.get(Region, form.origin_id.data)
        if origin is None:
            form.origin_id.errors.append(_("Choose where the batch comes from."))
            return render_new(form, products, shelf_days, error), 400
        try:
            with uploads_cleanup() as stored:
                stored.append(key := store_report(form) if form.with_certificate.data else None)
                certificate = form.to_compliance(key) if form.with_certificate.data else None
                data = form.to_batch_data(origin, kept_photo(form))
                batch = create_batch(db_session, current_user, product, data, certificate)
                db_session.commit()
        except ImageError as exc:
            form.test_report.errors.append(str(exc))
        except DomainError as exc:
            status, error = _failed(exc)
        else:
            flash(_("Batch %(lot)s recorded.", lot=batch.lot_code), "success")
            return redirect(url_for(".detail", batch_id=batch.id))
    if photo_refused is not None:
        status = 400
        form.photo.errors = [*form.photo.errors, photo_refused]
    return render_new(form, products, shelf_days, error), status


def render_new(
    form: NewBatchForm, products: list[Product], shelf_days: dict[int, int], error: str | None
) -> str:
    """The new-batch page: the product cards to tap, the chosen product's meat section open."""
    cards = product_cards(products, shelf_days)
    chosen = cards.get(form.product_id.data) if isinstance(form.product_id.data, int) else None
    return render_template(
        "traceability/batches/new.html",
        form=form,
        error=error,
        cards=cards,
        chosen=chosen,
        kept_photo=kept_photo(form),
    )


@bp.get("/<id:batch_id>")
@login_required
def detail(batch_id: int) -> ResponseReturnValue:
    """A batch: facts, compliance certificate, sellable state, timeline, and what the user may do."""
    return render_detail(load_batch(batch_id, manage=False))


@bp.post("/<id:batch_id>/events", endpoint="record_event")
@login_required
def add_event(batch_id: int) -> ResponseReturnValue:
    """Record a packing, shipping, receiving, inspection or correction step."""
    batch = load_batch(batch_id)
    form = EventForm(event_count=batch.event_count)
    if not form.validate_on_submit():
        error = _("Choose what kind of step to record.") if form.kind.errors else None
        return render_detail(batch, 400, error, event_form=form, step=form.kind.data)
    try:
        record_event(
            db_session,
            current_user,
            batch,
            form.chosen_kind,
            occurred_at=shanghai_to_utc(form.occurred_at.data),
            place=form.place.data or "",
            details=form.to_details(),
            note=form.note.data,
        )
    except DomainError as exc:
        return render_detail(batch, *_failed(exc), event_form=form, step=form.kind.data)
    db_session.commit()
    flash(_("%(step)s recorded.", step=EVENT_KIND_LABELS[form.chosen_kind]), "success")
    return redirect(url_for(".detail", batch_id=batch.id, _anchor="timeline"))


@bp.post("/<id:batch_id>/certificate")
@login_required
def issue_certificate(batch_id: int) -> ResponseReturnValue:
    """Issue the compliance certificate of a batch recorded without one."""
    batch = load_batch(batch_id)
    form = IssueCertificateForm()
    if not form.validate_on_submit():
        return render_detail(batch, 400, certificate_form=form)
    try:
        with uploads_cleanup() as stored:
            stored.append(key := store_report(form))
            issue_compliance_certificate(db_session, current_user, batch, form.to_compliance(key))
            db_session.commit()
    except ImageError as exc:
        form.test_report.errors.append(str(exc))
        return render_detail(batch, 400, certificate_form=form)
    except DomainError as exc:
        return render_detail(batch, *_failed(exc), certificate_form=form)
    flash(_("Compliance certificate issued."), "success")
    return redirect(url_for(".detail", batch_id=batch.id))


@bp.route("/processing", methods=["GET", "POST"])
@producer_member_required
def processing() -> ResponseReturnValue:
    """Record a processing step: input batches used up, new output batches made from them."""
    ids = [p.id for p in producers_of(current_user)]
    batches = list(
        db_session.scalars(
            select(Batch)
            .where(
                Batch.producer_id.in_(ids), Batch.status == BatchStatus.ACTIVE, Batch.quantity_available > 0
            )
            .order_by(Batch.created_at.desc(), Batch.id.desc())
        )
    )
    products = member_products()
    form = ProcessingForm()
    form.set_choices(
        [(b.id, f"{b.lot_code} · {b.product.name} · {b.quantity_available}") for b in batches],
        product_choices(products),
    )
    if not form.is_submitted():
        form.occurred_at.data = shanghai_now()
        form.inputs[0].form.batch_id.data = query_id("batch")
    status, error = (400 if form.is_submitted() else 200), None
    if form.validate_on_submit():
        by_id, product_by_id = {b.id: b for b in batches}, {p.id: p for p in products}
        inputs = [ProcessInput(by_id[i], quantity) for i, quantity in form.input_rows()]
        occurred_at = shanghai_to_utc(form.occurred_at.data)
        outputs = [
            ProcessOutput(product_by_id[pid], output_data(inputs, quantity, shanghai_date(occurred_at), best))
            for pid, quantity, best in form.output_rows()
        ]
        try:
            produced = process_batches(
                db_session,
                current_user,
                inputs,
                outputs,
                occurred_at=occurred_at,
                place=form.place.data or inputs[0].batch.origin.path_name(),
                process=form.process_name.data,
                note=form.note.data,
            )
        except DomainError as exc:
            status, error = _failed(exc)
        else:
            db_session.commit()
            lots = ", ".join(b.lot_code for b in produced)
            flash(_("Processing recorded; new batches: %(lots)s.", lots=lots), "success")
            return redirect(url_for(".detail", batch_id=produced[0].id))
    return render_template(
        "traceability/batches/processing.html", form=form, error=error, has_inputs=bool(batches)
    ), status


def output_data(inputs: list[ProcessInput], quantity: int, produced_on: Any, best_before: Any) -> BatchData:
    """An output batch's own facts: made on the step's day, kept until ``best_before``, registered at the
    first input's origin. The inputs' origins and certificates stay theirs: the trace page shows each."""
    return BatchData(
        quantity=quantity, produced_on=produced_on, best_before=best_before, origin=inputs[0].batch.origin
    )
