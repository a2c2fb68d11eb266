"""Demo payee accounts: each approved demo producer is paid into a verified (made-up) bank account, so the
demo institution can pay its deliveries and the platform can pay out statements."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from core.db import utcnow
from core.models import User
from settlement.payees.models import PayeeAccount, PayeeStatus


def demo_account_number(producer: Producer) -> str:
    """A stable made-up 19-digit card number for ``producer`` (the 6228 prefix of 中国农业银行 cards)."""
    digits = str(int(hashlib.sha256(producer.name.encode()).hexdigest(), 16))
    return "6228" + digits[:15]


def seed_payees(session: Session, producers: list[Producer], reviewers: dict[int, User]) -> None:
    """Give every approved producer without a payee account a verified one, decided by its county's reviewer
    (``reviewers`` by county id). Does not commit."""
    for producer in producers:
        if not producer.is_approved:
            continue
        if session.scalar(select(PayeeAccount.id).where(PayeeAccount.producer_id == producer.id)) is not None:
            continue
        reviewer = reviewers.get(producer.county_id)
        session.add(
            PayeeAccount(
                producer=producer,
                version=1,
                status=PayeeStatus.VERIFIED,
                account_name=producer.name,
                bank_name="中国农业银行",
                branch_name=f"{producer.county.name}支行",
                account_number=demo_account_number(producer),
                decided_by_id=reviewer.id if reviewer is not None else None,
                decided_at=utcnow(),
            )
        )
    session.flush()
