"""Serialized units: one unguessable code per label, and a counterfeit warning for codes seen too widely."""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.models import User
from traceability.batches.services import ensure_member
from traceability.errors import BatchRecalled, EventNotAllowed
from traceability.models import Batch, SerialScan, SerialUnit

MAX_SERIALS_PER_REQUEST = 1000


def create_serials(session: Session, user: User, batch: Batch, count: int) -> list[SerialUnit]:
    """Issue ``count`` new serials for ``batch`` (at most 1000 at a time, at most the batch quantity in all).

    Serials are 96 random bits, URL-safe (valid in GS1 AI 21). Does not commit.
    """
    ensure_member(user, batch.product)
    if batch.is_recalled:
        raise BatchRecalled(lot=batch.lot_code)
    existing = session.scalar(select(func.count(SerialUnit.id)).where(SerialUnit.batch_id == batch.id)) or 0
    if not 1 <= count <= MAX_SERIALS_PER_REQUEST or existing + count > batch.quantity:
        raise EventNotAllowed()
    units = [SerialUnit(batch_id=batch.id, serial=secrets.token_urlsafe(12)) for _ in range(count)]
    session.add_all(units)
    session.flush()
    return units


def network_key(address: str, salt: str) -> str:
    """A salted hash of the address's network (/24 for IPv4, /48 for IPv6); the address itself is not kept."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return hashlib.sha256(f"{salt}:unknown".encode()).hexdigest()
    prefix = 24 if ip.version == 4 else 48
    network = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
    return hashlib.sha256(f"{salt}:{network}".encode()).hexdigest()


def register_check(session: Session, unit: SerialUnit, key: str, at: datetime | None = None) -> None:
    """Count one check of ``unit`` from the network ``key``. Does not commit."""
    at = at or utcnow()
    unit.check_count += 1
    if unit.first_checked_at is None:
        unit.first_checked_at = at
    scan = session.scalar(
        select(SerialScan).where(SerialScan.serial_unit_id == unit.id, SerialScan.network_hash == key)
    )
    if scan is None:
        session.add(SerialScan(serial_unit_id=unit.id, network_hash=key, first_seen_at=at))
    else:
        scan.count += 1
    session.flush()


@dataclass(frozen=True)
class SerialAssessment:
    """What the trace page says about a serial."""

    first_checked_at: datetime | None
    check_count: int
    networks: int
    suspicious: bool
    reason: str | None


def assess(session: Session, unit: SerialUnit, *, max_checks: int, max_networks: int) -> SerialAssessment:
    """Flag a serial checked more than ``max_checks`` times or from more than ``max_networks`` networks.

    A genuine package is scanned by a handful of people; a copied label travels widely.
    """
    networks = (
        session.scalar(select(func.count(SerialScan.id)).where(SerialScan.serial_unit_id == unit.id)) or 0
    )
    reason = None
    if networks > max_networks:
        reason = "networks"
    elif unit.check_count > max_checks:
        reason = "checks"
    return SerialAssessment(unit.first_checked_at, unit.check_count, networks, reason is not None, reason)
