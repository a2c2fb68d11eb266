"""The one seam to Stripe: every call to its API goes through :class:`StripeGateway`.

Built from configuration (``STRIPE_SECRET_KEY``, optional ``STRIPE_API_BASE`` — localstripe in tests —,
``STRIPE_WEBHOOK_SECRET``, ``STRIPE_PAYMENT_METHOD_TYPES``). Amounts are integer fen, the currency CNY, and
every call that creates something at Stripe carries an idempotency key derived from our own records, so a
retried request never creates a second PaymentIntent or a second refund.

The gateway hands back :class:`Intent` values (plain data) rather than SDK objects, so the services that turn
Stripe's state into ours do not depend on the SDK's object model.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import stripe
from flask import Flask, current_app

from orders.models import Checkout, Order
from payments.errors import PaymentProviderError

#: What Chinese buyers pay with, through Stripe (``STRIPE_PAYMENT_METHOD_TYPES``; empty: Stripe decides).
DEFAULT_PAYMENT_METHOD_TYPES = ("card", "alipay", "wechat_pay")
CURRENCY = "cny"
#: A webhook's signed timestamp may be this far from our clock, either way (Stripe's own default, 5 minutes).
WEBHOOK_TOLERANCE_SECONDS = 300


def stripe_enabled(app: Flask | None = None) -> bool:
    """Whether Stripe keys are configured (otherwise only the offline methods are offered)."""
    config = (app or current_app).config
    return bool(config.get("STRIPE_SECRET_KEY"))


def stripe_elements_enabled(app: Flask | None = None) -> bool:
    """Whether the payment page offers Stripe's Payment Element (a secret and a publishable key are set)."""
    config = (app or current_app).config
    return stripe_enabled(app) and bool(config.get("STRIPE_PUBLISHABLE_KEY"))


def stripe_test_mode(app: Flask | None = None) -> bool:
    """Whether the key is a test key (``sk_test_…``): only then may the server take card numbers."""
    config = (app or current_app).config
    return str(config.get("STRIPE_SECRET_KEY") or "").startswith("sk_test_")


@dataclass(frozen=True)
class Intent:
    """What we need to know of a PaymentIntent at one moment: its id, state, amount and our checkout."""

    id: str
    status: str
    amount: int
    currency: str
    #: Our checkout number, from the PaymentIntent's metadata.
    checkout_number: str | None = None
    #: Why the last attempt failed (Stripe's message), if it did.
    error_message: str | None = None
    #: The secret Stripe.js needs to confirm this PaymentIntent in the buyer's browser (never logged).
    client_secret: str | None = None

    @classmethod
    def from_stripe(cls, data: Any) -> Intent:
        """Read an SDK PaymentIntent (or the ``data.object`` dict of an event)."""
        raw: Mapping[str, Any] = data.to_dict() if hasattr(data, "to_dict") else data
        error = raw.get("last_payment_error") or {}
        metadata = raw.get("metadata") or {}
        return cls(
            id=str(raw["id"]),
            status=str(raw.get("status") or ""),
            amount=int(raw.get("amount") or 0),
            currency=str(raw.get("currency") or "").lower(),
            checkout_number=metadata.get("checkout"),
            error_message=error.get("message"),
            client_secret=raw.get("client_secret"),
        )


@dataclass(frozen=True)
class CardDetails:
    """A card typed into the test-mode form (never stored; sent straight to Stripe)."""

    number: str
    exp_month: int
    exp_year: int
    cvc: str


class LiveModeRefused(RuntimeError):
    """Raw card numbers may only be sent with a test key; live payments need Stripe's Payment Element."""


class StripeGateway:
    """A Stripe client configured for this app, with the few calls the marketplace makes."""

    def __init__(
        self,
        secret_key: str,
        *,
        api_base: str | None = None,
        webhook_secret: str | None = None,
        payment_method_types: list[str] | tuple[str, ...] | None = DEFAULT_PAYMENT_METHOD_TYPES,
    ) -> None:
        if not secret_key:
            raise ValueError("STRIPE_SECRET_KEY is not configured")
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret or ""
        self.payment_method_types = list(payment_method_types or ())
        addresses: Any = {"api": api_base} if api_base else None
        self.client = stripe.StripeClient(secret_key, base_addresses=addresses, max_network_retries=2)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StripeGateway:
        """Build the gateway from ``app.config``."""
        return cls(
            str(config.get("STRIPE_SECRET_KEY") or ""),
            api_base=config.get("STRIPE_API_BASE") or None,
            webhook_secret=config.get("STRIPE_WEBHOOK_SECRET") or None,
            payment_method_types=config.get("STRIPE_PAYMENT_METHOD_TYPES", DEFAULT_PAYMENT_METHOD_TYPES),
        )

    @property
    def is_test_mode(self) -> bool:
        """Whether the key is a test key."""
        return self.secret_key.startswith("sk_test_")

    def create_payment_intent(self, checkout: Checkout) -> Intent:
        """Create the checkout's PaymentIntent: its total in fen, CNY, our checkout number as metadata.

        The idempotency key is derived from the checkout, so asking twice returns the same PaymentIntent.
        The payment methods go in ``allowed_payment_method_types``: the API version this SDK pins
        (2026-10-28.endive) refuses the older ``payment_method_types`` parameter. localstripe 1.15 knows only
        the older one, so the tests configure no list and the parameter is left out (Stripe then offers what
        the account has enabled for CNY).
        """
        params: Any = {
            "amount": checkout.total_fen,
            "currency": CURRENCY,
            "metadata": {"checkout": checkout.number},
        }
        if self.payment_method_types:
            params["allowed_payment_method_types"] = self.payment_method_types
        intent = self.client.v1.payment_intents.create(
            params=params, options={"idempotency_key": f"checkout-{checkout.number}-pi"}
        )
        return Intent.from_stripe(intent)

    def create_card_payment_method(self, card: CardDetails, *, idempotency_key: str) -> str:
        """Create a card PaymentMethod from raw test-card details and return its id (test mode only).

        Raises :class:`LiveModeRefused` with a live key, ``stripe.StripeError`` when Stripe refuses the card.
        """
        if not self.is_test_mode:
            raise LiveModeRefused("card numbers are only accepted with a test key")
        method = self.client.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {
                    "number": card.number,
                    "exp_month": card.exp_month,
                    "exp_year": card.exp_year,
                    "cvc": card.cvc,
                },
            },
            options={"idempotency_key": idempotency_key},
        )
        return str(method.id)

    def confirm(self, intent_id: str, *, payment_method: str) -> Intent:
        """Attach ``payment_method`` to the PaymentIntent and confirm it.

        Attaching is a separate update (rather than ``confirm(payment_method=…)``) because localstripe only
        implements that form; Stripe accepts both. Raises ``stripe.CardError`` for a declined card.
        """
        self.client.v1.payment_intents.update(intent_id, params={"payment_method": payment_method})
        return Intent.from_stripe(self.client.v1.payment_intents.confirm(intent_id))

    def retrieve(self, intent_id: str) -> Intent:
        """The PaymentIntent's current state at Stripe."""
        return Intent.from_stripe(self.client.v1.payment_intents.retrieve(intent_id))

    def cancel(self, intent_id: str) -> Intent:
        """Cancel the PaymentIntent, so nothing can be paid through it any more.

        Raises ``stripe.InvalidRequestError`` when it cannot be cancelled (it succeeded meanwhile, or is
        being processed).
        """
        return Intent.from_stripe(self.client.v1.payment_intents.cancel(intent_id))

    def refund(
        self, intent_id: str, amount_fen: int, *, idempotency_key: str, metadata: dict[str, str] | None = None
    ) -> str:
        """Refund ``amount_fen`` of the PaymentIntent and return the Stripe refund id."""
        refund = self.client.v1.refunds.create(
            params={"payment_intent": intent_id, "amount": amount_fen, "metadata": metadata or {}},
            options={"idempotency_key": idempotency_key},
        )
        return str(refund.id)

    def construct_event(self, payload: bytes, signature: str | None, *, now: float | None = None) -> Any:
        """Verify a webhook's signature on its raw body and parse it.

        The signed timestamp must lie within :data:`WEBHOOK_TOLERANCE_SECONDS` of ``now`` both ways: Stripe's
        SDK refuses only old ones, so a delivery stamped in the future (a replay prepared ahead, a skewed
        clock) is refused here. Raises ``stripe.SignatureVerificationError`` (bad or missing signature, no
        secret configured, timestamp out of tolerance) or ``ValueError`` (not JSON).
        """
        if not self.webhook_secret:
            raise stripe.SignatureVerificationError("no webhook secret configured", signature)  # type: ignore[no-untyped-call]
        event = self.client.construct_event(
            payload, signature, self.webhook_secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
        moment = time.time() if now is None else now
        if _signed_at(signature or "") > moment + WEBHOOK_TOLERANCE_SECONDS:
            raise stripe.SignatureVerificationError(  # type: ignore[no-untyped-call]
                "timestamp is in the future", signature
            )
        return event


def _signed_at(signature: str) -> int:
    """The ``t=`` timestamp of a ``Stripe-Signature`` header (already verified by the SDK)."""
    for item in signature.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return 0


def current_gateway() -> StripeGateway:
    """The gateway for the current app's configuration (built per use: cheap, and tests change the keys)."""
    return StripeGateway.from_config(current_app.config)


def provider_detail(exc: stripe.StripeError) -> str:
    """Stripe's own message for the person in front of the screen."""
    return str(exc.user_message or exc.code or type(exc).__name__)


def stripe_refund(gateway: StripeGateway, intent_id: str, amount_fen: int, key: str, order: Order) -> str:
    """Refund through Stripe and return the refund id; a failure becomes :class:`PaymentProviderError`."""
    try:
        return gateway.refund(intent_id, amount_fen, idempotency_key=key, metadata={"order": order.number})
    except stripe.StripeError as exc:
        raise PaymentProviderError(detail=provider_detail(exc)) from exc
