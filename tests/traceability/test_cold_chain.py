"""The cold chain: readings captured or uploaded, safe ranges, excursions that hold a batch, releases, and
what the consumer's scan shows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Category, Product
from core.audit.services import AuditEntry
from core.db import utcnow
from core.errors import PermissionDenied
from core.models import User
from core.notifications.models import Notification
from tests.conftest import row_count
from traceability.batches.inventory import batches_in_stock, take_units, units_in_stock, units_left
from traceability.coldchain.curve import MAX_POINTS, downsample
from traceability.coldchain.models import ColdChainSummary, ReadingSource, SensorReading
from traceability.coldchain.ranges import ColdChainKind, degrees, kind_of, range_of, range_text
from traceability.coldchain.upload import parse_logger_csv
from traceability.errors import HoldNotOpen, LoggerFileInvalid
from traceability.holds.models import BatchHold, HoldReason
from traceability.holds.services import release_hold
from traceability.models import Batch
from traceability.signals import SensorReading as Captured
from traceability.signals import sensor_readings_captured

START = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def reading(minutes: int, value: float | None, *, alarm: bool = False, **more: object) -> Captured:
    """A captured temperature reading ``minutes`` after START."""
    fields: dict[str, object] = {
        "type": "Temperature",
        "time": START + timedelta(minutes=minutes),
        "value": value,
        "min_value": None,
        "max_value": None,
        "mean_value": None,
        "uom": "CEL",
        "is_alarm": alarm,
    }
    fields.update(more)
    return Captured(**fields)  # type: ignore[typeddict-item]


@pytest.fixture()
def owner(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture()
def producer(owner: User, make_producer: Callable[..., Producer]) -> Producer:
    return make_producer(owner=owner, county_code="653131", name="塔什库尔干县帕米尔牧源牦牛产业有限公司")


@pytest.fixture()
def reviewer(make_user: Callable[..., User], producer: Producer) -> User:
    return make_user(counties=[producer.county])


@pytest.fixture()
def yak(producer: Producer, make_product: Callable[..., Product]) -> Product:
    return make_product(
        producer,
        name="塔县有机牦牛肉",
        category=Category.MEAT,
        certified=True,
        is_cold_chain=True,
        specification="排酸分割 真空冷冻 1 kg/袋",
    )


@pytest.fixture()
def batch(yak: Product, make_batch: Callable[..., Batch]) -> Batch:
    return make_batch(yak, quantity=40)


def capture(
    db: Session, batch: Batch, readings: list[Captured], place: str = "喀什冷库", event: int | None = None
):
    """Send the signal as the capture interface does, inside the capturing transaction."""
    sensor_readings_captured.send(db, batch_ids=[batch.id], event_id=event, place=place, readings=readings)
    db.flush()


# --- safe ranges ---------------------------------------------------------------------------------------


@pytest.mark.usefixtures("english")
def test_each_kind_of_product_has_its_range(producer: Producer, make_product: Callable[..., Product]) -> None:
    def product(name: str, category: Category, cold: bool, spec: str | None = None) -> Product:
        return make_product(producer, name=name, category=category, is_cold_chain=cold, specification=spec)

    assert kind_of(product("塔县有机牦牛肉", Category.MEAT, True, "真空冷冻")) is ColdChainKind.FROZEN_MEAT
    assert kind_of(product("冷鲜猪肉", Category.MEAT, True)) is ColdChainKind.CHILLED_MEAT
    assert kind_of(product("城口老腊肉", Category.MEAT, False)) is ColdChainKind.CURED_MEAT
    assert kind_of(product("塔县有机牦牛肉干", Category.PROCESSED, False)) is ColdChainKind.CURED_MEAT
    assert kind_of(product("疏勒辣椒", Category.VEGETABLES, True)) is ColdChainKind.FRESH_VEGETABLES
    assert kind_of(product("城口土蜂蜜", Category.HONEY, False)) is None
    assert kind_of(product("疏勒洋葱", Category.VEGETABLES, False)) is None
    frozen = range_of(product("冻羊肉", Category.MEAT, True, "frozen"))
    assert frozen is not None and range_text(frozen) == "−18 °C or below"
    chilled = range_of(product("冷鲜羊肉", Category.MEAT, True))
    assert chilled is not None and range_text(chilled) == "0–4 °C"
    assert degrees(-1850) == "−18.5 °C" and degrees(400) == "4 °C"


def test_the_curve_keeps_a_bounded_number_of_points_and_every_extreme() -> None:
    points = [(START + timedelta(minutes=i), -2000 + (i % 7), -1990) for i in range(5000)]
    points[3210] = (points[3210][0], -2000, -1200)  # one warm reading among thousands
    curve = downsample(points)
    assert len(curve) <= MAX_POINTS
    assert max(p[2] for p in curve) == -1200
    assert min(p[1] for p in curve) == -2000


# --- readings captured with an event ----------------------------------------------------------------------


def test_captured_readings_in_range_are_stored_without_a_hold(db: Session, batch: Batch) -> None:
    capture(
        db, batch, [reading(0, -20.5), reading(30, -19), reading(60, None, min_value=-21, max_value=-18.5)]
    )
    rows = db.scalars(select(SensorReading).where(SensorReading.batch_id == batch.id)).all()
    assert len(rows) == 3
    assert {r.source for r in rows} == {ReadingSource.LOGGER}  # no event: a logger's readings
    assert sorted(r.value for r in rows if r.value is not None) == [-2050, -1900]
    summary = db.get(ColdChainSummary, batch.id)
    assert summary is not None
    assert (summary.reading_count, summary.lowest, summary.highest) == (3, -2100, -1850)
    assert not batch.is_on_hold
    assert row_count(db, "traceability_batch_hold") == 0


def test_fahrenheit_is_converted_and_unknown_types_are_skipped(db: Session, batch: Batch) -> None:
    capture(db, batch, [reading(0, -4, uom="FAH"), reading(5, 3.0, type="Illuminance")])
    rows = db.scalars(select(SensorReading).where(SensorReading.batch_id == batch.id)).all()
    assert [r.value for r in rows] == [-2000]


def test_an_excursion_holds_the_batch_tells_people_and_stops_sales(
    db: Session, batch: Batch, owner: User, reviewer: User, yak: Product
) -> None:
    assert units_in_stock(db, yak) == 40
    capture(db, batch, [reading(0, -19), reading(90, -12.5), reading(120, -11)], place="冷藏车 新Q·12345")
    db.refresh(batch)
    assert batch.is_on_hold
    hold = db.scalars(select(BatchHold).where(BatchHold.batch_id == batch.id)).one()
    assert hold.reason is HoldReason.COLD_CHAIN and hold.is_open
    assert hold.occurred_at == START + timedelta(minutes=90)
    assert hold.place == "冷藏车 新Q·12345"
    assert "−12.5 °C" in hold.summary
    told = {n.user_id for n in db.scalars(select(Notification).where(Notification.kind == "batch_hold"))}
    assert told == {owner.id, reviewer.id}
    # checkout and procurement allocate only from batches not on hold
    assert batches_in_stock(db, yak) == []
    assert units_in_stock(db, yak) == 0
    assert take_units(db, batch.id, 1) is None
    assert units_left(db, batch.id) == 0
    # a second excursion while the hold is open opens no second hold
    capture(db, batch, [reading(200, -5)])
    assert row_count(db, "traceability_batch_hold") == 1


def test_an_alarm_holds_the_batch_even_in_range(db: Session, batch: Batch) -> None:
    capture(db, batch, [reading(0, -20, alarm=True)])
    assert batch.is_on_hold


def test_a_reviewer_releases_the_hold_with_a_reason(
    db: Session, batch: Batch, owner: User, reviewer: User, yak: Product
) -> None:
    capture(db, batch, [reading(0, -10)])
    hold = db.scalars(select(BatchHold).where(BatchHold.batch_id == batch.id)).one()
    with pytest.raises(PermissionDenied):
        release_hold(db, owner, hold, "我们检查过了")  # the producer cannot release its own batch
    release_hold(db, reviewer, hold, "复检合格，温度记录仪故障")
    assert not hold.is_open and not batch.is_on_hold
    assert hold.closed_by_id == reviewer.id
    assert units_in_stock(db, yak) == 40
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "batch.release")).one()
    assert entry.note == "复检合格，温度记录仪故障"
    with pytest.raises(HoldNotOpen):
        release_hold(db, reviewer, hold, "again")


# --- a logger's CSV ---------------------------------------------------------------------------------------


def test_a_logger_csv_is_read_with_beijing_time() -> None:
    data = "time,temperature (°C),humidity (%)\n2026-12-01 08:00,-19.5,85\n2026-12-01T09:00:00+08:00,−18,\n"
    readings = parse_logger_csv(data.encode(), now=utcnow())
    assert [r["type"] for r in readings] == ["Temperature", "RelativeHumidity", "Temperature"]
    assert readings[0]["time"].astimezone(UTC) == START
    assert readings[2]["value"] == -18


def test_a_gb18030_csv_with_chinese_headers_is_read() -> None:
    readings = parse_logger_csv("时间,温度\n2026/12/01 08:00,3.5\n".encode("gb18030"))
    assert readings[0]["value"] == 3.5


@pytest.mark.usefixtures("english")
def test_a_wrong_csv_lists_its_rows_errors() -> None:
    data = (
        "time,temperature\n2026-12-01 08:00,-19\nyesterday,-19\n2026-12-01 09:00,cold\n2999-01-01 00:00,1\n"
    )
    with pytest.raises(LoggerFileInvalid) as caught:
        parse_logger_csv(data.encode())
    errors = caught.value.params["errors"]
    assert errors == [
        'Row 3: "yesterday" is not a date and time.',
        'Row 4: "cold" is not a temperature in °C.',
        "Row 5: the time lies in the future.",
    ]
    with pytest.raises(LoggerFileInvalid):
        parse_logger_csv(b"when,degrees\n1,2\n")
    with pytest.raises(LoggerFileInvalid):
        parse_logger_csv(b"time,temperature\n" + b"2026-12-01 08:00,1\n" * 60000)  # over the size limit


# --- pages ------------------------------------------------------------------------------------------------


def _upload(client: FlaskClient, batch: Batch, body: str, place: str = "喀什冷库"):
    import io

    return client.post(
        f"/producer/batches/{batch.id}/cold-chain",
        data={"file": (io.BytesIO(body.encode()), "logger.csv"), "place": place},
        content_type="multipart/form-data",
    )


@pytest.mark.usefixtures("english")
def test_the_producer_uploads_a_logger_file_all_or_nothing(
    as_user: Callable[[User | None], FlaskClient], db: Session, batch: Batch, owner: User
) -> None:
    client = as_user(owner)
    bad = _upload(client, batch, "time,temperature\n2026-12-01 08:00,-19\n2026-12-01 09:00,warm\n")
    assert bad.status_code == 422
    assert "Row 3: &#34;warm&#34; is not a temperature in °C." in bad.get_data(as_text=True)
    assert row_count(db, "traceability_sensor_reading") == 0
    good = _upload(client, batch, "time,temperature\n2026-12-01 08:00,-19\n2026-12-01 09:00,-12\n")
    assert good.status_code == 302
    db.refresh(batch)
    assert row_count(db, "traceability_sensor_reading") == 2
    assert batch.is_on_hold
    page = client.get(f"/producer/batches/{batch.id}/cold-chain").get_data(as_text=True)
    assert "Release the hold" not in page  # the producer cannot release
    assert "<svg" in page


@pytest.mark.usefixtures("english")
def test_the_reviewer_releases_on_the_page(
    as_user: Callable[[User | None], FlaskClient], db: Session, batch: Batch, owner: User, reviewer: User
) -> None:
    capture(db, batch, [reading(0, -9)])
    hold = db.scalars(select(BatchHold).where(BatchHold.batch_id == batch.id)).one()
    url = f"/producer/batches/{batch.id}/holds/{hold.id}/release"
    assert as_user(owner).post(url, data={"reason": "ok"}).status_code == 403
    assert as_user(reviewer).post(url, data={"reason": ""}).status_code == 400
    assert as_user(reviewer).post(url, data={"reason": "复检合格"}).status_code == 302
    db.refresh(batch)
    assert not batch.is_on_hold
    assert as_user(reviewer).post(url, data={"reason": "again"}).status_code == 409


@pytest.mark.usefixtures("english")
def test_the_trace_page_says_the_cold_chain_held(client: FlaskClient, db: Session, batch: Batch) -> None:
    capture(db, batch, [reading(0, -20), reading(600, -19)])
    page = client.get(f"/t/{batch.lot_code}")
    body = page.get_data(as_text=True)
    assert "Kept at −18 °C or below all the way" in body
    assert '<svg class="cold-chain-curve"' in body and "safe-band" in body
    data = client.get(f"/t/{batch.lot_code}", headers={"Accept": "application/json"}).get_json()
    cold = data["cold_chain"]
    assert cold["verdict"] == "in_range" and cold["range"] == {"min_c": None, "max_c": -18.0}
    assert cold["readings"] == 2 and cold["from"] == "2026-12-01T00:00:00Z"
    assert [p["max_c"] for p in cold["curve"]] == [-20.0, -19.0]


@pytest.mark.usefixtures("english")
def test_the_trace_page_shows_the_excursion_in_beijing_time(
    client: FlaskClient, db: Session, batch: Batch
) -> None:
    capture(db, batch, [reading(0, -20)])
    tag = client.get(f"/t/{batch.lot_code}").headers["ETag"]
    capture(db, batch, [reading(90, -12.5)], place="冷藏车 新Q·12345")
    page = client.get(f"/t/{batch.lot_code}", headers={"If-None-Match": tag})
    assert page.status_code == 200  # new readings make a new version at once
    body = page.get_data(as_text=True)
    assert "−12.5 °C measured, outside −18 °C or below" in body
    assert "2026-12-01 09:30" in body  # 01:30 UTC in Asia/Shanghai
    assert "冷藏车 新Q·12345" in body
    assert "On hold" in body
    data = client.get(f"/t/{batch.lot_code}", headers={"Accept": "application/json"}).get_json()
    assert data["on_hold"] is True
    assert data["cold_chain"]["excursion"] == {
        "at": "2026-12-01T01:30:00Z",
        "place": "冷藏车 新Q·12345",
        "value_c": -12.5,
        "alarm": False,
    }


def test_a_product_without_a_range_has_no_verdict(
    client: FlaskClient,
    db: Session,
    producer: Producer,
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> None:
    honey = make_product(producer, name="城口土蜂蜜", category=Category.HONEY, certified=True)
    lot = make_batch(honey)
    capture(db, lot, [reading(0, 30)])
    assert not lot.is_on_hold
    data = client.get(f"/t/{lot.lot_code}", headers={"Accept": "application/json"}).get_json()
    assert data["cold_chain"]["verdict"] == "no_range" and data["cold_chain"]["range"] is None


def test_the_consumer_reads_the_verdict_in_chinese(client: FlaskClient, db: Session, batch: Batch) -> None:
    capture(db, batch, [reading(0, -20), reading(60, -18.5)])
    body = client.get(f"/t/{batch.lot_code}").get_data(as_text=True)
    assert "冷链全程 −18 °C 以下" in body
    assert "冷冻肉" in body


def _page_statements(client: FlaskClient, db: Session, path: str) -> int:
    from tests.catalog.test_page_costs import statements

    with statements(db) as sent:
        assert client.get(path).status_code == 200
    return len(sent)


def test_the_trace_page_costs_the_same_however_many_readings(
    client: FlaskClient, db: Session, yak: Product, make_batch: Callable[..., Batch]
) -> None:
    few, many = make_batch(yak), make_batch(yak)
    capture(db, few, [reading(i, -20) for i in range(3)] + [reading(5, -10)])
    capture(db, many, [reading(i, -20 + (i % 3)) for i in range(3000)] + [reading(3001, -10)])
    summary = db.get(ColdChainSummary, many.id)
    assert summary is not None and len(summary.curve) <= MAX_POINTS
    costs = {_page_statements(client, db, f"/t/{lot.lot_code}") for lot in (few, many)}
    assert len(costs) == 1


def test_the_verdict_follows_a_change_of_the_products_kind(
    client: FlaskClient, db: Session, batch: Batch, yak: Product
) -> None:
    capture(db, batch, [reading(0, -20), reading(30, -10)])
    yak.specification = "排酸分割 冷鲜 1 kg/袋"  # no longer frozen: chilled meat, 0–4 °C
    db.flush()
    data = client.get(f"/t/{batch.lot_code}", headers={"Accept": "application/json"}).get_json()
    assert data["cold_chain"]["range"] == {"min_c": 0.0, "max_c": 4.0}
    assert data["cold_chain"]["excursion"]["at"] == "2026-12-01T00:00:00Z"


def test_the_producer_hears_of_the_release(db: Session, batch: Batch, owner: User, reviewer: User) -> None:
    capture(db, batch, [reading(0, -5)])
    hold = db.scalars(select(BatchHold).where(BatchHold.batch_id == batch.id)).one()
    release_hold(db, reviewer, hold, "复检合格")
    told = db.scalars(select(Notification).where(Notification.kind == "batch_hold_released")).all()
    assert [n.user_id for n in told] == [owner.id]
    assert "复检合格" in told[0].body


def test_implausible_and_non_finite_values_are_not_stored(db: Session, batch: Batch) -> None:
    capture(db, batch, [reading(0, 1e300), reading(1, float("nan")), reading(2, -19.99)])
    rows = db.scalars(select(SensorReading).where(SensorReading.batch_id == batch.id)).all()
    assert [r.value for r in rows] == [-1999]
