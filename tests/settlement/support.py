"""Helpers for the settlement tests: a verified payee account put in place directly."""

from __future__ import annotations

import itertools

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from core.db import utcnow
from settlement.payees.models import PayeeAccount, PayeeStatus

_numbers = itertools.count(1)


def give_payee(
    db: Session,
    producer: Producer,
    *,
    number: str | None = None,
    status: PayeeStatus = PayeeStatus.VERIFIED,
    bank: str = "中国农业银行",
) -> PayeeAccount:
    """A payee account version of ``producer`` in ``status`` (default: verified, in force), in its name."""
    latest = db.scalar(select(func.max(PayeeAccount.version)).where(PayeeAccount.producer_id == producer.id))
    account = PayeeAccount(
        producer=producer,
        version=(latest or 0) + 1,
        status=status,
        account_name=producer.name,
        bank_name=bank,
        branch_name="疏勒县支行",
        account_number=number or f"62284800{next(_numbers):011d}",
        decided_at=utcnow() if status is not PayeeStatus.PENDING else None,
    )
    db.add(account)
    db.flush()
    return account
