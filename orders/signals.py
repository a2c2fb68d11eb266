"""Signals orders send so that packages to the right (procurement) can react in the same transaction."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent while a checkout is written, after its orders were added to the session and before they are flushed.
#: Receivers get ``sender=Session``, ``buyer=`` (the :class:`core.models.User`) and ``orders=`` (a list of
#: :class:`orders.models.Order`); they may fill the fields that belong to them (procurement stamps the
#: buyer's employer on staff purchases).
checkout_placing = _signals.signal("checkout-placing")

#: Sent when a cart is priced (the cart, the checkout page, placing a checkout). Receivers get
#: ``sender=Session`` and ``request=`` (a :class:`orders.cart.discounts.DiscountRequest`: the buyer, the
#: lines, each producer's shipping fee, the moment, a coupon code, and whether the checkout is being placed)
#: and return a list of :class:`orders.cart.discounts.DiscountOffer` — the discounts that apply, already
#: chosen by their stacking rules, each with the reason shown to the buyer. While placing, receivers take
#: the discounts from their budgets in the caller's transaction and raise a :class:`core.errors.DomainError`
#: when one can no longer be given (the checkout is then not written).
collect_discounts = _signals.signal("collect-discounts")

#: Sent after unpaid orders were cancelled (the buyer cancelled, or their reservation ended), before the
#: caller commits. Receivers get ``sender=Session`` and ``orders=`` (a list of
#: :class:`orders.models.Order`); promotions give the discounts those orders took back to their budgets.
orders_cancelled = _signals.signal("orders-cancelled")

#: Sent after a buyer rated an order line after receipt, before the caller commits. Receivers get
#: ``sender=Session``, ``rating=`` (a :class:`orders.models.Rating`) and ``order=`` (its
#: :class:`orders.models.Order`); promotions award points for an order's first rating.
rating_recorded = _signals.signal("rating-recorded")
