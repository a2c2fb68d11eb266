"""A producer's shipping fee rule: flat fee per order, free from an order value on, provinces not served."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.access import is_member
from catalog.producers.models import Producer
from core.errors import DomainError, PermissionDenied
from core.models import User
from orders.addresses import PROVINCES
from orders.models import ShippingRule

MAX_FEE_FEN = 100_000  # ¥1,000 per order is already far beyond any parcel


class ShippingRuleInvalid(DomainError):
    """The fee or the provinces are not acceptable."""

    message = _l("The shipping fee must be between ¥0 and ¥1,000, and only real provinces can be excluded.")


def shipping_rule(session: Session, producer: Producer) -> ShippingRule | None:
    """The producer's rule, if it has one (no rule means free shipping everywhere)."""
    return session.scalar(select(ShippingRule).where(ShippingRule.producer_id == producer.id))


def set_shipping_rule(
    session: Session,
    user: User,
    producer: Producer,
    *,
    flat_fee_fen: int,
    free_above_fen: int | None,
    excluded_provinces: list[str],
) -> ShippingRule:
    """Create or replace the producer's rule (members only). Does not commit.

    Raises :class:`PermissionDenied` or :class:`ShippingRuleInvalid` (fees out of range, unknown province).
    """
    if not (user.is_admin or is_member(user, producer)):
        raise PermissionDenied()
    known = {p.code for p in PROVINCES}
    if (
        not 0 <= flat_fee_fen <= MAX_FEE_FEN
        or (free_above_fen is not None and not 0 < free_above_fen <= 100 * MAX_FEE_FEN)
        or not set(excluded_provinces) <= known
    ):
        raise ShippingRuleInvalid()
    rule = shipping_rule(session, producer) or ShippingRule(producer_id=producer.id)
    rule.flat_fee_fen = flat_fee_fen
    rule.free_above_fen = free_above_fen
    rule.excluded_provinces = sorted(set(excluded_provinces))
    session.add(rule)
    session.flush()
    return rule
