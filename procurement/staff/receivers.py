"""Receivers: a staff member's new shop orders count toward their employer (职工个人)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.models import User
from orders.models import Order
from procurement.staff.services import staff_institution_id


def stamp_employer(sender: Session, buyer: User, orders: list[Order], **_extra: Any) -> None:
    """Receiver of ``checkout_placing``: the institution the buyer's purchases count toward now, if any."""
    with sender.no_autoflush:  # read before the new orders are written: their INSERT carries the stamp
        employer_id = staff_institution_id(sender, buyer)
    for order in orders:
        order.staff_institution_id = employer_id
