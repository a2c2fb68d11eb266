"""The EPCIS 2.0 REST interface (GS1's OpenAPI binding) for partners' systems, under ``/epcis/``.

``Authorization: Bearer <partner token>`` on every request but ``OPTIONS`` (discovery). Errors are
``application/problem+json`` with the EPCIS exception type. ``POST /epcis/capture`` processes the document
within the request and answers ``202`` with ``Location: /epcis/capture/<id>`` of a job that is already
finished (the binding allows a synchronous repository); the job says what was accepted or why not, and
``GET /epcis/capture`` lists the partner's jobs. ``/events`` serves captured events and those recorded on our
pages alike (:mod:`traceability.interop.index`); ``/queries/<name>/events`` runs a named query.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from flask.typing import ResponseReturnValue

from core.db import db_session, utcnow
from core.security import csrf
from core.urls import public_url_for
from traceability.epcis import EPCIS_MEDIA_TYPE, namespace
from traceability.interop import capture as capturing
from traceability.interop import query as querying
from traceability.interop import subscriptions as subscribing
from traceability.interop.destinations import allowed_networks
from traceability.interop.errors import (
    AuthenticationRequired,
    CaptureLimitExceededException,
    EpcisException,
    NoSuchResourceException,
    UnsupportedMediaTypeException,
)
from traceability.interop.models import CaptureStatus, EpcisCapture, EpcisSubscription, Partner
from traceability.interop.partners import authenticate_partner

bp = Blueprint("epcis", __name__, url_prefix="/epcis")

PROBLEM_MEDIA_TYPE = "application/problem+json"
_HASH_HEX = re.compile(r"[0-9a-f]{64}")


@bp.errorhandler(EpcisException)
def problem_response(exc: EpcisException) -> ResponseReturnValue:
    """An EPCIS exception as ``application/problem+json`` (a 401 with the Bearer challenge)."""
    db_session.rollback()
    response = Response(json.dumps(exc.problem(instance=request.path), ensure_ascii=False), exc.status)
    response.mimetype = PROBLEM_MEDIA_TYPE
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="epcis", error="invalid_token"'
    return response


@bp.after_request
def standard_headers(response: Response) -> Response:
    """The versions every EPCIS answer states; the capture limits on the capture endpoints."""
    response.headers["GS1-EPCIS-Version"] = "2.0.0"
    response.headers["GS1-CBV-Version"] = "2.0.0"
    response.headers["GS1-Extensions"] = f"bangfu={namespace(current_app.config['PUBLIC_BASE_URL'])}"
    if request.endpoint in ("epcis.capture", "epcis.capture_job", "epcis.capture_jobs"):
        response.headers["GS1-EPCIS-Capture-Limit"] = str(capturing.CAPTURE_LIMIT)
        response.headers["GS1-EPCIS-Capture-File-Size-Limit"] = str(capturing.CAPTURE_FILE_SIZE_LIMIT)
        response.headers["GS1-Capture-Error-Behaviour"] = "rollback"
    response.headers["Cache-Control"] = "no-store"
    return response


def partner_required(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    """Require a live partner token; the view gets the partner as its first argument."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        scheme, _sep, raw = request.headers.get("Authorization", "").partition(" ")
        partner = authenticate_partner(db_session, raw.strip()) if scheme.lower() == "bearer" else None
        if partner is None:
            raise AuthenticationRequired()
        response = view(partner, *args, **kwargs)
        db_session.commit()  # the capture, or only the token's time of last use
        return response

    return wrapped


def _json(body: dict[str, Any], status: int = 200, mimetype: str = "application/json") -> Response:
    """A JSON answer (UTF-8, not escaped)."""
    response = Response(json.dumps(body, ensure_ascii=False), status)
    response.mimetype = mimetype
    return response


def _job(job: EpcisCapture) -> dict[str, Any]:
    """A capture job as the binding describes it, with the hash ids accepted."""
    return {
        "captureID": str(job.id),
        "createdAt": job.created_at.isoformat(),
        "finishedAt": job.finished_at.isoformat(),
        "running": False,
        "success": job.status == CaptureStatus.ACCEPTED,
        "captureErrorBehaviour": "rollback",
        "eventCount": job.event_count,
        "acceptedEventIDs": list(job.accepted or []),
        "errors": [job.problem] if job.problem else [],
    }


@bp.post("/capture")
@csrf.exempt
@partner_required
def capture(partner: Partner) -> ResponseReturnValue:
    """Capture an EPCIS 2.0 document: 202 with the (finished) job's location."""
    if request.mimetype not in ("application/json", "application/ld+json"):
        raise UnsupportedMediaTypeException()
    limit = capturing.CAPTURE_FILE_SIZE_LIMIT
    too_large = CaptureLimitExceededException(events=capturing.CAPTURE_LIMIT, size=limit)
    if (request.content_length or 0) > limit:
        raise too_large  # refused unread
    raw = request.stream.read(limit + 1)  # a body without a length is read one byte past the limit at most
    if len(raw) > limit:
        raise too_large
    job = capturing.capture_document(db_session, partner, raw)
    response = _json(_job(job), 202)
    response.headers["Location"] = url_for(".capture_job", capture_id=job.id)
    return response


@bp.get("/capture")
@partner_required
def capture_jobs(partner: Partner) -> ResponseReturnValue:
    """The partner's capture jobs, newest first, a page at a time (``perPage``, ``nextPageToken``)."""
    page = capturing.capture_jobs(db_session, partner, request.args)
    jobs = [
        {
            **_job(job),
            "status": str(job.status),
            "href": public_url_for("epcis.capture_job", capture_id=job.id),
        }
        for job in page.jobs
    ]
    return _with_next_link(_json({"captureJobs": jobs}), page.next_token)


@bp.get("/capture/<id:capture_id>")
@partner_required
def capture_job(partner: Partner, capture_id: int) -> ResponseReturnValue:
    """A capture job of the partner's: accepted events, or why the document was refused."""
    job = db_session.get(EpcisCapture, capture_id)
    if job is None or job.partner_id != partner.id:
        raise NoSuchResourceException()
    return _json(_job(job))


def _with_next_link(response: Response, token: str | None) -> Response:
    """Add ``Link: <this request with nextPageToken>; rel="next"`` when there is a next page."""
    if token:
        args: dict[str, Any] = {**request.args.to_dict(flat=False), "nextPageToken": token}
        link = public_url_for(request.endpoint or "epcis.events", **(request.view_args or {}), **args)
        response.headers["Link"] = f'<{link}>; rel="next"'
    return response


def _page(partner: Partner, query: querying.EventQuery, query_name: str = "SimpleEventQuery") -> Response:
    """One page of events as an EPCISQueryDocument, with ``Link: <…>; rel="next"`` if there is more."""
    page = querying.find_events(db_session, partner, query)
    document = querying.query_document(page.events, utcnow(), query_name=query_name)
    return _with_next_link(_json(document, mimetype=EPCIS_MEDIA_TYPE), page.next_token)


@bp.get("/events")
@partner_required
def events(partner: Partner) -> ResponseReturnValue:
    """The partner's events, filtered with EPCIS query parameters, a page at a time."""
    return _page(partner, querying.parse_query(request.args))


@bp.get("/events/<path:event_id>", merge_slashes=False)
@partner_required
def event(partner: Partner, event_id: str) -> ResponseReturnValue:
    """One event by its hash id (``ni:///sha-256;<hex>?ver=CBV2.0``, percent-encoded, or just the hex)."""
    digits = _HASH_HEX.search(event_id.lower())
    found = (
        querying.find_event(db_session, partner, f"ni:///sha-256;{digits[0]}?ver=CBV2.0") if digits else None
    )
    if found is None:
        raise NoSuchResourceException()
    return _json(querying.query_document([found], utcnow()), mimetype=EPCIS_MEDIA_TYPE)


@bp.get("/epcs/<path:epc>/events", merge_slashes=False)
@partner_required
def epc_events(partner: Partner, epc: str) -> ResponseReturnValue:
    """The partner's events about one EPC or lot (any of its spellings), a page at a time."""
    return _page(partner, querying.parse_query(request.args, fixed_epc=epc))


@bp.get("/queries")
@partner_required
def queries(partner: Partner) -> ResponseReturnValue:
    """The named queries a partner may subscribe to."""
    named = [{"name": name, **definition} for name, definition in subscribing.NAMED_QUERIES.items()]
    return _json({"queries": named})


@bp.get("/queries/<name>/events")
@partner_required
def named_query_events(partner: Partner, name: str) -> ResponseReturnValue:
    """Run a named query: its events the partner may see, a page at a time, like ``/events``."""
    args = subscribing.named_query_args(name, request.args)
    return _page(partner, querying.parse_query(args), query_name=name)


def _subscription(subscription: EpcisSubscription) -> dict[str, Any]:
    """A subscription as the binding describes it."""
    return {
        "subscriptionID": str(subscription.id),
        "queryName": subscription.query_name,
        "dest": subscription.dest,
        "createdAt": subscription.created_at.isoformat(),
    }


@bp.post("/queries/<name>/subscriptions")
@csrf.exempt
@partner_required
def subscribe(partner: Partner, name: str) -> ResponseReturnValue:
    """Subscribe to a named query: ``{"dest": "https://…"}``; 201 with the subscription."""
    body = request.get_json(silent=True)
    dest = body.get("dest") if isinstance(body, dict) else None
    allow_http = bool(current_app.config.get("SHOP_EPCIS_WEBHOOK_ALLOW_HTTP", False))
    allowed = allowed_networks(current_app.config.get("SHOP_EPCIS_WEBHOOK_ALLOWED_ADDRESSES"))
    subscription = subscribing.subscribe(
        db_session, partner, name, dest, allow_http=allow_http, allowed=allowed
    )
    response = _json(_subscription(subscription), 201)
    response.headers["Location"] = url_for(".subscriptions", name=name) + f"/{subscription.id}"
    return response


@bp.get("/queries/<name>/subscriptions")
@partner_required
def subscriptions(partner: Partner, name: str) -> ResponseReturnValue:
    """The partner's live subscriptions to a named query."""
    if name not in subscribing.NAMED_QUERIES:
        raise NoSuchResourceException()
    found = subscribing.subscriptions_of(db_session, partner, name)
    return _json({"subscriptions": [_subscription(s) for s in found]})


@bp.delete("/queries/<name>/subscriptions/<id:subscription_id>")
@csrf.exempt
@partner_required
def unsubscribe(partner: Partner, name: str, subscription_id: int) -> ResponseReturnValue:
    """End a subscription: 204."""
    subscribing.cancel(db_session, partner, subscription_id)
    return Response(status=204)
