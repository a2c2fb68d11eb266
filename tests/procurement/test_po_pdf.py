"""The printable purchase-order document: a real PDF whose text, read back with pdftotext, carries the data.

pdftotext maps the Chinese CID font's glyphs to text with the Adobe-GB1 tables of Debian's poppler-data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from core.clock import SHANGHAI, shanghai_date
from core.models import User
from core.numbers import readable_number
from procurement.ordering.approval import approve_purchase_order
from procurement.ordering.models import FundingSource, PurchaseOrder
from tests.procurement.conftest import ProcurementWorld
from tests.support import pdf_text


@pytest.fixture()
def approved(db: Session, pw: ProcurementWorld, submit: Callable[..., PurchaseOrder]) -> PurchaseOrder:
    """A purchase order of tomatoes (tier price) and pork, approved by the approver."""
    pw.institution.requires_approval = True
    pw.institution.credit_code = "12371300MB2845726X"
    purchase = submit({pw.tomatoes: 120, pw.pork: 3}, funding=FundingSource.UNION_FUNDS)
    approve_purchase_order(db, pw.approver, purchase, "同意采购")
    db.flush()
    return purchase


def test_pdf_carries_number_institution_lines_totals_and_approval(
    pw: ProcurementWorld,
    approved: PurchaseOrder,
    as_user: Callable[[User], FlaskClient],
) -> None:
    response = as_user(pw.finance).get(f"/procurement/orders/{approved.number}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert approved.number in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert readable_number(approved.number) in text
    assert pw.institution.name in text and "12371300MB2845726X" in text
    for name in ("测试西红柿", "测试老腊肉", pw.shule.name, pw.chengkou.name, "王食堂", "北京路", "同意采购"):
        assert name in text, name
    assert "¥5.00" in text and "¥600.00" in text  # 120 kg at the tier price
    assert "¥98.00" in text and "¥294.00" in text
    assert "¥894.00" in text  # the grand total
    submitted = approved.submitted_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    assert submitted in text and (shanghai_date() + timedelta(days=7)).isoformat() in text
    assert pw.approver.display_name in text
    for order in approved.supplier_orders:
        assert readable_number(order.number) in text


def test_pdf_labels_follow_the_reader_language(
    db: Session, pw: ProcurementWorld, approved: PurchaseOrder, as_user: Callable[[User], FlaskClient]
) -> None:
    pw.finance.locale = "en"
    db.flush()
    text = pdf_text(as_user(pw.finance).get(f"/procurement/orders/{approved.number}.pdf").data)
    assert "Purchase order" in text and "Trade-union funds" in text and "Grand total" in text


def test_pdf_is_hidden_from_other_institutions(
    approved: PurchaseOrder,
    as_user: Callable[[User], FlaskClient],
    make_user: Callable,
    make_institution: Callable,
) -> None:
    stranger = make_user()
    make_institution(stranger)
    assert as_user(stranger).get(f"/procurement/orders/{approved.number}.pdf").status_code == 404
