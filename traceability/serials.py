"""Serialized units: one unguessable code per label, and a counterfeit warning for codes seen too widely.

A genuine package is scanned by a handful of people; a copied label travels widely. So what counts is how
many *distinct scanners* opened a label's page, never how many requests it got:

- a scanner is first known by its network (a salted hash of the /24 or /48 prefix: no address is kept),
  and the browser it used keeps a first-party cookie naming that scanner on that label's address only, so
  the same phone coming back from another network (mobile data, then home Wi-Fi) stays one scanner;
- one client, however many requests, user agents or cookies it sends, is therefore at most one scanner per
  network it holds: nobody can brand a genuine label a copy from one connection;
- a visit is the label's page opened in a browser (HTML); opening it again within the scan window
  (``SERIAL_SCAN_WINDOW_MINUTES``), fetching its JSON or EPCIS, or a HEAD request is not a new scan.

The warning shows when more than ``SERIAL_MAX_NETWORKS`` distinct scanners opened the label. Reviewers and
producers see why on the batch's page (:func:`scan_report`): each scanner's coarse network (IPv4 /16, IPv6
/32), first and latest visit and visits; labels opened more than ``SERIAL_MAX_CHECKS`` times in all are
listed there too, as a hint, without a public warning.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, func, or_, select, update
from sqlalchemy.orm import Session

from core.db import utcnow
from core.models import User
from core.transactions import upsert_insert
from traceability.batches.services import ensure_member
from traceability.errors import BatchRecalled, EventNotAllowed
from traceability.models import Batch, SerialScan, SerialUnit

MAX_SERIALS_PER_REQUEST = 1000
#: Labels and scanners listed per batch on the reviewer's explanation (the busiest first).
REPORT_UNITS, REPORT_SCANNERS = 20, 12
DEFAULT_SCAN_WINDOW = timedelta(minutes=30)
SCAN_TABLE = cast(Table, SerialScan.__table__)


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


def _network(address: str, prefix_v4: int, prefix_v6: int) -> str | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    prefix = prefix_v4 if ip.version == 4 else prefix_v6
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def network_key(address: str, salt: str) -> str:
    """A salted hash of the address's network (/24 for IPv4, /48 for IPv6); the address itself is not kept."""
    network = _network(address, 24, 48) or "unknown"
    return hashlib.sha256(f"{salt}:{network}".encode()).hexdigest()


def network_label(address: str) -> str | None:
    """The coarse network shown to reviewers (IPv4 /16, IPv6 /32), ``None`` for an unusable address."""
    return _network(address, 16, 32)


@dataclass(frozen=True)
class Scanner:
    """Who opens a label's page: the network it comes from, and the scanner its cookie names, if any."""

    network_hash: str
    network_label: str | None
    #: The :class:`SerialScan` id a valid cookie of this label names (the browser was seen before).
    known_scan_id: int | None = None


def register_check(
    session: Session,
    unit: SerialUnit,
    scanner: Scanner,
    at: datetime | None = None,
    window: timedelta = DEFAULT_SCAN_WINDOW,
) -> SerialScan:
    """Count a visit of ``unit``'s page by ``scanner``; return the scanner's row (its id goes in the cookie).

    The scanner is the one its cookie names, else the one first seen on its network (created if new, which
    adds a distinct scanner). A return within ``window`` of its last visit is not a new visit. Every change
    is a single conditional statement, so concurrent scans never lose a count. Does not commit.
    """
    at = at or utcnow()
    scan = None
    if scanner.known_scan_id is not None:
        scan = session.scalar(
            select(SerialScan).where(
                SerialScan.id == scanner.known_scan_id, SerialScan.serial_unit_id == unit.id
            )
        )
    new_scanner = False
    if scan is None:
        inserted = session.execute(
            upsert_insert(session, SCAN_TABLE)
            .values(
                serial_unit_id=unit.id,
                network_hash=scanner.network_hash,
                network_label=scanner.network_label,
                first_seen_at=at,
                last_seen_at=at,
                count=1,
            )
            .on_conflict_do_nothing(index_elements=["serial_unit_id", "network_hash"])
            .returning(SerialScan.id)
        ).scalar()
        new_scanner = inserted is not None
        scan = session.scalars(
            select(SerialScan)
            .where(SerialScan.serial_unit_id == unit.id, SerialScan.network_hash == scanner.network_hash)
            .execution_options(populate_existing=True)
        ).one()
    new_visit = new_scanner
    if not new_scanner:
        returned = session.execute(
            update(SerialScan)
            .where(SerialScan.id == scan.id, SerialScan.last_seen_at <= at - window)
            .values(count=SerialScan.count + 1, last_seen_at=at)
            .returning(SerialScan.id)
            .execution_options(synchronize_session=False)
        ).scalar()
        new_visit = returned is not None
        if not new_visit:
            session.execute(
                update(SerialScan)
                .where(SerialScan.id == scan.id, SerialScan.last_seen_at < at)
                .values(last_seen_at=at)
                .execution_options(synchronize_session=False)
            )
    session.execute(
        update(SerialUnit)
        .where(SerialUnit.id == unit.id)
        .values(
            check_count=SerialUnit.check_count + int(new_visit),
            scanner_count=SerialUnit.scanner_count + int(new_scanner),
            first_checked_at=func.coalesce(SerialUnit.first_checked_at, at),
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(unit)
    session.refresh(scan)
    return scan


@dataclass(frozen=True)
class SerialAssessment:
    """What the trace page says about a serial."""

    first_checked_at: datetime | None
    #: Visits of the label's page (returns within the scan window not counted again).
    check_count: int
    #: Distinct scanners.
    scanners: int
    suspicious: bool
    #: ``"scanners"`` when suspicious, else ``None``.
    reason: str | None


def assess(unit: SerialUnit, *, max_networks: int) -> SerialAssessment:
    """Flag a serial opened by more than ``max_networks`` distinct scanners (see the module docstring)."""
    suspicious = unit.scanner_count > max_networks
    return SerialAssessment(
        unit.first_checked_at,
        unit.check_count,
        unit.scanner_count,
        suspicious,
        "scanners" if suspicious else None,
    )


@dataclass(frozen=True)
class SerialReport:
    """Why a label of a batch is flagged (or checked unusually often): its scanners, busiest first."""

    unit: SerialUnit
    suspicious: bool
    scanners: list[SerialScan]
    #: The latest visit of any scanner.
    last_checked_at: datetime | None


def scan_report(session: Session, batch: Batch, *, max_networks: int, max_checks: int) -> list[SerialReport]:
    """The batch's labels opened by more than ``max_networks`` scanners or more than ``max_checks`` times,
    the most widely scanned first, each with its scanners (at most :data:`REPORT_UNITS` labels and
    :data:`REPORT_SCANNERS` scanners each). Read-only; a few indexed queries, whatever the batch's size."""
    units = list(
        session.scalars(
            select(SerialUnit)
            .where(
                SerialUnit.batch_id == batch.id,
                or_(SerialUnit.scanner_count > max_networks, SerialUnit.check_count > max_checks),
            )
            .order_by(SerialUnit.scanner_count.desc(), SerialUnit.check_count.desc(), SerialUnit.id)
            .limit(REPORT_UNITS)
        )
    )
    reports = []
    for unit in units:
        scanners = list(
            session.scalars(
                select(SerialScan)
                .where(SerialScan.serial_unit_id == unit.id)
                .order_by(SerialScan.count.desc(), SerialScan.first_seen_at, SerialScan.id)
                .limit(REPORT_SCANNERS)
            )
        )
        last = session.scalar(
            select(func.max(SerialScan.last_seen_at)).where(SerialScan.serial_unit_id == unit.id)
        )
        reports.append(SerialReport(unit, unit.scanner_count > max_networks, scanners, last))
    return reports
