"""Chinese by default, English on request, remembered; every string has a Chinese translation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from catalog.labels import with_unit
from catalog.products.models import PriceTier, Unit
from core.i18n import format_fen
from core.models import User
from tests.test_architecture import LAYERS

ROOT = Path(__file__).resolve().parents[2]


def test_home_page_speaks_chinese_by_default(client: FlaskClient) -> None:
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "消费帮扶" in page
    assert "Sign in" not in page


def test_language_switch_is_remembered_in_the_session(client: FlaskClient) -> None:
    response = client.post("/language", data={"locale": "en", "next": "/account/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/account/login"
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page and "Sign in" in page
    client.post("/language", data={"locale": "zh_CN"})
    assert "登录" in client.get("/").get_data(as_text=True)


def test_unknown_language_is_ignored(client: FlaskClient) -> None:
    client.post("/language", data={"locale": "xx"})
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)


def test_language_is_remembered_for_the_account(
    as_user: Callable[[User | None], FlaskClient], make_user: Callable[..., User], db: Session
) -> None:
    user = make_user()
    as_user(user).post("/language", data={"locale": "en"})
    db.refresh(user)
    assert user.locale == "en"
    # a new browser signed in as the same user gets English without choosing again
    assert '<html lang="en">' in as_user(user).get("/").get_data(as_text=True)


def test_every_message_has_a_chinese_translation() -> None:
    with (ROOT / "translations/zh_Hans_CN/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle)
    with (ROOT / "translations/messages.pot").open("rb") as handle:
        template = read_po(handle)
    missing = [
        m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else all(m.string))
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    absent = [m.id for m in template if m.id and m.id not in catalog]
    assert missing == [] and fuzzy == [] and absent == []


def test_catalogs_cover_every_string_in_the_code() -> None:
    """Extracting again finds nothing the template lacks (run `make extract-messages` after changing text)."""
    from babel.messages.extract import extract_from_dir

    with (ROOT / "translations/messages.pot").open("rb") as handle:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    found: set[str] = set()
    for directory in (*LAYERS, "templates"):
        subdir = ROOT / directory
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(subdir),
            method_map=method_map if directory != "templates" else [("**.html", "jinja2")],
            keywords={"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)},
        ):
            found.add(message if isinstance(message, str) else message[0])
    assert sorted(found - template) == []


def test_money_is_formatted_from_integer_fen() -> None:
    assert format_fen(12345) == "¥123.45"
    assert format_fen(5) == "¥0.05"
    assert format_fen(-250) == "-¥2.50"
    assert format_fen(300_000_000_00) == "¥300,000,000.00"


def test_times_are_shown_in_shanghai(
    as_user: Callable[[User | None], FlaskClient], make_user: Callable[..., User], db: Session
) -> None:
    from datetime import UTC, datetime

    user = make_user()
    user.created_at = datetime(2026, 1, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 February in Beijing
    db.flush()
    assert "2026-02-01 00:30" in as_user(user).get("/account/").get_data(as_text=True)


def test_quantities_read_as_people_say_them_in_both_languages(
    app: Flask,
    db: Session,
    client: FlaskClient,
    make_user: Callable[..., User],
    make_producer: Callable[..., Any],
    make_product: Callable[..., Any],
) -> None:
    """Issue 16: "2 piece" in English; the unit names in Chinese; the sort option is a product's name, not a
    person's (姓名)."""
    product = make_product(make_producer(make_user()), unit=Unit.PIECE, certified=True)
    product.tiers = [PriceTier(min_quantity=n, unit_price_fen=fen) for n, fen in ((2, 2400), (20, 2000))]
    db.flush()
    with app.test_request_context():
        said = [
            with_unit(1, Unit.PIECE),
            with_unit(2, Unit.PIECE),
            with_unit(3, Unit.BOX),
            with_unit(5, Unit.KG),
        ]
        assert said == ["1 件", "2 件", "3 箱", "5 千克"] and with_unit(None, Unit.KG) == ""
    zh = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert "<td>20 件</td>" in zh and "姓名" not in client.get("/products").get_data(as_text=True)
    client.post("/language", data={"locale": "en"})
    page = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert "<td>2 pieces</td>" in page and "<td>20 pieces</td>" in page
    assert ">Product name</option>" in client.get("/products").get_data(as_text=True)


def test_in_english_the_english_product_name_leads_where_there_is_one(
    db: Session,
    client: FlaskClient,
    make_user: Callable[..., User],
    make_producer: Callable[..., Any],
    make_product: Callable[..., Any],
    make_batch: Callable[..., Any],
) -> None:
    """Issue 16: English mode no longer leaves a product's name in Chinese when the producer gave an English
    one (cards, product page, trace page); the other name follows, and without one the Chinese name stays."""
    producer = make_producer(make_user())
    named = make_product(producer, name="塔县有机牦牛肉", certified=True)
    named.name_en = "Tashkurgan organic yak meat"
    plain = make_product(producer, name="疏勒辣椒", certified=True)
    batch = make_batch(named)
    db.flush()
    pages = {"product": f"/products/{named.id}", "trace": f"/t/{batch.lot_code}"}
    for url in pages.values():
        page = client.get(url).get_data(as_text=True)
        assert (
            ">塔县有机牦牛肉</h1>" in page
            and '<p class="muted" lang="en">Tashkurgan organic yak meat</p>' in page
        )
    client.post("/language", data={"locale": "en"})
    for url in pages.values():
        page = client.get(url).get_data(as_text=True)
        assert ' lang="en">Tashkurgan organic yak meat</h1>' in page
        assert '<p class="muted" lang="zh-CN">塔县有机牦牛肉</p>' in page
    listing = client.get("/products").get_data(as_text=True)
    assert ">Tashkurgan organic yak meat</a>" in listing and ">疏勒辣椒</a>" in listing
    assert ">疏勒辣椒</h1>" in client.get(f"/products/{plain.id}").get_data(as_text=True)
