"""The Stripe webhook: ``POST /payments/stripe/webhook``.

Stripe signs each delivery; the signature is checked on the raw body (not re-serialised JSON) with
``STRIPE_WEBHOOK_SECRET`` — that, not a CSRF token, is what authenticates the request, so the view is exempt
from CSRF. Each event id is stored once in :class:`StripeEvent` before anything else happens: a replayed or
duplicated delivery answers 200 "duplicate" and changes nothing. For ``payment_intent.*`` events the
PaymentIntent's CURRENT state is read from Stripe and applied, so events arriving out of order (a
``payment_failed`` after the success, a ``succeeded`` before we stored the PaymentIntent) are harmless.
One commit per delivery; when applying fails (Stripe unreachable, a refund refused), nothing is kept and the
answer is 503, so Stripe delivers the event again later.
"""

from __future__ import annotations

import logging
from typing import Any

import stripe
from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError

from core.db import db_session
from core.errors import DomainError
from core.security import csrf
from core.transactions import claim_write_lock
from payments.gateway import current_gateway, stripe_enabled
from payments.models import StripeEvent
from payments.services import apply_payment_intent

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/payments")


def _verified_event(payload: bytes) -> dict[str, Any] | None:
    """The event if the signature over ``payload`` is valid, else ``None``."""
    if not stripe_enabled():
        return None
    try:
        event = current_gateway().construct_event(payload, request.headers.get("Stripe-Signature"))
    except (ValueError, stripe.SignatureVerificationError):
        return None
    data: dict[str, Any] = event.to_dict()
    return data if isinstance(data.get("id"), str) and 0 < len(data["id"]) <= 64 else None


def _record_once(event: dict[str, Any]) -> bool:
    """Store the event id; ``False`` if it was stored before (by an earlier or concurrent delivery)."""
    claim_write_lock(db_session)  # SQLite: concurrent deliveries queue here instead of failing later
    if db_session.get(StripeEvent, event["id"]) is not None:
        return False
    db_session.add(StripeEvent(id=event["id"], type=str(event.get("type") or "")[:64]))
    try:
        db_session.flush()
    except IntegrityError:
        db_session.rollback()
        return False
    return True


@bp.post("/stripe/webhook")
def stripe_webhook() -> ResponseReturnValue:
    """Receive one Stripe event (see the module docstring)."""
    event = _verified_event(request.get_data())
    if event is None:
        log.warning("Stripe webhook with an invalid or missing signature")
        return jsonify(error="invalid signature"), 400
    if not _record_once(event):
        return jsonify(status="duplicate")
    kind = str(event.get("type") or "")
    status = "ignored"
    intent_id = ((event.get("data") or {}).get("object") or {}).get("id")
    if kind.startswith("payment_intent.") and isinstance(intent_id, str):
        gateway = current_gateway()
        try:
            status = apply_payment_intent(db_session, gateway.retrieve(intent_id), gateway).outcome.value
        except stripe.InvalidRequestError as exc:  # no such PaymentIntent for our key: retrying will not help
            log.warning("Stripe event %s (%s) names an unknown PaymentIntent: %s", event["id"], kind, exc)
        except (stripe.StripeError, DomainError) as exc:
            db_session.rollback()
            log.warning("Stripe event %s (%s) not applied: %s", event["id"], kind, exc)
            return jsonify(error="not applied; retry later"), 503
    db_session.commit()
    return jsonify(status=status)


csrf.exempt(stripe_webhook)
