"""Document numbers: new unique numbers for orders, purchase orders and RFQs, and how people read them."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session


def readable_number(number: str | None) -> str:
    """An order or checkout number as read over the phone: ``261123480517`` → ``2611 2348 0517``."""
    if not number:
        return ""
    digits = number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    prefix = number[: len(number) - len(digits)]
    grouped = " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))
    return f"{prefix} {grouped}" if prefix else grouped


def new_number(session: Session, column: Any, prefix: str, today: date, taken: set[str]) -> str:
    """A number not used yet in ``column``: a prefix, the date (YYMMDD) and six random digits."""
    while True:
        number = f"{prefix}{today:%y%m%d}{secrets.randbelow(10**6):06d}"
        if number not in taken and session.scalar(select(column).where(column == number)) is None:
            taken.add(number)
            return number
