"""Daily digests expose rewritten history; serials warn of copied labels; QR codes decode to the trace URL."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, timedelta

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Category, Product
from core.clock import shanghai_date
from core.db import utcnow
from core.errors import PermissionDenied
from core.models import User
from tests.support import append_only_lifted
from traceability import digest as digest_module
from traceability.digest import check_digests, compute_digest, publish_digests
from traceability.errors import EventNotAllowed
from traceability.links import qr_png, trace_path, trace_url
from traceability.models import Batch, DailyDigest, SerialScan
from traceability.serials import (
    Scanner,
    assess,
    create_serials,
    network_key,
    network_label,
    register_check,
)


@pytest.fixture()
def veg(
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
) -> Product:
    return make_product(make_producer(owner=make_user()), name="疏勒洋葱", category=Category.VEGETABLES)


def _backdate(db: Session, batch: Batch, days: int) -> None:
    """Move a batch's events into the past (as if recorded then) and re-chain them honestly."""
    from traceability.chain import compute_hash

    prev = None
    for event in batch.events:
        event.recorded_at = event.recorded_at - timedelta(days=days)
        event.prev_hash = prev
        event.hash = compute_hash(event, batch.lot_code, prev)
        prev = event.hash
    batch.head_hash = prev
    with append_only_lifted(db):  # arranging the past: the database refuses to rewrite events otherwise
        db.flush()


def test_digests_are_published_for_complete_days_and_detect_rewrites(
    db: Session, veg: Product, make_batch: Callable[..., Batch]
) -> None:
    db.execute(text("DELETE FROM traceability_daily_digest"))
    batch = make_batch(veg)
    _backdate(db, batch, 3)
    added = publish_digests(db)
    assert added >= 3
    day = shanghai_date() - timedelta(days=3)
    stored = db.query(DailyDigest).filter_by(day=day).one()
    assert (stored.digest, stored.batch_count) == compute_digest(db, day)
    assert stored.batch_count >= 1
    assert publish_digests(db) == 0  # idempotent
    assert all(check.still_matches for check in check_digests(db))
    with append_only_lifted(db):
        db.execute(
            text("UPDATE traceability_event SET hash = :h WHERE id = :id"),
            {"h": "0" * 64, "id": batch.events[-1].id},
        )
    db.expire_all()
    broken = {c.day: c.still_matches for c in check_digests(db)}
    assert broken[day] is False


def test_serials_are_unguessable_and_limited(
    db: Session, veg: Product, make_batch: Callable[..., Batch], make_user: Callable[..., User]
) -> None:
    batch = make_batch(veg, quantity=20)
    owner = batch.producer.members[0].user
    units = create_serials(db, owner, batch, 20)
    serials = {u.serial for u in units}
    assert len(serials) == 20 and all(len(s) == 16 for s in serials)
    with pytest.raises(EventNotAllowed):
        create_serials(db, owner, batch, 1)  # more labels than units
    with pytest.raises(PermissionDenied):
        create_serials(db, make_user(), make_batch(veg), 1)


def _scanner(address: str, known: int | None = None) -> Scanner:
    return Scanner(network_key(address, "salt"), network_label(address), known_scan_id=known)


def test_serial_opened_by_many_scanners_is_flagged(
    db: Session, veg: Product, make_batch: Callable[..., Batch]
) -> None:
    batch = make_batch(veg)
    [unit] = create_serials(db, batch.producer.members[0].user, batch, 1)
    start = utcnow()
    for minutes in (0, 1, 40, 41):
        register_check(db, unit, _scanner("223.5.5.1"), at=start + timedelta(minutes=minutes))
    register_check(db, unit, _scanner("223.5.5.200"), at=start + timedelta(minutes=90))  # same /24
    calm = assess(unit, max_networks=3)
    assert (calm.check_count, calm.scanners, calm.suspicious) == (3, 1, False)  # 0, 40 and 90 min
    assert calm.first_checked_at is not None
    for address in ("114.114.114.114", "8.8.8.8", "1.1.1.1", "2400:3200::1"):
        register_check(db, unit, _scanner(address))
    copied = assess(unit, max_networks=3)
    assert copied.suspicious and copied.reason == "scanners" and copied.scanners == 5


def test_one_client_is_one_scanner_however_often_and_wherever_it_comes_from(
    db: Session, veg: Product, make_batch: Callable[..., Batch]
) -> None:
    batch = make_batch(veg)
    [unit] = create_serials(db, batch.producer.members[0].user, batch, 1)
    start = utcnow()
    phone = register_check(db, unit, _scanner("223.5.5.1"), at=start)
    for hour, address in enumerate(["114.114.0.9", "8.8.8.8", "2400:3200::1", "1.1.1.1"], start=1):
        same = register_check(db, unit, _scanner(address, known=phone.id), at=start + timedelta(hours=hour))
        assert same.id == phone.id  # its cookie names it, whatever network it is on
    for day in range(30):  # a month of scans from one network, with a fresh cookie-less client each time
        register_check(db, unit, _scanner("223.5.5.1"), at=start + timedelta(days=day, hours=6))
    result = assess(unit, max_networks=3)
    assert result.scanners == 1 and not result.suspicious and result.check_count == 35
    scan = db.get_one(SerialScan, phone.id)
    assert scan.count == 35 and scan.network_label == "223.5.0.0/16"


def test_a_cookie_for_another_label_names_no_scanner(
    db: Session, veg: Product, make_batch: Callable[..., Batch]
) -> None:
    batch = make_batch(veg)
    first, second = create_serials(db, batch.producer.members[0].user, batch, 2)
    seen = register_check(db, first, _scanner("223.5.5.1"))
    other = register_check(db, second, _scanner("8.8.8.8", known=seen.id))
    assert other.id != seen.id and other.serial_unit_id == second.id


def test_network_key_keeps_no_address() -> None:
    key = network_key("223.5.5.1", "salt")
    assert "223" not in key and len(key) == 64
    assert key != network_key("223.5.5.1", "other-salt")


def test_trace_paths_use_digital_link_only_with_gtin(
    db: Session, veg: Product, make_batch: Callable[..., Batch]
) -> None:
    batch = make_batch(veg)
    assert trace_path(batch) == f"/t/{batch.lot_code}"
    assert trace_path(batch, "abc") == f"/t/{batch.lot_code}/abc"
    veg.gtin = "06901234567892"
    assert trace_path(batch) == f"/01/06901234567892/10/{batch.lot_code}"
    assert trace_path(batch, "abc") == f"/01/06901234567892/10/{batch.lot_code}/21/abc"
    assert (
        trace_url("https://bangfu.example.cn/", batch)
        == f"https://bangfu.example.cn/01/06901234567892/10/{batch.lot_code}"
    )


def test_qr_round_trip(db: Session, veg: Product, make_batch: Callable[..., Batch]) -> None:
    url = trace_url("https://bangfu.example.cn", make_batch(veg), "Zx9_-aB3cD4eF5gH")
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png(url))))
    assert [d.text for d in decoded] == [url]


def test_a_day_another_run_stored_meanwhile_is_kept_without_an_error(
    db: Session, veg: Product, make_batch: Callable[..., Batch], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every machine's cron may publish at once (and /digest stores missing days too): no one fails."""
    db.execute(text("DELETE FROM traceability_daily_digest"))
    _backdate(db, make_batch(veg), 2)
    real = digest_module.compute_digest

    def another_run_got_there_first(session: Session, day: date) -> tuple[str, int]:
        result = real(session, day)
        session.add(DailyDigest(day=day, digest="f" * 64, batch_count=0))
        session.flush()
        return result

    monkeypatch.setattr(digest_module, "compute_digest", another_run_got_there_first)
    assert publish_digests(db) == 0
    assert {row.digest for row in db.scalars(select(DailyDigest))} == {"f" * 64}
