"""The public trace page a QR code opens: HTML for people, JSON and EPCIS for machines; the daily digest.

Both URL forms resolve: ``/t/<lot>`` and the GS1 Digital Link form ``/01/<GTIN>/10/<lot>`` (the GTIN must
be the batch's product's), each with an optional serial (``/t/<lot>/<serial>``, ``…/21/<serial>``) and a
QR image at ``<trace URL>/qr.png``. The same URL answers ``Accept: application/json``
with the JSON of :mod:`traceability.trace.data`, ``?linkType=gs1:epcis`` or ``Accept: application/ld+json``
with the EPCIS 2.0 document of :mod:`traceability.epcis`, and the rest a GS1-Conformant resolver asks
(:mod:`traceability.resolver`): the linkset, link-type redirects, codes printed before a GTIN was
corrected. Everything here is public; every visit is counted (in memory first, written in batches:
:mod:`traceability.trace.visits`). A batch's page is versioned by one query
(:func:`traceability.trace.lookup.find_version`), so a revalidating scanner or proxy gets ``304`` without
anything being rendered, and a recall, a new event or a tampered record changes the version at once
(:mod:`core.http_cache`). A labelled unit's page is one scanner's own and never shared.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
)
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy.exc import IntegrityError

from core import http_cache
from core.db import db_session
from core.errors import NotFound
from core.transactions import claim_write_lock, run_unit_of_work
from traceability import epcis
from traceability.digest import check_digests, publish_digests
from traceability.display import (
    BASIS_LABELS,
    PRODUCED_ON_LABELS,
    event_details,
    event_title,
    recorded_by,
)
from traceability.links import qr_png, trace_path, trace_url
from traceability.models import Batch, SerialScan, SerialUnit
from traceability.serials import Scanner, SerialAssessment, assess, network_key, network_label
from traceability.trace import data as trace_data
from traceability.trace import lookup, negotiation
from traceability.trace.visits import flush as flush_visits
from traceability.trace.visits import visit_buffer

bp = Blueprint("trace", __name__)

EPCIS_LINK_TYPE = negotiation.EPCIS_LINK_TYPE
#: Rendered in place of the visit count, which each request fills in (the page is kept without it).
VISITS_MARK = "__trace_visits__"
QR_MAX_AGE = 86400
#: The first-party cookie that keeps a browser one scanner of one label (set on that label's address only).
SCANNER_COOKIE = "trace_scanner"
SCANNER_COOKIE_MAX_AGE = 365 * 86400


class BatchNotFound(NotFound):
    """No batch (or labelled unit) has this code."""

    message = _l(
        "No batch has this code. Check the code printed on the label: a code that cannot be found may be "
        "a counterfeit."
    )


def _base_url() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"])


def _batch_or_404(lot: str, gtin: str | None = None, serial: str | None = None, suffix: str = "") -> Batch:
    batch = lookup.find_batch(db_session, lot, gtin)
    if batch is None:
        _moved_or_404(lot, gtin, serial, suffix)
    assert batch is not None  # noqa: S101 - _moved_or_404 never returns
    return batch


def _moved_or_404(lot: str, gtin: str | None, serial: str | None = None, suffix: str = "") -> None:
    """Redirect (301) a code printed with a GTIN its product carried before a correction to the batch's
    current address; else 404."""
    batch = lookup.moved_batch(db_session, lot, gtin) if gtin is not None else None
    if batch is None:
        raise BatchNotFound()
    query = request.query_string.decode()
    target = trace_path(batch, serial) + suffix + (f"?{query}" if query else "")
    abort(redirect(target, 301))


def _unit_or_404(batch: Batch, serial: str) -> SerialUnit:
    unit = lookup.find_serial(db_session, batch, serial)
    if unit is None:
        raise BatchNotFound()
    return unit


def _with_link(response: Response, link: str) -> Response:
    """Name the EPCIS representation of the page in its ``Link`` header."""
    response.headers["Link"] = link
    return response


def _count_visit(batch_id: int, stored: int) -> int:
    """Count this visit (GET only) and return the count to show: stored plus this process's pending visits.

    The pending visits are written in a short transaction of their own when due (see ``trace.visits``).
    """
    buffer = visit_buffer(current_app)
    if request.method != "GET":
        return stored + buffer.pending(batch_id)
    shown = stored + buffer.add(batch_id)
    if buffer.due():
        db_session.commit()  # end the read first: the write gets a fresh snapshot
        flush_visits(buffer, db_session)
    return shown


def _render(batch: Batch, wanted: str, visits: int | str, link: str, **facts: Any) -> Response:
    """The HTML page or the JSON of ``batch`` with its ``Link`` header (``facts``: see data.assemble)."""
    data = trace_data.assemble(
        db_session, batch, _base_url(), visits=visits, every_event=wanted == "json", **facts
    )
    if wanted == "json":
        response = jsonify(data.as_json())
    else:
        response = Response(
            render_template(
                "traceability/trace/page.html",
                trace=data,
                batch=batch,
                product=data.product,
                producer=data.producer,
                event_title=event_title,
                recorded_by=recorded_by,
                event_details=event_details,
                basis_labels=BASIS_LABELS,
                epcis_link_type=EPCIS_LINK_TYPE,
                scan_window_minutes=current_app.config["SERIAL_SCAN_WINDOW_MINUTES"],
                date_labels=PRODUCED_ON_LABELS,
                # verified payments to households; a verification raises the catalog's version, which the
                # page's version includes (lookup.find_version)
                benefit=data.benefit,
            ),
            mimetype="text/html",
        )
    return _with_link(response, link)


def _epcis(batch: Batch, link: str) -> Response:
    """The batch's EPCIS 2.0 document."""
    document = epcis.build_document(db_session, batch, _base_url())
    response = Response(json.dumps(document, ensure_ascii=False), mimetype=epcis.EPCIS_MEDIA_TYPE)
    return _with_link(response, link)


def _respond(lot: str, gtin: str | None = None) -> ResponseReturnValue:
    """A batch's record as HTML, JSON or EPCIS: ``304`` when the client holds the current version.

    The version (one query) covers everything the record shows; see lookup.find_version.
    """
    found = lookup.find_version(db_session, lot, gtin)
    if found is None:
        _moved_or_404(lot, gtin)
    assert found is not None  # noqa: S101 - _moved_or_404 never returns
    wanted = negotiation.wanted()
    if wanted == "link":
        followed = negotiation.follow(_load(found.batch_id))
        if followed is not None:
            return followed
        wanted = "html"
    visits = _count_visit(found.batch_id, found.visit_count)

    def render() -> Response:
        batch = _load(found.batch_id)
        link = negotiation.link_header(batch)
        if wanted == "epcis":
            return _epcis(batch, link)
        if wanted == "linkset":
            return negotiation.linkset(batch, link)
        facts = {
            "linked": found.linked,
            "fingerprint": found.fingerprint,
            "cold_chain": found.cold_chain,
            "findings": found.findings,
        }
        return _render(batch, wanted, VISITS_MARK, link, **facts)

    def fill(body: str) -> str:
        return body.replace(f'"{VISITS_MARK}"', str(visits)).replace(VISITS_MARK, str(visits))

    response = http_cache.respond(lambda: found.version, render, kind=wanted, vary=("Accept",), fill=fill)
    db_session.commit()
    return response


def _load(batch_id: int) -> Batch:
    """The batch a version was read for, with what its page shows (404 if it vanished in between)."""
    batch = lookup.load_batch(db_session, batch_id)
    if batch is None:
        raise BatchNotFound()
    return batch


def _scanner_cookie() -> URLSafeSerializer:
    """Signs the scanner cookie, so a browser can only name a scanner this site gave it."""
    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt=SCANNER_COOKIE)


def _scanner(unit: SerialUnit) -> Scanner:
    """Who is opening ``unit``'s page: its network, and the scanner its cookie for this label names."""
    address = request.remote_addr or ""
    known = None
    try:
        claimed = _scanner_cookie().loads(request.cookies.get(SCANNER_COOKIE, ""))
    except BadData:
        claimed = None
    if (
        isinstance(claimed, list)
        and len(claimed) == 2
        and claimed[0] == unit.id
        and isinstance(claimed[1], int)
    ):
        known = claimed[1]
    return Scanner(
        network_key(address, str(current_app.config["SECRET_KEY"])),
        network_label(address),
        known_scan_id=known,
    )


def _respond_serial(batch: Batch, unit: SerialUnit) -> ResponseReturnValue:
    """A labelled unit's page: one scanner's own, never stored by any cache. Opening it in a browser is a
    scan (see traceability.serials); its JSON, its EPCIS and HEAD requests show the assessment without being
    one."""
    config = current_app.config
    max_networks = int(config["SERIAL_MAX_NETWORKS"])
    wanted = negotiation.wanted()
    if wanted == "link":
        followed = negotiation.follow(batch, unit.serial)
        if followed is not None:
            return followed
        wanted = "html"
    db_session.commit()  # end the read that found the batch
    visits = _count_visit(batch.id, batch.visit_count)
    scan = None
    if request.method == "GET" and wanted == "html":
        scanner = _scanner(unit)
        window = timedelta(minutes=float(config["SERIAL_SCAN_WINDOW_MINUTES"]))

        def check() -> tuple[SerialScan, SerialAssessment]:
            # A short write of its own, lock first: many scanners at once queue on SQLite instead of failing
            # on a stale read snapshot, and hold PostgreSQL's row lock only for the increment.
            claim_write_lock(db_session)
            return lookup.check_serial(db_session, unit, scanner, max_networks=max_networks, window=window)

        scan, assessment = run_unit_of_work(check, db_session)
    else:
        assessment = assess(unit, max_networks=max_networks)
    link = negotiation.link_header(batch, unit.serial)
    if wanted == "epcis":
        response = _epcis(batch, link)
    elif wanted == "linkset":
        response = negotiation.linkset(batch, link, unit.serial)
    else:
        response = _render(batch, wanted, visits, link, serial=unit, assessment=assessment)
    db_session.commit()
    if scan is not None:  # the same browser stays the same scanner wherever it comes back from
        response.set_cookie(
            SCANNER_COOKIE,
            _scanner_cookie().dumps([unit.id, scan.id]),
            max_age=SCANNER_COOKIE_MAX_AGE,
            path=request.path,
            secure=bool(config.get("SESSION_COOKIE_SECURE", True)),
            httponly=True,
            samesite="Lax",
        )
    return http_cache.private(response, ("Accept",))


def _qr(batch: Batch, unit: SerialUnit | None = None) -> ResponseReturnValue:
    """The QR code of the absolute trace URL, cacheable for a day (it never changes)."""
    url = trace_url(_base_url(), batch, unit.serial if unit is not None else None)
    response = Response(qr_png(url), mimetype="image/png")
    response.headers["Cache-Control"] = f"public, max-age={QR_MAX_AGE}"
    return response


@bp.get("/t/<lot>")
def short(lot: str) -> ResponseReturnValue:
    """A batch's trace page by its short path."""
    return _respond(lot)


@bp.get("/t/<lot>/<serial>")
def short_serial(lot: str, serial: str) -> ResponseReturnValue:
    """A labelled unit's trace page by its short path: the batch plus when and how often it was checked."""
    batch = _batch_or_404(lot)
    return _respond_serial(batch, _unit_or_404(batch, serial))


@bp.get("/01/<gtin>/10/<lot>")
def digital_link(gtin: str, lot: str) -> ResponseReturnValue:
    """A batch's trace page by its GS1 Digital Link (GTIN + lot)."""
    return _respond(lot, gtin)


@bp.get("/01/<gtin>/10/<lot>/21/<serial>")
def digital_link_serial(gtin: str, lot: str, serial: str) -> ResponseReturnValue:
    """A labelled unit's trace page by its GS1 Digital Link (GTIN + lot + serial)."""
    batch = _batch_or_404(lot, gtin, serial)
    return _respond_serial(batch, _unit_or_404(batch, serial))


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
    return _qr(_batch_or_404(lot, gtin, suffix="/qr.png"))


@bp.get("/01/<gtin>/10/<lot>/21/<serial>/qr.png")
def digital_link_serial_qr(gtin: str, lot: str, serial: str) -> ResponseReturnValue:
    """A labelled unit's QR code (PNG), reached through its Digital Link."""
    batch = _batch_or_404(lot, gtin, serial, "/qr.png")
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
    return render_template("traceability/trace/digest.html", checks=_published_digests())


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
