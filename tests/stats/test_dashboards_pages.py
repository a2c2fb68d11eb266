"""The dashboard pages: who may open which, what they show, and filters that are refused with a 400."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.clock import shanghai_date
from core.models import Region, User
from stats.models import Channel, Target, TargetScope
from tests.stats.test_dashboards import add_rollup

pytestmark = pytest.mark.usefixtures("english")  # these tests read English messages


@pytest.fixture()
def sales(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
) -> dict[str, object]:
    """A 疏勒县 producer (with a member) and a 城口县 producer, with 2025 sales of each."""
    member = make_user(name="合作社社员")
    shule = make_producer(owner=member, name="疏勒县绿源合作社")
    shule.lifted_households, shule.monitored_households = 21, 4
    chengkou = make_producer(name="城口县腊肉公司", county_code="500229")
    melon = make_product(shule, name="郭牌西瓜", certified=True)
    pork = make_product(chengkou, name="城口老腊肉")
    add_rollup(db, melon, date(2025, 1, 31), 123_456, quantity=4)
    add_rollup(db, melon, date(2025, 2, 1), 10_000, certified=False, channel=Channel.STAFF)
    add_rollup(db, pork, date(2025, 2, 14), 77_700)
    add_rollup(db, pork, date(2024, 11, 11), 50_000)
    return {"member": member, "shule": shule, "chengkou": chengkou}


def chart_data(html: str) -> dict[str, object]:
    """The JSON block the charts are drawn from."""
    match = re.search(r'<script type="application/json" id="stats-charts">(.*?)</script>', html, re.S)
    assert match is not None
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def test_public_page_shows_totals_by_county_period_and_all_time(client: FlaskClient, sales: dict) -> None:
    response = client.get("/stats/?year=2025")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "¥1,234.56" in html  # 疏勒县 counted in 2025
    assert "¥2,011.56" in html  # counted in 2025: 1,234.56 + 777.00
    assert "¥2,111.56" in html  # all sales in 2025 (with the ordinary 100.00)
    assert "¥2,511.56" in html  # counted, all time (with 500.00 in 2024)
    assert "25" in html  # households brought along: 21 + 4
    charts = chart_data(html)
    monthly = charts["monthly"]
    assert monthly["labels"][:3] == ["2025-01", "2025-02", "2025-03"]  # type: ignore[index]
    assert monthly["series"][0]["fen"][:2] == [123_456, 77_700]  # type: ignore[index]
    assert monthly["series"][1]["fen"][:2] == [0, 10_000]  # type: ignore[index]


def test_pages_load_scripts_only_from_files_and_data_as_json(client: FlaskClient, sales: dict) -> None:
    html = client.get("/stats/?year=2025").get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts, "the page loads its chart scripts"
    for attributes in scripts:
        assert 'src="/static/' in attributes or 'type="application/json"' in attributes
    assert 'src="/static/vendor/chartjs/chart.umd.min.js"' in html
    assert "<canvas data-chart=" in html and "<table" in html  # the table gives the numbers without JS


def test_public_page_filters_by_month_range_and_channel(client: FlaskClient, sales: dict) -> None:
    html = client.get("/stats/?year=2025&month_from=2&month_to=2&channel=staff").get_data(as_text=True)
    charts = chart_data(html)
    assert charts["monthly"]["labels"] == ["2025-02"]  # type: ignore[index]
    assert charts["monthly"]["series"][1]["fen"] == [10_000]  # type: ignore[index]
    assert charts["monthly"]["series"][0]["fen"] == [0]  # type: ignore[index]


@pytest.mark.parametrize(
    "query",
    [
        "year=abc",
        "year=1999",
        "year=2025&month_from=13",
        "year=2025&month_from=6&month_to=2",
        "channel=teleshopping",
        "month_to=%00",
    ],
)
def test_bad_filters_are_refused_with_a_message(client: FlaskClient, sales: dict, query: str) -> None:
    for path in ("/stats/", "/stats/export.csv", "/stats/export.xlsx"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, path
        page = response.get_data(as_text=True)
        assert "The filters are not valid." in page or "not allowed (NUL)" in page  # NUL: core.inputs


def test_empty_filters_mean_this_year(client: FlaskClient) -> None:
    response = client.get("/stats/?year=&month_from=1&month_to=12&channel=")
    assert response.status_code == 200
    assert f"{shanghai_date().year}-01" in chart_data(response.get_data(as_text=True))["monthly"]["labels"]  # type: ignore[operator]


def test_county_dashboard_is_for_its_reviewers_and_admins(
    as_user: Callable[[User | None], FlaskClient],
    make_user: Callable[..., User],
    region: Callable[[str], Region],
    sales: dict,
) -> None:
    shule_reviewer = make_user(counties=[region("653122")])
    assert as_user(shule_reviewer).get("/stats/county/653122").status_code == 200
    assert as_user(shule_reviewer).get("/stats/county/500229").status_code == 403
    assert as_user(shule_reviewer).get("/stats/county/500229/export.csv").status_code == 403
    assert as_user(shule_reviewer).get("/stats/county/999999").status_code == 404
    assert as_user(shule_reviewer).get("/stats/county/650000").status_code == 404  # a province, not a county
    admin = make_user(is_admin=True)
    assert as_user(admin).get("/stats/county/500229").status_code == 200
    assert as_user(sales["member"]).get("/stats/county/653122").status_code == 403  # type: ignore[arg-type]
    redirect = as_user(shule_reviewer).get("/stats/county/?year=2025")
    assert redirect.status_code == 302 and redirect.headers["Location"].endswith(
        "/stats/county/653122?year=2025"
    )


def test_county_dashboard_shows_breakdowns_target_progress_and_idle_producers(
    db: Session,
    as_user: Callable[[User | None], FlaskClient],
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    region: Callable[[str], Region],
    sales: dict,
) -> None:
    shule = region("653122")
    db.add(
        Target(
            scope=TargetScope.COUNTY, county_id=shule.id, start_year=2025, end_year=2025, amount_fen=1_000_000
        )
    )
    make_producer(name="阿克苏路果园")  # approved, no sales this quarter
    db.flush()
    response = as_user(make_user(counties=[shule])).get("/stats/county/653122?year=2025")
    html = response.get_data(as_text=True)
    assert "郭牌西瓜" in html and "城口老腊肉" not in html  # only this county's products
    assert "¥1,234.56" in html and "¥1,334.56" in html  # counted, and all sales
    assert "12.3%" in html  # 123,456 of 1,000,000 fen
    assert '<progress max="1000" value="123"' in html
    assert "阿克苏路果园" in html
    charts = chart_data(html)
    assert set(charts) == {"monthly", "products", "buyers", "channels", "partners"}
    assert charts["channels"]["labels"] == ["Online shop", "Staff purchases"]  # type: ignore[index]
    assert 'class="print-only stats-print-head"' in html  # the printed monthly report's heading


def test_producer_dashboard_shows_only_the_members_own_sales(
    as_user: Callable[[User | None], FlaskClient],
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    sales: dict,
) -> None:
    member: User = sales["member"]  # type: ignore[assignment]
    client = as_user(member)
    html = client.get("/stats/producer?year=2025").get_data(as_text=True)
    assert "疏勒县绿源合作社" in html and "¥1,234.56" in html and "¥1,334.56" in html
    assert "¥777.00" not in html  # the other county's producer's sales
    chengkou: Producer = sales["chengkou"]  # type: ignore[assignment]
    assert client.get(f"/stats/producer?producer={chengkou.id}").status_code == 403
    bad = client.get("/stats/producer?producer=abc")
    assert bad.status_code == 400 and "by its number" in bad.get_data(as_text=True)
    assert as_user(make_user()).get("/stats/producer").status_code == 403

    second = make_producer(owner=member, name="第二个合作社")
    html = client.get(f"/stats/producer?producer={second.id}&year=2025").get_data(as_text=True)
    assert "第二个合作社" in html and "¥1,234.56" not in html
    assert f'name="producer" value="{second.id}"' in html  # the filters keep the chosen producer
