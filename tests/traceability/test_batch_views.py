"""The batch workbench as producers and county reviewers use it: record batches with their compliance
certificates, record steps, process, issue unit codes, print labels, recall and export the recall list.

Pages are requested in English so that assertions on messages hold whatever the translations say.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Category, Product
from core.clock import SHANGHAI, shanghai_date
from core.models import Region, User
from tests.conftest import row_count
from traceability import errors
from traceability.batches.services import DEFAULT_COMMITMENTS
from traceability.models import Batch, BatchStatus, ComplianceBasis, EventKind, SerialUnit
from traceability.processing.services import parents_of

TABLES = ("traceability_batch", "traceability_event", "traceability_compliance_certificate")


@pytest.fixture()
def owner(make_user: Callable[..., User]) -> User:
    return make_user(name="合作社社长")


@pytest.fixture()
def producer(owner: User, make_producer: Callable[..., Producer]) -> Producer:
    return make_producer(owner=owner, name="疏勒县绿源蔬菜种植农民专业合作社")


@pytest.fixture()
def veg(producer: Producer, make_product: Callable[..., Product]) -> Product:
    return make_product(producer, name="疏勒辣椒", category=Category.VEGETABLES, certified=True)


@pytest.fixture()
def town(region: Callable[[str], Region]) -> Region:
    return sorted(region("653122").children, key=lambda r: r.code or "")[0]


def english(client: FlaskClient) -> FlaskClient:
    """Switch the client's interface to English."""
    client.post("/language", data={"locale": "en"})
    return client


def shows(response: Any, message: object) -> bool:
    """Whether the page shows ``message`` (HTML-escaped as Jinja escapes it)."""
    return str(escape(str(message))) in response.get_data(as_text=True)


def counts(db: Session) -> tuple[int, ...]:
    return tuple(row_count(db, table) for table in TABLES)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (240, 240, 240)).save(buffer, "PNG")
    return buffer.getvalue()


def batch_form(product: Product, origin: Region, **overrides: Any) -> dict[str, Any]:
    today = shanghai_date()
    data: dict[str, Any] = {
        "product_id": str(product.id),
        "quantity": "500",
        "produced_on": (today - timedelta(days=1)).isoformat(),
        "best_before": (today + timedelta(days=10)).isoformat(),
        "origin_id": str(origin.id),
        "note": "头茬",
        "with_certificate": "y",
        "basis": "quality_control",
        "contact_phone": "139 1234 5678",
        "issued_on": today.isoformat(),
        "commitments": list(DEFAULT_COMMITMENTS),
    }
    return data | overrides


# --- recording a batch --------------------------------------------------------------------------------


def test_producer_records_a_batch_with_its_compliance_certificate(
    as_user: Callable[[User | None], FlaskClient], owner: User, veg: Product, town: Region, db: Session
) -> None:
    client = english(as_user(owner))
    assert client.get("/producer/batches/new").status_code == 200
    response = client.post("/producer/batches/new", data=batch_form(veg, town))
    assert response.status_code == 302
    batch = db.scalar(select(Batch).where(Batch.product_id == veg.id))
    assert batch is not None and response.headers["Location"].endswith(f"/producer/batches/{batch.id}")
    assert (batch.quantity, batch.quantity_available, batch.origin_id) == (500, 500, town.id)
    cert = batch.compliance
    assert cert is not None and cert.basis is ComplianceBasis.QUALITY_CONTROL
    assert cert.contact_phone == "13912345678" and cert.commitments == list(DEFAULT_COMMITMENTS)
    assert [e.kind for e in batch.events] == [EventKind.COMMISSIONING, EventKind.INSPECTION]
    page = client.get(f"/producer/batches/{batch.id}")
    assert page.status_code == 200 and shows(page, cert.number) and shows(page, "Can be sold")
    assert f'href="/t/{batch.lot_code}"' in page.get_data(as_text=True)


def test_self_tested_certificate_needs_the_uploaded_report(
    app: Flask,
    as_user: Callable[[User | None], FlaskClient],
    owner: User,
    veg: Product,
    town: Region,
    db: Session,
) -> None:
    client = english(as_user(owner))
    before = counts(db)
    missing = client.post("/producer/batches/new", data=batch_form(veg, town, basis="self_tested"))
    assert missing.status_code == 400 and shows(missing, errors.TestReportRequired.message)
    assert counts(db) == before

    junk = batch_form(
        veg, town, basis="self_tested", test_report=(io.BytesIO(b"%PDF-1.4 fake"), "report.png")
    )
    refused = client.post("/producer/batches/new", data=junk, content_type="multipart/form-data")
    assert refused.status_code == 400 and shows(refused, "not accepted")
    assert counts(db) == before

    upload = batch_form(veg, town, basis="self_tested", test_report=(io.BytesIO(png_bytes()), "检测报告.png"))
    response = client.post("/producer/batches/new", data=upload, content_type="multipart/form-data")
    assert response.status_code == 302
    batch = db.scalar(select(Batch).where(Batch.product_id == veg.id))
    assert batch is not None and batch.compliance is not None
    assert batch.compliance.basis is ComplianceBasis.SELF_TESTED
    key = batch.compliance.test_report_key
    assert key and (Path(app.config["UPLOAD_DIR"]) / f"{key}_full.webp").is_file()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"quantity": "0"}, "Enter a quantity of at least 1."),
        ({"best_before": "2020-01-01"}, errors.DatesOutOfOrder.message),
        ({"contact_phone": "12345"}, "11 digits"),
    ],
    ids=["zero-quantity", "best-before-first", "bad-phone"],
)
def test_bad_batch_input_is_refused_and_nothing_is_written(
    overrides: dict[str, str],
    message: object,
    as_user: Callable[[User | None], FlaskClient],
    owner: User,
    veg: Product,
    town: Region,
    db: Session,
) -> None:
    before = counts(db)
    response = english(as_user(owner)).post("/producer/batches/new", data=batch_form(veg, town, **overrides))
    assert response.status_code == 400 and shows(response, message)
    assert counts(db) == before


def test_origin_outside_the_producers_county_is_refused_by_the_service(
    as_user: Callable[[User | None], FlaskClient],
    owner: User,
    veg: Product,
    region: Callable[[str], Region],
    db: Session,
) -> None:
    chengkou_town = region("500229").children[0]
    before = counts(db)
    response = english(as_user(owner)).post("/producer/batches/new", data=batch_form(veg, chengkou_town))
    assert response.status_code == 400
    assert shows(response, str(errors.OriginOutsideCounty.message) % {"county": "疏勒县"})
    assert counts(db) == before


def test_meat_batch_without_quarantine_numbers_is_refused(
    as_user: Callable[[User | None], FlaskClient],
    owner: User,
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    region: Callable[[str], Region],
    db: Session,
) -> None:
    yak = make_product(
        make_producer(owner=owner, county_code="653131"), name="有机牦牛肉", category=Category.MEAT
    )
    tash_town = region("653131").children[0]
    client = english(as_user(owner))
    before = counts(db)
    response = client.post(
        "/producer/batches/new", data=batch_form(yak, tash_town, slaughterhouse="塔县定点屠宰场")
    )
    assert response.status_code == 400 and shows(response, errors.MissingQuarantineRecords.message)
    assert counts(db) == before
    complete = batch_form(
        yak,
        tash_town,
        slaughterhouse="塔县定点屠宰场",
        origin_quarantine_no="6531310012345",
        slaughter_quarantine_no="6531310067890",
    )
    assert client.post("/producer/batches/new", data=complete).status_code == 302
    batch = db.scalar(select(Batch).where(Batch.product_id == yak.id))
    assert batch is not None and batch.events[0].details["slaughter_quarantine_no"] == "6531310067890"


def test_certificate_can_be_issued_later_on_the_batch_page(
    as_user: Callable[[User | None], FlaskClient],
    owner: User,
    veg: Product,
    make_batch: Callable[..., Batch],
    db: Session,
) -> None:
    batch = make_batch(veg, compliance=False)
    client = english(as_user(owner))
    page = client.get(f"/producer/batches/{batch.id}")
    assert shows(page, "Cannot be sold") and shows(page, "It has no compliance certificate")
    form = {
        k: v for k, v in batch_form(veg, batch.origin).items() if k in ("basis", "issued_on", "commitments")
    }
    refused = client.post(f"/producer/batches/{batch.id}/certificate", data=form)
    assert refused.status_code == 400 and shows(refused, "Enter the contact mobile number.")
    issued = client.post(
        f"/producer/batches/{batch.id}/certificate", data=form | {"contact_phone": "13812345678"}
    )
    assert issued.status_code == 302
    db.expire_all()
    assert batch.compliance is not None and batch.compliance.contact_phone == "13812345678"


# --- steps ---------------------------------------------------------------------------------------------


def test_shipping_step_is_recorded_with_details_and_shanghai_time_in_utc(
    as_user: Callable[[User | None], FlaskClient],
    owner: User,
    veg: Product,
    make_batch: Callable[..., Batch],
    db: Session,
) -> None:
    batch = make_batch(veg)
    client = english(as_user(owner))
    form_page = client.get(f"/producer/batches/{batch.id}?step=shipping")
    assert 'name="ship_to"' in form_page.get_data(as_text=True)
    local = datetime.combine(shanghai_date() - timedelta(days=1), datetime.min.time()).replace(
        hour=7, minute=30
    )
    response = client.post(
        f"/producer/batches/{batch.id}/events",
        data={
            "kind": "shipping",
            "occurred_at": local.strftime("%Y-%m-%dT%H:%M"),
            "place": "疏勒县冷库",
            "ship_from": "绿源合作社",
            "ship_to": "临沂市直机关食堂",
            "carrier": "顺丰冷运",
            "waybill": "SF1234567890",
            "receiver": "ignored: not a shipping field",
        },
    )
    assert response.status_code == 302
    db.expire_all()
    event = batch.events[-1]
    assert event.kind is EventKind.SHIPPING and event.place == "疏勒县冷库"
    assert event.details == {
        "from": "绿源合作社",
        "to": "临沂市直机关食堂",
        "carrier": "顺丰冷运",
        "waybill": "SF1234567890",
    }
    expected = local.replace(tzinfo=SHANGHAI).astimezone(UTC)
    assert event.occurred_at == expected and event.occurred_at.hour == (7 - 8) % 24


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "shipping"}, "This field is required."),
        (
            {"kind": "shipping", "ship_to": "喀什", "occurred_at": "2999-01-01T08:00"},
            "This time is in the future.",
        ),
        ({"kind": "correction", "corrects_seq": "9", "problem": "数量写错"}, "This batch has no step no. 9."),
        ({"kind": "recall", "occurred_at": "2026-01-01T08:00"}, "Choose what kind of step to record."),
    ],
    ids=["missing-to", "future", "unknown-seq", "not-manual"],
)
def test_invalid_steps_are_refused(
    data: dict[str, str],
    message: str,
    as_user: Callable[[User | None], FlaskClient],
    owner: User,
    veg: Product,
    make_batch: Callable[..., Batch],
    db: Session,
) -> None:
    batch = make_batch(veg)
    data = {"occurred_at": "2026-01-01T08:00"} | data
    before = row_count(db, "traceability_event")
    response = english(as_user(owner)).post(f"/producer/batches/{batch.id}/events", data=data)
    assert response.status_code == 400 and shows(response, message)
    assert row_count(db, "traceability_event") == before


def test_processing_form_makes_an_output_batch_linked_to_its_inputs(
    as_user: Callable[[User | None], FlaskClient],
    owner: User,
    producer: Producer,
    veg: Product,
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
    db: Session,
) -> None:
    pickles = make_product(producer, name="疏勒酱辣椒", category=Category.PROCESSED)
    first, second = make_batch(veg, quantity=100), make_batch(veg, quantity=50)
    client = english(as_user(owner))
    page = client.get(f"/producer/batches/processing?batch={first.id}")
    assert page.status_code == 200 and shows(page, first.lot_code)
    best = (shanghai_date() + timedelta(days=365)).isoformat()
    response = client.post(
        "/producer/batches/processing",
        data={
            "process_name": "腌制",
            "occurred_at": (datetime.now(SHANGHAI) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "inputs-0-batch_id": str(first.id),
            "inputs-0-quantity": "60",
            "inputs-1-batch_id": str(second.id),
            "inputs-1-quantity": "50",
            "outputs-0-product_id": str(pickles.id),
            "outputs-0-quantity": "80",
            "outputs-0-best_before": best,
        },
    )
    assert response.status_code == 302
    db.expire_all()
    output = db.scalar(select(Batch).where(Batch.product_id == pickles.id))
    assert output is not None and response.headers["Location"].endswith(f"/producer/batches/{output.id}")
    assert set(parents_of(db, output)) == {first, second}
    assert (first.quantity_available, second.quantity_available) == (40, 0)
    assert output.quantity == 80 and output.origin_id == first.origin_id
    assert output.events[-1].details["process"] == "腌制"


def test_processing_form_refuses_half_rows_and_overdraw(
    as_user: Callable[[User | None], FlaskClient],
    owner: User,
    veg: Product,
    make_batch: Callable[..., Batch],
    db: Session,
) -> None:
    batch = make_batch(veg, quantity=10)
    client = english(as_user(owner))
    common = {"process_name": "分拣", "occurred_at": "2026-01-01T08:00", "inputs-0-batch_id": str(batch.id)}
    before = counts(db)
    half = client.post("/producer/batches/processing", data=common)
    assert half.status_code == 400 and shows(half, "Describe at least one batch that came out.")
    best = (shanghai_date() + timedelta(days=5)).isoformat()
    output = {"outputs-0-product_id": str(veg.id), "outputs-0-quantity": "5", "outputs-0-best_before": best}
    overdraw = client.post("/producer/batches/processing", data=common | output | {"inputs-0-quantity": "11"})
    assert overdraw.status_code == 409 and shows(overdraw, f"Batch {batch.lot_code} has only 10 left.")
    assert counts(db) == before


# --- unit codes and labels -----------------------------------------------------------------------------


def test_serials_are_issued_and_counted(
    as_user: Callable[[User | None], FlaskClient],
    owner: User,
    veg: Product,
    make_batch: Callable[..., Batch],
    db: Session,
) -> None:
    batch = make_batch(veg, quantity=30)
    client = english(as_user(owner))
    assert client.post(f"/producer/batches/{batch.id}/serials", data={"count": "25"}).status_code == 302
    assert shows(client.get(f"/producer/batches/{batch.id}"), "25 unit codes issued")
    too_many = client.post(f"/producer/batches/{batch.id}/serials", data={"count": "6"})
    assert too_many.status_code == 400 and shows(too_many, "Only 5 more unit codes fit this batch.")
    assert client.post(f"/producer/batches/{batch.id}/serials", data={"count": "0"}).status_code == 400
    serials = db.scalars(select(SerialUnit.serial).where(SerialUnit.batch_id == batch.id)).all()
    assert len(serials) == len(set(serials)) == 25


def test_labels_print_as_png_and_pdf(
    as_user: Callable[[User | None], FlaskClient],
    owner: User,
    veg: Product,
    make_batch: Callable[..., Batch],
    db: Session,
) -> None:
    batch = make_batch(veg)
    client = as_user(owner)
    png = client.get(f"/producer/batches/{batch.id}/label.png")
    assert png.status_code == 200 and png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
    sheet = client.get(f"/producer/batches/{batch.id}/labels.pdf?count=3")
    assert sheet.status_code == 200 and sheet.mimetype == "application/pdf" and sheet.data.startswith(b"%PDF")
    assert client.get(f"/producer/batches/{batch.id}/labels.pdf?count=201").status_code == 400
    assert client.get(f"/producer/batches/{batch.id}/label.png?serial=nope").status_code == 404
    client.post(f"/producer/batches/{batch.id}/serials", data={"count": "2"})
    serial = db.scalars(select(SerialUnit.serial).where(SerialUnit.batch_id == batch.id)).first()
    unit = client.get(f"/producer/batches/{batch.id}/label.png?serial={serial}")
    assert unit.status_code == 200 and unit.data != png.data
    assert client.get(f"/producer/batches/{batch.id}/labels.pdf").data.startswith(b"%PDF")


# --- recall --------------------------------------------------------------------------------------------


def test_producer_recalls_own_batch(
    as_user: Callable[[User | None], FlaskClient],
    owner: User,
    veg: Product,
    make_batch: Callable[..., Batch],
    db: Session,
) -> None:
    batch = make_batch(veg)
    client = english(as_user(owner))
    assert client.post(f"/producer/batches/{batch.id}/recall", data={"reason": " "}).status_code == 400
    assert client.post(f"/producer/batches/{batch.id}/recall", data={"reason": "农残超标"}).status_code == 302
    db.expire_all()
    assert batch.status is BatchStatus.RECALLED and batch.recall_reason == "农残超标"
    assert batch.events[-1].kind is EventKind.RECALL
    page = client.get(f"/producer/batches/{batch.id}")
    assert shows(page, "农残超标") and shows(page, "Recalled on")
    again = client.post(f"/producer/batches/{batch.id}/recall", data={"reason": "again"})
    assert again.status_code == 409
    assert client.get(f"/producer/batches/{batch.id}/label.png").status_code == 409


def test_county_reviewer_recalls_from_the_review_list(
    as_user: Callable[[User | None], FlaskClient],
    make_user: Callable[..., User],
    region: Callable[[str], Region],
    veg: Product,
    make_batch: Callable[..., Batch],
    db: Session,
) -> None:
    batch = make_batch(veg)
    reviewer = english(as_user(make_user(counties=[region("653122")])))
    listing = reviewer.get("/producer/batches/review")
    assert listing.status_code == 200 and shows(listing, batch.lot_code)
    assert reviewer.get(f"/producer/batches/{batch.id}").status_code == 200
    response = reviewer.post(
        f"/producer/batches/{batch.id}/recall",
        data={"reason": "县级抽检不合格", "next": "/producer/batches/review"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/producer/batches/review")
    db.expire_all()
    assert batch.is_recalled and batch.events[-1].actor_name == "疏勒县"
    assert reviewer.post(f"/producer/batches/{batch.id}/events", data={"kind": "shipping"}).status_code == 403


def test_reviewer_of_another_county_cannot_see_or_recall(
    as_user: Callable[[User | None], FlaskClient],
    make_user: Callable[..., User],
    region: Callable[[str], Region],
    veg: Product,
    make_batch: Callable[..., Batch],
    db: Session,
) -> None:
    batch = make_batch(veg)
    reviewer = as_user(make_user(counties=[region("500229")]))
    before = row_count(db, "traceability_event")
    assert reviewer.post(f"/producer/batches/{batch.id}/recall", data={"reason": "越权"}).status_code == 403
    assert reviewer.get(f"/producer/batches/{batch.id}").status_code == 403
    assert reviewer.get(f"/producer/batches/{batch.id}/recall.csv").status_code == 403
    assert batch.lot_code not in reviewer.get("/producer/batches/review").get_data(as_text=True)
    db.expire_all()
    assert batch.status is BatchStatus.ACTIVE and row_count(db, "traceability_event") == before


def test_recall_csv_has_bom_chinese_header_and_rows_backward_this_forward(
    as_user: Callable[[User | None], FlaskClient],
    owner: User,
    producer: Producer,
    veg: Product,
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
    db: Session,
) -> None:
    from traceability.processing.services import ProcessInput, ProcessOutput, process_batches

    pickles = make_product(producer, name="酱辣椒", category=Category.PROCESSED)
    raw = make_batch(veg, quantity=100)
    today = shanghai_date()

    def step(source: Batch, quantity: int) -> Batch:
        out = ProcessOutput(pickles, make_data(source, quantity, today))
        [made] = process_batches(db, owner, [ProcessInput(source, quantity)], [out],
                                 occurred_at=datetime.now(UTC), place="疏勒县", process="腌制")  # fmt: skip
        return made

    middle = step(raw, 50)
    final = step(middle, 20)
    response = as_user(owner).get(f"/producer/batches/{middle.id}/recall.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["类型", "方向", "批次号", "产品"]
    directions = {row[2]: row[1] for row in rows[1:]}
    assert directions == {
        raw.lot_code: "上游(原料)",
        middle.lot_code: "本批次",
        final.lot_code: "下游(制成品)",
    }
    assert len(rows) - 1 == sum(len(b.events) for b in (raw, middle, final))  # no order drew from them
    keys = [(row[2], row[7]) for row in rows[1:]]
    assert keys == sorted(keys)


def make_data(source: Batch, quantity: int, today: Any) -> Any:
    from traceability.batches.services import BatchData

    return BatchData(quantity, today, today + timedelta(days=90), source.origin)


# --- access --------------------------------------------------------------------------------------------


def test_another_producers_member_gets_403_on_every_batch_page(
    as_user: Callable[[User | None], FlaskClient],
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    veg: Product,
    make_batch: Callable[..., Batch],
    db: Session,
) -> None:
    batch = make_batch(veg)
    stranger = make_user()
    make_producer(owner=stranger)  # a member of another 疏勒县 producer
    client = as_user(stranger)
    base = f"/producer/batches/{batch.id}"
    for path in ("", "/recall.csv", "/label.png", "/labels.pdf?count=2"):
        assert client.get(base + path).status_code == 403, path
    for path, data in (
        ("/events", {"kind": "shipping", "ship_to": "x", "occurred_at": "2026-01-01T08:00"}),
        ("/certificate", {}),
        ("/serials", {"count": "1"}),
        ("/recall", {"reason": "x"}),
    ):
        assert client.post(base + path, data=data).status_code == 403, path
    assert batch.lot_code not in client.get("/producer/batches/").get_data(as_text=True)
    assert batch.lot_code not in client.get("/producer/batches/processing").get_data(as_text=True)
    steal = {"process_name": "x", "occurred_at": "2026-01-01T08:00", "inputs-0-batch_id": str(batch.id),
             "inputs-0-quantity": "5", "outputs-0-product_id": str(veg.id), "outputs-0-quantity": "5",
             "outputs-0-best_before": "2099-01-01"}  # fmt: skip
    assert client.post("/producer/batches/processing", data=steal).status_code == 400
    assert client.get("/producer/batches/999999").status_code == 404
    db.expire_all()
    assert batch.status is BatchStatus.ACTIVE and len(batch.events) == 2 and batch.quantity_available == 100
