"""The public results page draws its charts under the app's CSP on a 360 px phone, tables beside them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import ConsoleMessage, Page, expect
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.clock import shanghai_date
from stats.models import Channel, CountyMonthlyRollup, MonthlyRollup

pytestmark = pytest.mark.e2e


@pytest.fixture()
def month_of_sales(live_app: Flask) -> Iterator[None]:
    """Monthly and county-monthly roll-up rows for this month in the live database (as the ledger keeps them,
    under keys of their own), removed afterwards (other journeys count sales)."""
    engine = live_app.extensions["db"].engine
    today = shanghai_date()
    with Session(engine) as session:
        products = session.scalars(select(Product).order_by(Product.id).limit(2)).all()
        for number, (product, certified) in enumerate(itertools.product(products, (True, False))):
            session.add(
                MonthlyRollup(
                    day=today.replace(day=1),
                    dims=f"e2e-stats-{number}",
                    product_id=product.id,
                    producer_id=product.producer_id,
                    county_id=product.producer.county_id,
                    buyer_kind="consumer",
                    is_paired=False,
                    channel=Channel.ONLINE,
                    is_certified=certified,
                    amount_fen=12_300 * (number + 1),
                    quantity=1,
                    entries=1,
                )
            )
            session.add(
                CountyMonthlyRollup(
                    day=today.replace(day=1),
                    dims=f"e2e-stats-{number}",
                    county_id=product.producer.county_id,
                    channel=Channel.ONLINE,
                    is_certified=certified,
                    amount_fen=12_300 * (number + 1),
                    quantity=1,
                    entries=1,
                )
            )
        session.commit()
    yield
    with Session(engine) as session:
        for model in (MonthlyRollup, CountyMonthlyRollup):
            session.execute(delete(model).where(model.dims.like("e2e-stats-%")))
        session.commit()


def test_public_page_charts_render_without_csp_errors_on_a_phone(
    page: Page, live_server: str, month_of_sales: None
) -> None:
    problems: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(message.text)

    page.on("console", watch)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(live_server + "/stats/")
    canvas = page.locator("canvas[data-chart=monthly]")
    expect(canvas).to_be_visible()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart]'))"
    )
    box = canvas.bounding_box()
    assert box is not None and 250 < box["width"] <= 360 and box["height"] > 150
    drawn = page.evaluate("() => Chart.getChart(document.querySelector('canvas[data-chart=monthly]')).data")
    sent = page.evaluate("() => JSON.parse(document.getElementById('stats-charts').textContent).monthly")
    assert drawn["labels"] == sent["labels"]
    assert [round(v * 100) for v in drawn["datasets"][0]["data"]] == sent["series"][0]["fen"]
    assert sent["series"][0]["fen"][shanghai_date().month - 1] >= 12_300 + 36_900  # counted this month
    expect(page.locator("table.stats-table").first).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    assert problems == []
