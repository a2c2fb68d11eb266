"""Shared pieces of the payment services: row locks, Stripe refunds, notifications in the right language."""

from __future__ import annotations

from typing import Any, TypeVar

import stripe
from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import User
from core.notifications.services import notify
from core.transactions import claim_write_lock
from orders.models import Checkout, Order
from payments.errors import PaymentProviderError
from payments.gateway import StripeGateway
from payments.models import Payment

_M = TypeVar("_M", Checkout, Order)


def lock_row(session: Session, model: type[_M], ident: int) -> _M:
    """Reload a checkout or order with a write lock (a row lock on PostgreSQL, the write lock on SQLite)."""
    session.flush()
    claim_write_lock(session)
    query = select(model).where(model.id == ident).with_for_update()
    return session.execute(query.execution_options(populate_existing=True)).scalar_one()


def lock_orders(session: Session, checkout: Checkout) -> list[Order]:
    """Reload the checkout's orders with row locks, so a concurrent expiry cannot cancel them under us."""
    session.flush()
    query = select(Order).where(Order.checkout_id == checkout.id).order_by(Order.id).with_for_update()
    return list(session.scalars(query.execution_options(populate_existing=True)))


def succeeded_payment(session: Session, checkout: Checkout) -> Payment | None:
    """The checkout's succeeded Stripe payment, if any (there is at most one)."""
    return session.scalar(select(Payment).where(Payment.succeeded_checkout_id == checkout.id))


def provider_detail(exc: stripe.StripeError) -> str:
    """Stripe's own message for the person in front of the screen."""
    return str(exc.user_message or exc.code or type(exc).__name__)


def stripe_refund(gateway: StripeGateway, intent_id: str, amount_fen: int, key: str, order: Order) -> str:
    """Refund through Stripe and return the refund id; a failure becomes :class:`PaymentProviderError`."""
    try:
        return gateway.refund(intent_id, amount_fen, idempotency_key=key, metadata={"order": order.number})
    except stripe.StripeError as exc:
        raise PaymentProviderError(detail=provider_detail(exc)) from exc


def text_for(user: User | None, message: Any, **params: Any) -> str:
    """``message`` (a lazy string) in ``user``'s language — the platform's default for ``None``."""
    locale = (user.locale if user is not None else None) or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        return str(message) % params


def tell(session: Session, user: User, kind: str, message: tuple[Any, Any], link: str, **params: Any) -> None:
    """Queue a notification (``message`` = subject, body) for ``user`` in their language."""
    subject, body = message
    notify(session, user, kind, text_for(user, subject, **params), text_for(user, body, **params), link=link)
