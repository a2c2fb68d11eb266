"""Fixtures for procurement tests: a verified institution with a buyer and an approver, two producers with
certified products (one with quantity tiers and a minimum order), and a ``submit`` helper."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import PriceTier, Product
from core.clock import shanghai_date
from core.models import User
from orders.addresses import Address
from procurement.institutions.models import Institution, InstitutionMember, InstitutionRole
from procurement.ordering.models import FundingSource, PurchaseOrder
from procurement.ordering.services import Delivery, PurchaseLineInput, submit_purchase_order
from tests.settlement.support import give_payee

ADDRESS = Address(
    recipient="王食堂",
    mobile="13912345678",
    province_code="370000",
    city="临沂市",
    district="兰山区",
    detail="北京路 1 号机关食堂",
)


@dataclass
class ProcurementWorld:
    """Who and what a procurement test starts from."""

    institution: Institution
    buyer: User
    approver: User
    finance: User
    shule: Producer
    chengkou: Producer
    shule_owner: User
    chengkou_owner: User
    tomatoes: Product  # Shule, 6.00/kg, 5.00 from 100 kg, 4.50 from 500 kg, MOQ 50
    pork: Product  # Chengkou, 98.00/kg, MOQ 1


@pytest.fixture()
def pw(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_institution: Callable[..., Institution],
) -> ProcurementWorld:
    """A verified institution (buyer, approver, finance) and two producers with certified products and
    verified payee accounts."""
    buyer, approver, finance = make_user(name="采购员"), make_user(name="审批人"), make_user(name="财务")
    institution = make_institution(buyer, role=InstitutionRole.BUYER)
    institution.members.append(InstitutionMember(user=approver, role=InstitutionRole.APPROVER))
    institution.members.append(InstitutionMember(user=finance, role=InstitutionRole.FINANCE))
    shule_owner, chengkou_owner = make_user(name="疏勒社长"), make_user(name="城口老板")
    shule = make_producer(shule_owner, county_code="653122", name="疏勒县测试蔬菜合作社")
    chengkou = make_producer(chengkou_owner, county_code="500229", name="城口县测试腊肉厂")
    tomatoes = make_product(shule, name="测试西红柿", price_fen=600, certified=True, institution_moq=50)
    tomatoes.tiers.extend(
        [PriceTier(min_quantity=100, unit_price_fen=500), PriceTier(min_quantity=500, unit_price_fen=450)]
    )
    pork = make_product(chengkou, name="测试老腊肉", price_fen=9800, certified=True)
    for producer in (shule, chengkou):  # institutions pay only into an account the county verified
        give_payee(db, producer)
    db.flush()
    return ProcurementWorld(
        institution, buyer, approver, finance, shule, chengkou, shule_owner, chengkou_owner, tomatoes, pork
    )


@pytest.fixture()
def submit(db: Session, pw: ProcurementWorld) -> Callable[..., PurchaseOrder]:
    """``submit({product: qty}, buyer=..., key=..., funding=...)`` → a purchase order (the real service)."""

    def do(lines: dict[Product, int], **kwargs: Any) -> PurchaseOrder:
        return submit_purchase_order(
            db,
            kwargs.get("buyer", pw.buyer),
            kwargs.get("institution", pw.institution),
            [PurchaseLineInput(product.id, quantity) for product, quantity in lines.items()],
            Delivery(ADDRESS, shanghai_date() + timedelta(days=kwargs.get("days", 7))),
            kwargs.get("funding", FundingSource.BUDGET),
            kwargs.get("key") or secrets.token_urlsafe(16),
        )

    return do
