"""Benefit to households on the public pages: only what the county verified, as totals, never a name — on the
product, producer, trace and county pages, and beside the county's counted sales on its dashboard."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.clock import shanghai_date
from core.models import Region, User
from settlement.benefit.evidence import store_evidence
from settlement.benefit.models import BenefitMode, BenefitReport, HouseholdCategory
from settlement.benefit.services import BenefitInput, Payment, reject_report, submit_report, verify_report
from stats.summaries import benefit_next_to_sales
from tests.settlement.support import MINIMAL_PDF
from tests.stats.test_dashboards import add_rollup
from traceability.models import Batch

MARK = "benefit-verified"
ZH_FIGURE = "年该生产主体向至少 12 户脱贫户、监测户支付 ¥3,600.00（县审核员核实）"
EN_FIGURE = (
    "this producer paid ¥3,600.00 to at least 12 lifted or monitored households (verified by the county "
    "reviewer)"
)


@dataclass
class Shop:
    """A Shule producer (40 lifted households) with a certified product and a lot, its owner, the county's
    reviewer and where uploads go."""

    producer: Producer
    product: Product
    batch: Batch
    owner: User
    reviewer: User
    upload_dir: Path

    def report(self, db: Session, month: int = 1, households: int = 12, fen: int = 360_000) -> BenefitReport:
        """A report of this year's ``month`` (wages to lifted households), submitted through the service."""
        data = BenefitInput(
            year=shanghai_date().year,
            month=month,
            payments={(BenefitMode.WAGES, HouseholdCategory.LIFTED): Payment(households, fen)},
        )
        evidence = store_evidence(io.BytesIO(MINIMAL_PDF), self.upload_dir)
        return submit_report(db, self.owner, self.producer, data, evidence)

    def pages(self) -> dict[str, str]:
        return {
            "product": f"/products/{self.product.id}",
            "producer": f"/producers/{self.producer.id}",
            "trace": f"/t/{self.batch.lot_code}",
        }


@pytest.fixture()
def shop(
    app: Flask,
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
    region: Callable[[str], Region],
) -> Shop:
    owner = make_user(name="疏勒社长")
    producer = make_producer(owner, name="疏勒县绿源蔬菜种植农民专业合作社")
    producer.lifted_households, producer.monitored_households = 40, 6
    product = make_product(producer, certified=True)
    batch = make_batch(product, quantity=20)
    reviewer = make_user(name="疏勒审核员", counties=[region("653122")])
    db.flush()
    return Shop(producer, product, batch, owner, reviewer, Path(app.config["UPLOAD_DIR"]))


def read(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_unverified_figures_are_never_shown(db: Session, client: FlaskClient, shop: Shop) -> None:
    shop.report(db, 1)  # waiting for review
    reject_report(db, shop.reviewer, shop.report(db, 2), "回单不清晰")
    for name, url in {**shop.pages(), "county": "/counties/653122"}.items():
        page = read(client, url)
        assert MARK not in page and "¥3,600.00" not in page, name
    machine = client.get(shop.pages()["trace"], headers={"Accept": "application/json"}).get_json()
    assert machine["producer"]["linkage"]["verified_benefit"] is None


def test_the_product_producer_trace_and_county_pages_show_the_verified_figure(
    db: Session, client: FlaskClient, shop: Shop
) -> None:
    verify_report(db, shop.reviewer, shop.report(db, 1))
    for name, url in shop.pages().items():
        page = read(client, url)
        assert MARK in page and f"{shanghai_date().year} {ZH_FIGURE}" in page, name
        assert "疏勒审核员" not in page  # verified by a role, never a person
    county = read(client, "/counties/653122")
    assert "年本县生产主体向至少 12 户脱贫户、监测户支付 ¥3,600.00（县审核员核实）" in county
    machine = client.get(shop.pages()["trace"], headers={"Accept": "application/json"}).get_json()
    assert machine["producer"]["linkage"]["verified_benefit"] == {
        "year": shanghai_date().year,
        "amount_fen": 360_000,
        "households": 12,
        "lifted_households": 12,
        "monitored_households": 0,
        "verified_by": "county_reviewer",
    }


def test_the_figure_reads_in_english(db: Session, client: FlaskClient, shop: Shop) -> None:
    verify_report(db, shop.reviewer, shop.report(db, 1))
    client.post("/language", data={"locale": "en"})
    page = read(client, shop.pages()["trace"])
    assert f"In {shanghai_date().year} {EN_FIGURE}" in page
    assert "Households: the largest number paid in one way in one month" in page


def test_a_verification_and_a_change_reach_cached_trace_pages_at_once(
    db: Session, client: FlaskClient, shop: Shop
) -> None:
    path = shop.pages()["trace"]
    first = client.get(path)
    tag = first.headers["ETag"]
    assert MARK not in first.get_data(as_text=True)
    report = shop.report(db, 1)
    assert client.get(path, headers={"If-None-Match": tag}).status_code == 304  # nothing public changed
    verify_report(db, shop.reviewer, report)
    shown = client.get(path, headers={"If-None-Match": tag})
    assert shown.status_code == 200 and MARK in shown.get_data(as_text=True)

    shop.report(db, 1, households=13, fen=390_000)  # the producer changes the verified month
    again = client.get(path, headers={"If-None-Match": shown.headers["ETag"]})
    assert again.status_code == 200 and MARK not in again.get_data(as_text=True)


def test_the_county_dashboard_shows_benefit_next_to_counted_sales(
    db: Session, as_user: Callable[[User | None], FlaskClient], shop: Shop, region: Callable[[str], Region]
) -> None:
    today = shanghai_date()
    add_rollup(db, shop.product, today.replace(day=1), 2_400_000)  # ¥24,000 counted this year
    add_rollup(db, shop.product, today.replace(day=1), 1_000_000, certified=False)  # not counted
    verify_report(db, shop.reviewer, shop.report(db, 1))

    figure = benefit_next_to_sales(db, region("653122"), today.year)
    assert figure.counted_fen == 2_400_000 and figure.amount_fen == 360_000
    assert figure.percent_text == "15.0%"  # ¥3,600 of ¥24,000
    assert figure.benefit is not None and figure.benefit["households"] == 12
    assert benefit_next_to_sales(db, region("500229"), today.year).percent_text is None  # no sales there

    page = read(as_user(shop.reviewer), "/stats/county/653122")
    assert 'id="benefit-next-to-sales"' in page
    assert "¥24,000.00" in page and "¥3,600.00" in page and "15.0%" in page
    assert "至少 12 户" in page
