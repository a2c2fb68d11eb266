"""Receivers: procurement asks for a producer's verified payee account without importing settlement."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from procurement.signals import PayeeDetails, collect_payee
from settlement.payees.services import verified_payee_details


def answer_payee(sender: Session, producer: Producer, **_extra: Any) -> PayeeDetails | None:
    """Receiver of ``collect_payee``: the producer's verified account as a payment instruction, or None."""
    return verified_payee_details(sender, producer)


def connect() -> None:
    """Connect the receivers (module-level functions: connecting again is harmless)."""
    collect_payee.connect(answer_payee)
