"""The public trace page a QR code opens: HTML for people, JSON and EPCIS for machines; the daily digest.

Both URL forms resolve: ``/t/<lot>`` and the GS1 Digital Link form ``/01/<GTIN>/10/<lot>`` (the GTIN must
be the batch's product's), each with an optional serial (``/t/<lot>/<serial>``, ``…/21/<serial>``) and a
QR image at ``<trace URL>/qr.png``. The same URL answers ``Accept: application/json`` with the JSON of
:mod:`traceability.trace_data` and ``?linkType=gs1:epcis`` with the EPCIS 2.0 document of
:mod:`traceability.epcis`. Everything here is public; every visit is counted.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from core.db import db_session
from core.errors import NotFound
from core.transactions import claim_write_lock, run_unit_of_work
from traceability import epcis, trace_data
from traceability.digest import check_digests, publish_digests
from traceability.display import (
    BASIS_LABELS,
    event_details,
    event_title,
)
from traceability.links import qr_png, trace_url
from traceability.models import Batch, SerialUnit
from traceability.serials import SerialAssessment, assess, network_key

bp = Blueprint("trace", __name__)

EPCIS_LINK_TYPE = "gs1:epcis"
QR_MAX_AGE = 86400


class BatchNotFound(NotFound):
    """No batch (or labelled unit) has this code."""

    message = _l(
        "No batch has this code. Check the code printed on the label: a code that cannot be found may be "
        "a counterfeit."
    )


def _base_url() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"])


def _batch_or_404(lot: str, gtin: str | None = None) -> Batch:
    batch = trace_data.find_batch(db_session, lot, gtin)
    if batch is None:
        raise BatchNotFound()
    return batch


def _unit_or_404(batch: Batch, serial: str) -> SerialUnit:
    unit = trace_data.find_serial(db_session, batch, serial)
    if unit is None:
        raise BatchNotFound()
    return unit


def _wanted() -> str:
    """``epcis`` for ``?linkType=gs1:epcis``, ``json`` when JSON is preferred over HTML, else ``html``."""
    if request.args.get("linkType") == EPCIS_LINK_TYPE:
        return "epcis"
    accept = request.accept_mimetypes
    if accept["application/json"] > accept["text/html"]:
        return "json"
    return "html"


def _respond(batch: Batch, unit: SerialUnit | None = None) -> ResponseReturnValue:
    """Count the visit (and the serial check), then answer in the representation asked for."""
    config = current_app.config
    limits = {"max_checks": config["SERIAL_MAX_CHECKS"], "max_networks": config["SERIAL_MAX_NETWORKS"]}
    visits, assessment = batch.visit_count, None
    if request.method == "GET":
        key = network_key(request.remote_addr or "", str(config["SECRET_KEY"]))

        def count() -> tuple[int, SerialAssessment | None]:
            # A short write of its own, lock first: many scanners at once queue on SQLite instead of failing
            # on a stale read snapshot, and hold PostgreSQL's row lock only for the increment.
            claim_write_lock(db_session)
            counted = trace_data.count_visit(db_session, batch)
            checked = trace_data.check_serial(db_session, unit, key, **limits) if unit is not None else None
            return counted, checked

        db_session.commit()  # end the read that found the batch
        visits, assessment = run_unit_of_work(count, db_session)
    elif unit is not None:
        assessment = assess(db_session, unit, **limits)
    wanted = _wanted()
    if wanted == "epcis":
        document = epcis.build_document(db_session, batch, _base_url())
        db_session.commit()
        response = Response(json.dumps(document, ensure_ascii=False), mimetype=epcis.EPCIS_MEDIA_TYPE)
    else:
        data = trace_data.assemble(
            db_session, batch, _base_url(), visits=visits, serial=unit, assessment=assessment
        )
        db_session.commit()
        if wanted == "json":
            response = jsonify(data.as_json())
        else:
            html = render_template(
                "trace/page.html",
                trace=data,
                batch=batch,
                product=data.product,
                producer=data.producer,
                event_title=event_title,
                event_details=event_details,
                basis_labels=BASIS_LABELS,
                epcis_link_type=EPCIS_LINK_TYPE,
            )
            response = make_response(html)
    canonical = trace_url(_base_url(), batch, unit.serial if unit is not None else None)
    response.vary.add("Accept")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Link"] = (
        f'<{canonical}?linkType={EPCIS_LINK_TYPE}>; rel="{EPCIS_LINK_TYPE}"; type="{epcis.EPCIS_MEDIA_TYPE}"'
    )
    return response


def _qr(batch: Batch, unit: SerialUnit | None = None) -> ResponseReturnValue:
    """The QR code of the absolute trace URL, cacheable for a day (it never changes)."""
    url = trace_url(_base_url(), batch, unit.serial if unit is not None else None)
    response = Response(qr_png(url), mimetype="image/png")
    response.headers["Cache-Control"] = f"public, max-age={QR_MAX_AGE}"
    return response


@bp.get("/t/<lot>")
def short(lot: str) -> ResponseReturnValue:
    """A batch's trace page by its short path."""
    return _respond(_batch_or_404(lot))


@bp.get("/t/<lot>/<serial>")
def short_serial(lot: str, serial: str) -> ResponseReturnValue:
    """A labelled unit's trace page by its short path: the batch plus when and how often it was checked."""
    batch = _batch_or_404(lot)
    return _respond(batch, _unit_or_404(batch, serial))


@bp.get("/01/<gtin>/10/<lot>")
def digital_link(gtin: str, lot: str) -> ResponseReturnValue:
    """A batch's trace page by its GS1 Digital Link (GTIN + lot)."""
    return _respond(_batch_or_404(lot, gtin))


@bp.get("/01/<gtin>/10/<lot>/21/<serial>")
def digital_link_serial(gtin: str, lot: str, serial: str) -> ResponseReturnValue:
    """A labelled unit's trace page by its GS1 Digital Link (GTIN + lot + serial)."""
    batch = _batch_or_404(lot, gtin)
    return _respond(batch, _unit_or_404(batch, serial))


@bp.get("/t/<lot>/qr.png")
def short_qr(lot: str) -> ResponseReturnValue:
    """The batch's QR code (PNG)."""
    return _qr(_batch_or_404(lot))


@bp.get("/t/<lot>/<serial>/qr.png")
def short_serial_qr(lot: str, serial: str) -> ResponseReturnValue:
    """A labelled unit's QR code (PNG)."""
    batch = _batch_or_404(lot)
    return _qr(batch, _unit_or_404(batch, serial))


@bp.get("/01/<gtin>/10/<lot>/qr.png")
def digital_link_qr(gtin: str, lot: str) -> ResponseReturnValue:
    """The batch's QR code (PNG), reached through its Digital Link."""
    return _qr(_batch_or_404(lot, gtin))


@bp.get("/01/<gtin>/10/<lot>/21/<serial>/qr.png")
def digital_link_serial_qr(gtin: str, lot: str, serial: str) -> ResponseReturnValue:
    """A labelled unit's QR code (PNG), reached through its Digital Link."""
    batch = _batch_or_404(lot, gtin)
    return _qr(batch, _unit_or_404(batch, serial))


def _published_digests() -> list[Any]:
    """Store the digests of complete days not stored yet (commit), then recheck the newest ones."""
    try:
        publish_digests(db_session)
        db_session.commit()
    except IntegrityError:  # another request stored the same day a moment ago; its value stands
        db_session.rollback()
    return check_digests(db_session)


@bp.get("/digest")
def digest() -> ResponseReturnValue:
    """The public daily digests, each checked against today's data, and how to verify them."""
    return render_template("trace/digest.html", checks=_published_digests())


@bp.get("/digest.json")
def digest_json() -> ResponseReturnValue:
    """The daily digests as JSON: day, digest, batch count and whether today's data still yield it."""
    checks = _published_digests()
    return jsonify(
        algorithm=(
            "sha256 of the lines '<lot>:<hash of its newest event recorded by the end of the day "
            "(Asia/Shanghai)>' of every batch, sorted by lot, joined by '\\n'"
        ),
        days=[
            {
                "day": check.day.isoformat(),
                "digest": check.digest,
                "batch_count": check.batch_count,
                "still_matches": check.still_matches,
            }
            for check in checks
        ],
    )
