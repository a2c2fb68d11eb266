"""Who collects the money of each payment method — and so who confirms it arrived and who gives it back.

The one rule every page, service and notice about consumer money reads (never a scattered method check):

- **Stripe** (card, Alipay, WeChat Pay): the platform collects, through its Stripe account. Stripe's signed
  webhook confirms it; refunds go back through Stripe (asked by the producer or an administrator).
- **Bank transfer**: the platform collects. The buyer transfers ONE amount for the whole checkout to the
  platform's bank account, with the checkout's reference; a platform administrator confirms it once per
  checkout and records any refund (the platform sends the money back). Producers never handle this money.
- **Cash on delivery**: the producer collects each order's cash when it is delivered (through the courier),
  confirms it and gives back any refund.

Money the platform collects is one payment for the whole checkout; money the producer collects is one payment
per order. (Procurement purchase orders are paid by the institution straight to the producer, who confirms
them on the procurement pages: not a consumer payment method.)
"""

from __future__ import annotations

import enum

from orders.models import PaymentMethod


class Collector(enum.StrEnum):
    """Who holds the buyer's money once paid."""

    #: The platform's Stripe or bank account: its administrators confirm and give back money paid by hand.
    PLATFORM = "platform"
    #: The producer who delivers (cash on delivery): its members confirm and give back.
    PRODUCER = "producer"
    #: The operator of the counter or fair where it was sold, who settles with the producer.
    COUNTER = "counter"


COLLECTORS: dict[PaymentMethod, Collector] = {
    PaymentMethod.STRIPE: Collector.PLATFORM,
    PaymentMethod.BANK_TRANSFER: Collector.PLATFORM,
    PaymentMethod.CASH_ON_DELIVERY: Collector.PRODUCER,
    PaymentMethod.AT_COUNTER: Collector.COUNTER,
    # points are the platform's: only its administrators give them back (promotions.flash)
    PaymentMethod.POINTS: Collector.PLATFORM,
}


def collector_of(method: PaymentMethod | str) -> Collector:
    """Who collects money paid by ``method``."""
    return COLLECTORS[PaymentMethod(method)]


def methods_collected_by(collector: Collector) -> list[PaymentMethod]:
    """The payment methods whose money ``collector`` collects (for queries)."""
    return [method for method, who in COLLECTORS.items() if who is collector]


def producer_confirms(method: PaymentMethod) -> bool:
    """Whether the producer confirms by hand that the money arrived (cash it collected on delivery)."""
    return method.is_offline and collector_of(method) is Collector.PRODUCER


def platform_confirms(method: PaymentMethod) -> bool:
    """Whether a platform administrator confirms by hand that the money arrived (a bank transfer)."""
    return method.is_offline and collector_of(method) is Collector.PLATFORM


def producer_may_refund(method: PaymentMethod) -> bool:
    """Whether the producer's members may refund an order paid by ``method``.

    Yes when Stripe sends the money back, or when the producer holds the money (cash on delivery); no when
    the platform holds it by hand (bank transfer): only the platform can send it back, so only its
    administrators record such refunds. Administrators may refund every order.
    """
    return not platform_confirms(method)
