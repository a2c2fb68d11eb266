"""Paying in the browser with Stripe's Payment Element: card, Alipay and WeChat Pay.

Card details never reach our server: Stripe.js (loaded from Stripe, as its terms require) collects them in
Stripe's own frame, confirms the PaymentIntent, and for Alipay (a redirect to Alipay) and WeChat Pay (a QR
code shown by Stripe.js) brings the buyer back to our return URL. That return, like every webhook, only tells
us to look: the result always comes from the PaymentIntent's current state at Stripe.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import stripe
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from core.errors import DomainError
from core.security import CONTENT_SECURITY_POLICY
from orders.models import Checkout
from payments.errors import PaymentProviderError
from payments.gateway import StripeGateway, current_gateway, provider_detail
from payments.services import PaymentResult, apply_payment_intent

#: Stripe's own origins the Payment Element needs besides Stripe.js: its frames and its API.
STRIPE_FRAMES = ("https://js.stripe.com", "https://hooks.stripe.com")
STRIPE_API = "https://api.stripe.com"


class UnknownPaymentIntent(DomainError):
    """The return URL named a PaymentIntent that is not this checkout's."""

    status = 400
    message = _l("This payment does not belong to this checkout.")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def payment_page_policy(config: Any) -> str:
    """The payment page's Content-Security-Policy: ours, plus Stripe.js, Stripe's frames and API.

    Only the page that shows the Payment Element gets these sources; every other page keeps the strict policy.
    """
    script = _origin(str(config.get("STRIPE_JS_URL") or "https://js.stripe.com/v3/"))
    api = _origin(str(config["STRIPE_API_BASE"])) if config.get("STRIPE_API_BASE") else STRIPE_API
    extra = {
        "script-src": [script],
        "frame-src": [*STRIPE_FRAMES, script],
        "connect-src": [api, script],
        "img-src": ["https://*.stripe.com"],
    }
    directives = []
    for directive in CONTENT_SECURITY_POLICY.split("; "):
        name = directive.split(" ", 1)[0]
        sources = extra.pop(name, [])
        directives.append(" ".join([directive, *dict.fromkeys(sources)]))
    for name, sources in extra.items():
        directives.append(" ".join([name, "'self'", *dict.fromkeys(sources)]))
    return "; ".join(directives)


def return_from_stripe(
    session: Session, checkout: Checkout, intent_id: str, gateway: StripeGateway | None = None
) -> PaymentResult:
    """The buyer came back from Stripe (after a card, Alipay or WeChat Pay): apply the PaymentIntent's state.

    Raises :class:`UnknownPaymentIntent` unless ``intent_id`` is the checkout's own PaymentIntent, and
    :class:`PaymentProviderError` when Stripe cannot be reached. Does not commit.
    """
    if not intent_id or intent_id != checkout.stripe_payment_intent:
        raise UnknownPaymentIntent()
    gateway = gateway or current_gateway()
    try:
        intent = gateway.retrieve(intent_id)
    except stripe.StripeError as exc:
        raise PaymentProviderError(detail=provider_detail(exc)) from exc
    return apply_payment_intent(session, intent, gateway)
