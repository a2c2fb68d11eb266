"""Quality sampling (抽检): recorded by the county office, a failed result holds the batch and every batch
made from it at once and offers the recall, the result shows on the trace page and costs the producer
standing."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.products.models import Category, Product
from core.audit.services import AuditEntry
from core.clock import SHANGHAI
from core.db import utcnow
from core.models import User
from core.notifications.models import Notification
from oversight.sampling import services
from oversight.sampling.errors import NotCountySampler, NothingToRelease, ReportRefused, ResultAlreadyRecorded
from oversight.sampling.models import QualitySample, SampleResult
from oversight.sampling.reports import FOLDER, MAX_REPORT_BYTES, report_path, store_report
from oversight.standing.assessment import FAILED_SAMPLE_POINTS, assess
from tests.access_rows.sampling import PDF
from tests.commerce import Shop
from tests.oversight.conftest import Office
from traceability.batches.services import BatchData
from traceability.holds.models import BatchHold, HoldReason
from traceability.models import Batch
from traceability.processing.services import ProcessInput, ProcessOutput, process_batches

JSON = {"Accept": "application/json"}


def form(batch: Batch, **fields: Any) -> dict[str, Any]:
    """A filled new-sample form for ``batch`` (taken an hour ago, Beijing time)."""
    taken = (utcnow() - timedelta(hours=1)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    data: dict[str, Any] = {
        "lot": batch.lot_code.lower(),
        "sampled_at": taken,
        "place": "疏勒县农贸市场",
        "sampled_by": "疏勒县市场监管局 王敏",
        "lab": "喀什地区食品检验所",
        "items": "农药残留\n重金属、农药残留",
        "result": "pending",
    }
    data.update(fields)
    return data


def sample_of(db: Session, batch: Batch) -> QualitySample:
    """The newest sample of ``batch``."""
    found = db.scalar(
        select(QualitySample).where(QualitySample.batch_id == batch.id).order_by(QualitySample.id.desc())
    )
    assert found is not None
    return found


def record(db: Session, user: User, batch: Batch, result: SampleResult) -> QualitySample:
    """A sample of ``batch`` recorded through the service, its result known at once."""
    data = services.SampleInput(utcnow(), "疏勒县", "市场监管局", "喀什检测中心", ["农药残留"], result)
    return services.record_sample(db, user, batch, data)


@pytest.fixture()
def child(db: Session, shop: Shop, make_product: Callable[..., Product]) -> Batch:
    """A batch of tomato sauce made from the shop's 疏勒县 tomatoes by the real processing service."""
    sauce = make_product(shop.producer_a, name="疏勒番茄酱", category=Category.VEGETABLES, certified=True)
    today = shop.batch_a.produced_on
    [made] = process_batches(
        db,
        shop.owner_a,
        [ProcessInput(shop.batch_a, 10)],
        [ProcessOutput(sauce, BatchData(10, today, today + timedelta(days=90), origin=shop.batch_a.origin))],
        occurred_at=utcnow(),
        place="疏勒县",
        process="制酱",
    )
    db.flush()
    return made


def test_a_reviewer_records_a_sample_with_its_report_and_the_result_later(
    app: Flask, db: Session, shop: Shop, office: Office, as_user: Callable[[User | None], FlaskClient]
) -> None:
    client = as_user(office.shule)
    page = client.get(f"/oversight/sampling/new?lot={shop.batch_a.lot_code}")
    assert page.status_code == 200 and shop.batch_a.lot_code in page.get_data(as_text=True)
    data = form(shop.batch_a, report=(io.BytesIO(PDF), "报告.pdf"))
    response = client.post("/oversight/sampling/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    sample = sample_of(db, shop.batch_a)
    assert sample.result == SampleResult.PENDING and sample.items == ["农药残留", "重金属"]
    assert sample.recorded_by_id == office.shule.id and sample.county_id == shop.producer_a.county_id
    assert sample.report_key is not None
    assert report_path(app.config["UPLOAD_DIR"], sample.report_key).read_bytes() == PDF
    assert not shop.batch_a.is_on_hold and shop.batch_a.findings_version == 0
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.subject_id == sample.id))
    assert "sample.record" in set(actions)
    report = client.get(f"/oversight/sampling/{sample.id}/report.pdf")
    assert report.status_code == 200 and report.data == PDF and report.mimetype == "application/pdf"
    report.close()
    # later, the lab says it passed
    done = client.post(
        f"/oversight/sampling/{sample.id}/result", data={"result": "passed", "note": "全部合格"}
    )
    assert done.status_code == 302
    db.expire_all()
    assert sample.result == SampleResult.PASSED and sample.result_at is not None
    assert shop.batch_a.findings_version == 1 and not shop.batch_a.is_on_hold
    again = client.post(f"/oversight/sampling/{sample.id}/result", data={"result": "failed"})
    db.expire_all()
    assert again.status_code == 409 and sample.result == SampleResult.PASSED


def test_a_failed_result_holds_the_batch_and_what_was_made_from_it_tells_the_members_and_offers_the_recall(
    db: Session, shop: Shop, office: Office, child: Batch, as_user: Callable[[User | None], FlaskClient]
) -> None:
    assert shop.product_a.is_for_sale
    client = as_user(office.shule)
    response = client.post("/oversight/sampling/new", data=form(shop.batch_a, result="failed"))
    assert response.status_code == 302
    db.expire_all()
    sample = sample_of(db, shop.batch_a)
    assert sample.result == SampleResult.FAILED
    assert shop.batch_a.is_on_hold and child.is_on_hold
    assert not shop.product_a.is_for_sale  # its only lot is held: nothing of it is for sale
    holds = db.scalars(select(BatchHold).where(BatchHold.reason == HoldReason.QUALITY_SAMPLING)).all()
    assert {hold.batch_id for hold in holds} == {shop.batch_a.id, child.id}
    assert all(hold.opened_by_id == office.shule.id and hold.is_open for hold in holds)
    told = db.scalars(select(Notification).where(Notification.kind == "quality_sample_failed")).all()
    assert [n.user_id for n in told] == [shop.owner_a.id]
    assert (
        shop.batch_a.lot_code in told[0].subject and "failed" in told[0].subject
    )  # in English, her language
    page = client.get(f"/oversight/sampling/{sample.id}").get_data(as_text=True)
    assert f'href="/producer/batches/{shop.batch_a.id}#recall"' in page
    # the recall page it links to opens for the reviewer
    recall_page = client.get(f"/producer/batches/{shop.batch_a.id}")
    assert recall_page.status_code == 200  # … with a re-test's way back here
    assert f"/oversight/sampling/new?lot={shop.batch_a.lot_code}" in recall_page.get_data(as_text=True)


def test_a_failed_sample_sends_one_notice_per_person(
    db: Session, shop: Shop, office: Office, child: Batch, make_user: Callable[..., User], region: Any
) -> None:
    colleague = make_user(name="疏勒审核员二", counties=[region("653122")])
    before = {
        user.id: db.scalar(select(func.count()).where(Notification.user_id == user.id))
        for user in (shop.owner_a, office.shule, colleague)
    }
    sample = record(db, office.shule, shop.batch_a, SampleResult.FAILED)
    assert shop.batch_a.is_on_hold and child.is_on_hold  # two batches held, still one notice each

    def new_notices(user: User) -> list[tuple[str, str | None]]:
        rows = db.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        ).all()
        return [(n.kind, n.link) for n in rows[before[user.id] :]]

    link = f"/oversight/sampling/{sample.id}"
    assert new_notices(shop.owner_a) == [("quality_sample_failed", link)]
    assert new_notices(colleague) == [("quality_sample_failed", link)]  # the county's other reviewer
    assert new_notices(office.shule) == []  # who recorded it knows


def test_the_trace_page_shows_passed_and_failed_results_and_its_etag_moves(
    app: Flask, db: Session, shop: Shop, office: Office, client: FlaskClient
) -> None:
    path = f"/t/{shop.batch_a.lot_code}"
    first = client.get(path)
    assert "抽检" not in first.get_data(as_text=True)
    tag = first.headers["ETag"]
    pending = record(db, office.shule, shop.batch_a, SampleResult.PENDING)
    db.flush()
    assert client.get(path, headers={"If-None-Match": tag}).status_code == 304  # pending is not shown
    services.record_result(db, office.shule, pending, SampleResult.PASSED)
    db.flush()
    fresh = client.get(path, headers={"If-None-Match": tag})
    assert fresh.status_code == 200
    today = utcnow().astimezone(SHANGHAI).date().isoformat()
    assert f"抽检合格（{today}，喀什检测中心）" in fresh.get_data(as_text=True)
    record(db, office.shule, shop.batch_a, SampleResult.FAILED)
    db.flush()
    again = client.get(path, headers={"If-None-Match": fresh.headers["ETag"]})
    assert again.status_code == 200 and "抽检不合格" in again.get_data(as_text=True)
    found = client.get(path, headers=JSON).get_json()
    assert [r["result"] for r in found["sampling"]] == ["failed", "passed"]
    assert found["sampling"][0] == {
        "result": "failed",
        "sampled_on": today,
        "lab": "喀什检测中心",
        "items": ["农药残留"],
    }
    assert found["on_hold"] is True


def test_a_failed_sample_costs_the_producer_standing(db: Session, shop: Shop, office: Office) -> None:
    before = assess(db, shop.producer_a)
    record(db, office.shule, shop.batch_a, SampleResult.FAILED)
    record(db, office.shule, shop.batch_a, SampleResult.PASSED)
    db.flush()
    after = assess(db, shop.producer_a)
    assert before.score - after.score == FAILED_SAMPLE_POINTS
    assert [r.as_json() for r in after.reasons if r.code == "sampling_failed"] == [
        {"code": "sampling_failed", "count": 1, "points": FAILED_SAMPLE_POINTS, "figure": None}
    ]
    # a year later it no longer counts
    assert assess(db, shop.producer_a, utcnow() + timedelta(days=366)).score == before.score


def test_who_may_record_and_who_may_read(
    english: None, db: Session, shop: Shop, office: Office, as_user: Callable[[User | None], FlaskClient]
) -> None:
    sample = record(db, office.shule, shop.batch_a, SampleResult.PENDING)
    db.flush()
    page = f"/oversight/sampling/{sample.id}"
    # the producer's members read their samples, never record them
    member = as_user(shop.owner_a)
    assert member.get(page).status_code == 200 and "Record the lab" not in member.get(page).get_data(
        as_text=True
    )
    assert shop.batch_a.lot_code in member.get("/oversight/sampling/").get_data(as_text=True)
    assert member.post(f"{page}/result", data={"result": "passed"}).status_code == 403
    assert member.get("/oversight/sampling/new").status_code == 403
    # another county's reviewer, another producer and a buyer see nothing of it
    for user in (office.chengkou, shop.owner_b, shop.buyer):
        assert as_user(user).get(page).status_code == 403
    assert shop.batch_a.lot_code not in as_user(office.chengkou).get("/oversight/sampling/").get_data(
        as_text=True
    )
    refused = as_user(office.chengkou).post("/oversight/sampling/new", data=form(shop.batch_a))
    assert refused.status_code == 403
    # a reviewer of the county who is also a member of the producer may not sample it
    shop.owner_a.reviewer_counties.append(shop.producer_a.county)
    with pytest.raises(NotCountySampler):
        record(db, shop.owner_a, shop.batch_a, SampleResult.FAILED)
    assert as_user(office.shule).get("/oversight/sampling/999999").status_code == 404
    unknown = as_user(office.shule).post("/oversight/sampling/new", data=form(shop.batch_a, lot="NOPE-0000"))
    assert unknown.status_code == 404 and "No batch has this lot code" in unknown.get_data(as_text=True)


@pytest.mark.parametrize(
    "upload",
    [
        b"\x89PNG\r\n\x1a\n" + b"0" * 100,  # a photo called .pdf
        PDF[:-8],  # a truncated PDF
        b"",  # an empty file
    ],
    ids=["photo", "truncated", "empty"],
)
def test_the_report_must_be_a_real_pdf(
    english: None,
    app: Flask,
    db: Session,
    shop: Shop,
    office: Office,
    upload: bytes,
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    stored = Path(app.config["UPLOAD_DIR"]) / FOLDER
    before = sorted(stored.rglob("*")) if stored.exists() else []
    data = form(shop.batch_a, report=(io.BytesIO(upload), "report.pdf"))
    response = as_user(office.shule).post(
        "/oversight/sampling/new", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "PDF file of at most 10 MB" in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(QualitySample)) == 0
    assert (sorted(stored.rglob("*")) if stored.exists() else []) == before


def test_a_report_over_ten_megabytes_is_refused(tmp_path: Path) -> None:
    padded = PDF[:-6] + b" " * (MAX_REPORT_BYTES - len(PDF) + 1) + PDF[-6:]
    with pytest.raises(ReportRefused):
        store_report(io.BytesIO(padded), tmp_path)
    assert not (tmp_path / FOLDER).exists()
    assert report_path(tmp_path, store_report(io.BytesIO(PDF), tmp_path)).read_bytes() == PDF


def test_a_passed_retest_releases_the_sampling_holds(
    english: None,
    db: Session,
    shop: Shop,
    office: Office,
    child: Batch,
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    failed = record(db, office.shule, shop.batch_a, SampleResult.FAILED)
    client = as_user(office.shule)
    refused = client.post(f"/oversight/sampling/{failed.id}/release", data={"reason": "复检合格"})
    db.expire_all()
    assert refused.status_code == 409 and shop.batch_a.is_on_hold
    retest = record(db, office.shule, shop.batch_a, SampleResult.PASSED)
    db.flush()
    page = client.get(f"/oversight/sampling/{retest.id}").get_data(as_text=True)
    assert "Release after the passed re-test" in page
    assert client.post(f"/oversight/sampling/{retest.id}/release", data={"reason": ""}).status_code == 400
    response = client.post(f"/oversight/sampling/{retest.id}/release", data={"reason": "复检合格"})
    assert response.status_code == 302
    db.expire_all()
    assert not shop.batch_a.is_on_hold and not child.is_on_hold
    assert all(not hold.is_open for hold in db.scalars(select(BatchHold)))
    with pytest.raises(NothingToRelease):
        services.release_after_retest(db, office.shule, retest, "再次")
    with pytest.raises(ResultAlreadyRecorded):
        services.record_result(db, office.shule, retest, SampleResult.FAILED)
