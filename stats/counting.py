"""What counts toward consumption assistance: the one rule every figure applies.

The rule (DOMAIN.md "Rules the code must keep"), as the ledger records it:

- *When*: a consumer order line when the order is paid, a procurement line when the institution confirms
  receipt (its received quantity), a refund when it is made (it takes back what its sale added, with the
  sale's dimensions). Periods are Asia/Shanghai days (:mod:`stats.ledger`).
- *Whether*: only while the product held a valid certificate on the day of the sale or receipt — a row's
  ``is_certified``, judged once when the row is written (:meth:`stats.dimensions.Dimensions.is_certified`:
  certified, between its validity dates, and before the day it was revoked). A sale of a product whose
  certificate had expired or been revoked is a *sale*, never *counted*, on every page.
- *How much*: what the buyer paid plus what a sponsor other than the producer paid for them
  (:func:`sale_value_fen`): a line discounted by the platform, a paired city, an assistance group or an
  enterprise counts at its list price — the sponsor paid the rest to the producer —, a producer's own
  discount does not count (nobody paid it), points are never counted at their face value, shipping never
  counts. A refund takes back the buyer's money given back plus the sponsors' share of those units
  (:func:`refund_value_fen`).
- *Toward whom*: the producer's county (and above), the buyer (an institution for procurement and for its
  staff's linked purchases, and its paired-partner relation), the channel.

So a figure is "counted" exactly when it sums the amounts of rows with :func:`is_counted`; "sales" sums every
row. An institution's reserved share (the canteen's quota) is met by its counted procurement receipts
(:data:`RESERVED_SHARE_CHANNEL`); its staff's linked purchases count toward the institution too
(:data:`INSTITUTION_CHANNELS`) but not toward the canteen's share.

Every reader — the public, county and producer dashboards and their exports, the statistics API, targets,
the institution's progress and the early warning — takes its condition and sums from here, so the same
figure is the same number wherever it is shown (tests/stats/test_counting_property.py draws random histories
and checks exactly that).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Table, case, func

from catalog.products.models import Product
from orders.models import OrderLine
from payments.models import RefundLine
from stats.models import Channel

#: The channel whose counted amounts meet an institution's reserved share of canteen purchases.
RESERVED_SHARE_CHANNEL = Channel.PROCUREMENT
#: The channels whose counted amounts count toward an institution (procurement and its staff's purchases,
#: in the online shop or through a livestream).
INSTITUTION_CHANNELS = (Channel.PROCUREMENT, Channel.STAFF, Channel.LIVESTREAM)


def certified_on(product: Product, day: date) -> bool:
    """Whether a sale of ``product`` on ``day`` (an Asia/Shanghai date) counts: it held a valid certificate
    that day. Written onto the ledger row as ``is_certified`` when the row is written."""
    return product.valid_certificate_on(day) is not None


def counts(is_certified: bool | None) -> bool:
    """Whether a ledger or roll-up row with this ``is_certified`` counts toward consumption assistance."""
    return bool(is_certified)


def is_counted(table: Table) -> ColumnElement[bool]:
    """SQL condition on a ledger or roll-up table: the row counts toward consumption assistance."""
    return table.c.is_certified.is_(True)


def counted_sum(table: Table) -> ColumnElement[Any]:
    """SQL sum of the counted amounts of the selected rows (0 when none count)."""
    return func.coalesce(func.sum(case((is_counted(table), table.c.amount_fen), else_=0)), 0)


def sales_sum(table: Table) -> ColumnElement[Any]:
    """SQL sum of every selected row's amount, counted or not."""
    return func.coalesce(func.sum(table.c.amount_fen), 0)


def counted_amount(is_certified: bool | None, amount_fen: int) -> int:
    """The part of a row's amount that counts (for sums folded in Python)."""
    return amount_fen if counts(is_certified) else 0


def sale_value_fen(line: OrderLine) -> int:
    """What a paid consumer order line adds to sales: the buyer's money (``paid_fen``) plus the discount a
    sponsor other than the producer paid for them (``sponsored_fen``); the list value when a third party paid
    it all, less a producer's own discount."""
    return line.paid_fen + line.sponsored_fen


def refund_value_fen(refund_line: RefundLine) -> int:
    """What a refunded line takes back from sales: the buyer's money given back for the units (their price
    on refunds recorded before discounts existed) plus the third-party sponsors' share of those units."""
    line = refund_line.line
    buyer_fen = (
        refund_line.goods_fen
        if refund_line.goods_fen is not None
        else refund_line.quantity * line.unit_price_fen
    )
    return buyer_fen + refund_line.sponsored_fen
