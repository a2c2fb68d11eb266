"""Procurement asks oversight about line prices: a line above its product's reference price is flagged on the
purchase order (by default) or refused (when so configured), as government e-malls do."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Region, User
from procurement.ordering.errors import PriceAboveReference
from procurement.ordering.models import PurchaseOrder
from tests.oversight.conftest import Office
from tests.oversight.prices.support import reference
from tests.procurement.conftest import ProcurementWorld, pw, submit  # noqa: F401 (fixtures)
from tests.procurement.test_ordering_pages import submit_form

Client = Callable[[User | None], FlaskClient]


def test_a_line_above_the_reference_is_flagged_on_the_purchase_order(
    db: Session,
    pw: ProcurementWorld,  # noqa: F811
    submit: Callable[..., PurchaseOrder],  # noqa: F811
    office: Office,
    region: Callable[[str], Region],
    as_user: Client,
) -> None:
    reference(db, office.admin, region("500229"), pw.pork, 9000)  # the pork costs 98.00: above 90.00
    purchase = submit({pw.pork: 2, pw.tomatoes: 50})
    lines = {line.product_id: line for order in purchase.supplier_orders for line in order.lines}
    assert lines[pw.pork.id].reference_price_fen == 9000
    assert lines[pw.tomatoes.id].reference_price_fen is None  # no reference for the tomatoes
    pw.buyer.locale = "en"
    db.commit()
    page = as_user(pw.buyer).get(f"/procurement/orders/{purchase.number}").get_data(as_text=True)
    assert "Above the reference price of ¥90.00" in page
    assert "1 line is priced above its product's reference price" in page
    pork_order = next(o for o in purchase.supplier_orders if o.producer_id == pw.chengkou.id)
    pw.chengkou_owner.locale = "en"
    db.commit()
    supplier_page = as_user(pw.chengkou_owner).get(f"/producer/procurement/{pork_order.number}")
    assert "Above the reference price of ¥90.00" in supplier_page.get_data(as_text=True)


def test_a_line_at_the_reference_is_not_flagged(
    db: Session,
    pw: ProcurementWorld,  # noqa: F811
    submit: Callable[..., PurchaseOrder],  # noqa: F811
    office: Office,
    region: Callable[[str], Region],
) -> None:
    reference(db, office.admin, region("500229"), pw.pork, 9800)
    purchase = submit({pw.pork: 2})
    assert [line.reference_price_fen for o in purchase.supplier_orders for line in o.lines] == [None]


def test_refused_when_so_configured(
    app: Flask,
    db: Session,
    pw: ProcurementWorld,  # noqa: F811
    submit: Callable[..., PurchaseOrder],  # noqa: F811
    office: Office,
    region: Callable[[str], Region],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "PROCUREMENT_ABOVE_REFERENCE", "refuse")
    reference(db, office.admin, region("500229"), pw.pork, 9000)
    before = db.scalar(select(func.count()).select_from(PurchaseOrder))
    with app.app_context(), pytest.raises(PriceAboveReference) as caught:
        submit({pw.pork: 2, pw.tomatoes: 50})
    assert caught.value.status == 409 and "¥90.00" in str(caught.value)
    assert db.scalar(select(func.count()).select_from(PurchaseOrder)) == before


def test_the_review_page_says_why_a_refused_order_was_not_placed(
    app: Flask,
    db: Session,
    pw: ProcurementWorld,  # noqa: F811
    office: Office,
    region: Callable[[str], Region],
    as_user: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "PROCUREMENT_ABOVE_REFERENCE", "refuse")
    reference(db, office.admin, region("500229"), pw.pork, 9000)
    pw.buyer.locale = "en"
    db.commit()
    response = as_user(pw.buyer).post("/procurement/review", data=submit_form((pw.pork.id, "2")))
    assert response.status_code == 409
    assert "above its reference price of ¥90.00" in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(PurchaseOrder)) == 0
