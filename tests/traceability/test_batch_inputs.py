"""Weak inputs are refused: quarantine certificate numbers are numbers; a 合格证 affirms all 4 commitments.

The rules live once (traceability.batches.rules): the forms show them next to the field, the services refuse
them for every other caller; nothing is written either way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Category, Product
from core.clock import shanghai_date
from core.models import Region, User
from tests.conftest import row_count
from traceability import errors
from traceability.batches.rules import COMMITMENTS, normal_quarantine_number
from traceability.batches.services import (
    BatchData,
    ComplianceData,
    create_batch,
    issue_compliance_certificate,
)
from traceability.models import Batch, ComplianceBasis

TABLES = ("traceability_batch", "traceability_event", "traceability_compliance_certificate")


@pytest.fixture()
def owner(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture()
def yak(owner: User, make_producer: Callable[..., Producer], make_product: Callable[..., Product]) -> Product:
    producer = make_producer(owner=owner, county_code="653131")
    return make_product(producer, name="有机牦牛肉", category=Category.MEAT)


@pytest.fixture()
def town(region: Callable[[str], Region]) -> Region:
    return sorted(region("653131").children, key=lambda r: r.code or "")[0]


def counts(db: Session) -> tuple[int, ...]:
    return tuple(row_count(db, table) for table in TABLES)


def english(client: FlaskClient) -> FlaskClient:
    client.post("/language", data={"locale": "en"})
    return client


def shows(response: Any, message: object) -> bool:
    return str(escape(str(message))) in response.get_data(as_text=True)


def meat_form(product: Product, origin: Region, **overrides: Any) -> dict[str, Any]:
    today = shanghai_date()
    return {
        "product_id": str(product.id),
        "quantity": "40",
        "produced_on": (today - timedelta(days=1)).isoformat(),
        "best_before": (today + timedelta(days=10)).isoformat(),
        "origin_id": str(origin.id),
        "slaughterhouse": "塔什库尔干县定点屠宰场",
        "origin_quarantine_no": "6531310012345",
        "slaughter_quarantine_no": "6531310067890",
        "with_certificate": "y",
        "basis": "quality_control",
        "contact_phone": "13912345678",
        "issued_on": today.isoformat(),
        "commitments": list(COMMITMENTS),
    } | overrides


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("6531310012345", "6531310012345"),
        ("No. 6531 3100 12345", "6531310012345"),
        ("６５３１３１００１２", "6531310012"),  # full-width digits, as some input methods type them
        ("6531-3100-1234-5678-90", "65313100123456789" + "0"),
    ],
)
def test_quarantine_numbers_are_digits_as_printed(typed: str, stored: str) -> None:
    assert normal_quarantine_number(typed) == stored


@pytest.mark.parametrize(
    "typed", ["abc", "123", "65313100123456789012345", "6531310O12345", "检疫12345678901"]
)
def test_what_cannot_be_a_quarantine_number_is_refused(typed: str) -> None:
    with pytest.raises(errors.InvalidQuarantineNumber):
        normal_quarantine_number(typed)


@pytest.mark.parametrize("field", ["origin_quarantine_no", "slaughter_quarantine_no"])
def test_the_batch_form_refuses_abc_as_a_quarantine_number(
    field: str,
    as_user: Callable[[User | None], FlaskClient],
    owner: User,
    yak: Product,
    town: Region,
    db: Session,
) -> None:
    client = english(as_user(owner))
    before = counts(db)
    refused = client.post("/producer/batches/new", data=meat_form(yak, town, **{field: "abc"}))
    assert refused.status_code == 400 and shows(refused, errors.InvalidQuarantineNumber.message)
    assert counts(db) == before
    accepted = client.post(
        "/producer/batches/new", data=meat_form(yak, town, **{field: "No. 6531 3100 99999"})
    )
    assert accepted.status_code == 302
    batch = db.scalar(select(Batch).where(Batch.product_id == yak.id))
    assert batch is not None and getattr(batch, field) == "6531310099999"


def test_the_service_refuses_it_for_every_caller(
    owner: User, yak: Product, town: Region, db: Session
) -> None:
    today = shanghai_date()
    data = BatchData(
        10,
        today,
        today + timedelta(days=9),
        town,
        slaughterhouse="定点屠宰场",
        origin_quarantine_no="abc",
        slaughter_quarantine_no="6531310067890",
    )
    before = counts(db)
    with pytest.raises(errors.InvalidQuarantineNumber):
        create_batch(db, owner, yak, data)
    assert counts(db) == before


@pytest.mark.parametrize("ticked", [COMMITMENTS[:1], COMMITMENTS[:3], []], ids=["one", "three", "none"])
def test_a_certificate_with_fewer_than_four_commitments_is_refused(
    ticked: tuple[str, ...],
    as_user: Callable[[User | None], FlaskClient],
    owner: User,
    yak: Product,
    town: Region,
    make_batch: Callable[..., Batch],
    db: Session,
) -> None:
    client = english(as_user(owner))
    before = counts(db)
    message = errors.CommitmentsIncomplete.message
    refused = client.post("/producer/batches/new", data=meat_form(yak, town, commitments=list(ticked)))
    assert refused.status_code == 400 and shows(refused, message)
    assert counts(db) == before
    batch = make_batch(yak, compliance=False)
    later = {k: v for k, v in meat_form(yak, town).items() if k in ("basis", "issued_on", "contact_phone")}
    refused_later = client.post(
        f"/producer/batches/{batch.id}/certificate", data=later | {"commitments": list(ticked)}
    )
    assert refused_later.status_code == 400 and shows(refused_later, message)
    db.expire_all()
    assert batch.compliance is None


def test_the_service_wants_all_four_commitments_too(
    owner: User, yak: Product, make_batch: Callable[..., Batch], db: Session
) -> None:
    batch = make_batch(yak, compliance=False)
    partial = ComplianceData(
        ComplianceBasis.QUALITY_CONTROL, "13912345678", shanghai_date(), commitments=[COMMITMENTS[0]]
    )
    with pytest.raises(errors.CommitmentsIncomplete):
        issue_compliance_certificate(db, owner, batch, partial)
    forged = ComplianceData(
        ComplianceBasis.QUALITY_CONTROL, "13912345678", shanghai_date(), commitments=[*COMMITMENTS, "其他"]
    )
    with pytest.raises(errors.CommitmentsIncomplete):
        issue_compliance_certificate(db, owner, batch, forged)
    assert batch.compliance is None
    issue_compliance_certificate(
        db, owner, batch, ComplianceData(ComplianceBasis.QUALITY_CONTROL, "13912345678", shanghai_date())
    )
    assert batch.compliance is not None and batch.compliance.commitments == list(COMMITMENTS)
