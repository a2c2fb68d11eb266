"""Staff purchases: a consumer links their shop purchases to their verified employer, and unlinks."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product
from catalog.validators import CreditCodeLengthError
from core.models import User
from orders.addresses import Address
from orders.cart.checkout import place_checkout
from orders.models import Order, PaymentMethod
from procurement.institutions.models import Institution, InstitutionStatus, StaffLink
from tests.access_rows.institutions import credit_code, in_english
from tests.conftest import row_count
from traceability.models import Batch

ADDRESS = Address(
    recipient="李娜",
    mobile="13812345678",
    province_code="370000",
    city="临沂市",
    district="兰山区",
    detail="沂蒙路 9 号",
)


@pytest.fixture()
def employee(make_user: Callable[..., User]) -> User:
    """A consumer who works for an institution."""
    return make_user(name="李娜")


@pytest.fixture()
def employer(db: Session, make_institution: Callable[..., Institution]) -> Institution:
    """A verified institution with a credit code."""
    institution = make_institution()
    institution.credit_code = credit_code()
    db.flush()
    return institution


@pytest.fixture()
def client(as_user: Callable[[User | None], FlaskClient], employee: User) -> FlaskClient:
    """The employee's browser, in English."""
    return in_english(as_user(employee))


def _link(db: Session, user: User) -> StaffLink | None:
    db.expire_all()
    return db.scalar(select(StaffLink).where(StaffLink.user_id == user.id))


def test_linking_by_credit_code_and_unlinking(
    db: Session, client: FlaskClient, employee: User, employer: Institution
) -> None:
    response = client.post(
        "/institution/staff-link", data={"credit_code": f" {employer.credit_code.lower()} "}
    )
    assert response.status_code == 302
    link = _link(db, employee)
    assert link is not None and link.institution_id == employer.id
    assert f"Your purchases count toward {employer.name}." in client.get("/institution/staff-link").get_data(
        as_text=True
    )

    assert client.post("/institution/staff-link/remove").status_code == 302
    assert _link(db, employee) is None
    assert client.post("/institution/staff-link/remove").status_code == 302  # twice is harmless


def test_linking_again_switches_employer(
    db: Session,
    client: FlaskClient,
    employee: User,
    employer: Institution,
    make_institution: Callable[..., Institution],
) -> None:
    new_employer = make_institution()
    new_employer.credit_code = credit_code()
    db.flush()
    client.post("/institution/staff-link", data={"credit_code": employer.credit_code})
    client.post("/institution/staff-link", data={"credit_code": new_employer.credit_code})
    link = _link(db, employee)
    assert link is not None and link.institution_id == new_employer.id
    assert row_count(db, "shop_staff_link") == 1


def test_an_invalid_code_shows_the_validators_message(db: Session, client: FlaskClient) -> None:
    response = client.post("/institution/staff-link", data={"credit_code": "12345"})
    assert response.status_code == 400
    assert str(CreditCodeLengthError(count=5)) in response.get_data(as_text=True)
    assert row_count(db, "shop_staff_link") == 0


@pytest.mark.parametrize("status", [None, InstitutionStatus.PENDING, InstitutionStatus.SUSPENDED])
def test_only_verified_institutions_can_be_linked(
    db: Session, client: FlaskClient, employer: Institution, status: InstitutionStatus | None
) -> None:
    code = employer.credit_code if status is not None else credit_code()  # None: nobody has the code
    if status is not None:
        employer.status = status
        db.flush()
    response = client.post("/institution/staff-link", data={"credit_code": code})
    assert response.status_code == 404
    assert "No verified institution is registered with this credit code." in response.get_data(as_text=True)
    assert row_count(db, "shop_staff_link") == 0


@pytest.fixture()
def product(
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> Product:
    """A certified product in stock."""
    item = make_product(make_producer(owner=make_user()), certified=True, price_fen=1500)
    make_batch(item, quantity=20)
    return item


def test_orders_placed_while_linked_count_toward_the_employer(
    db: Session, client: FlaskClient, employee: User, employer: Institution, product: Product
) -> None:
    client.post("/institution/staff-link", data={"credit_code": employer.credit_code})
    db.expire_all()
    linked = place_checkout(
        db, employee, {product.id: 1}, ADDRESS, PaymentMethod.BANK_TRANSFER, "staff-key-linked-0001"
    )
    assert [order.staff_institution_id for order in linked.orders] == [employer.id]

    client.post("/institution/staff-link/remove")
    db.expire_all()
    later = place_checkout(
        db, employee, {product.id: 1}, ADDRESS, PaymentMethod.BANK_TRANSFER, "staff-key-unlinked-01"
    )
    assert [order.staff_institution_id for order in later.orders] == [None]
    first = db.scalars(select(Order).where(Order.checkout_id == linked.id)).one()
    assert first.staff_institution_id == employer.id  # unlinking does not rewrite the past


def test_a_suspended_employer_stops_counting_new_orders(
    db: Session, employee: User, employer: Institution, product: Product
) -> None:
    db.add(StaffLink(user_id=employee.id, institution_id=employer.id))
    employer.status = InstitutionStatus.SUSPENDED
    db.flush()
    checkout = place_checkout(
        db, employee, {product.id: 1}, ADDRESS, PaymentMethod.BANK_TRANSFER, "staff-key-suspended-1"
    )
    assert [order.staff_institution_id for order in checkout.orders] == [None]
