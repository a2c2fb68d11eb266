"""Demo data: regions, one account per role, and organisations for them to belong to.

Idempotent: running it twice changes nothing the second time. Services only; the CLI commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import MemberRole, Producer, ProducerKind, ProducerMember, ProducerStatus
from core import accounts
from core.models import User
from core.regions import get_region, seed_regions
from shop.procurement.models import Institution, InstitutionKind, InstitutionMember, InstitutionRole

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 (printed on purpose: these accounts exist only in demos)


@dataclass(frozen=True)
class DemoAccount:
    """One demo login and the role it shows."""

    role: str
    email: str
    name: str


DEMO_ACCOUNTS = (
    DemoAccount("admin", "admin@demo.bangfu.cn", "平台管理员"),
    DemoAccount("reviewer", "reviewer.shule@demo.bangfu.cn", "疏勒县乡村振兴局审核员"),
    DemoAccount("reviewer", "reviewer.tashkurgan@demo.bangfu.cn", "塔县乡村振兴局审核员"),
    DemoAccount("reviewer", "reviewer.chengkou@demo.bangfu.cn", "城口县乡村振兴局审核员"),
    DemoAccount("producer", "producer@demo.bangfu.cn", "疏勒蔬菜合作社 负责人"),
    DemoAccount("institution", "buyer@demo.bangfu.cn", "临沂市机关食堂 采购员"),
    DemoAccount("consumer", "consumer@demo.bangfu.cn", "张晓梅"),
)

REVIEWER_COUNTIES = {
    "reviewer.shule@demo.bangfu.cn": "653122",
    "reviewer.tashkurgan@demo.bangfu.cn": "653131",
    "reviewer.chengkou@demo.bangfu.cn": "500229",
}


def _account(session: Session, demo: DemoAccount) -> User:
    user = accounts.find_user_by_email(session, demo.email)
    if user is None:
        user = accounts.register_user(
            session, email=demo.email, password=DEMO_PASSWORD, display_name=demo.name
        )
    return user


def seed_demo(session: Session) -> list[DemoAccount]:
    """Create the regions, the demo accounts and their organisations; return the accounts. Does not commit."""
    seed_regions(session)
    users = {demo.email: _account(session, demo) for demo in DEMO_ACCOUNTS}
    users["admin@demo.bangfu.cn"].is_admin = True
    for email, code in REVIEWER_COUNTIES.items():
        county = get_region(session, code)
        if county is not None and county not in users[email].reviewer_counties:
            users[email].reviewer_counties.append(county)

    shule = get_region(session, "653122")
    producer = session.scalar(select(Producer).where(Producer.name == "疏勒县绿源蔬菜种植农民专业合作社"))
    if producer is None and shule is not None:
        producer = Producer(
            name="疏勒县绿源蔬菜种植农民专业合作社",
            kind=ProducerKind.COOPERATIVE,
            status=ProducerStatus.APPROVED,
            county=shule,
        )
        producer.members.append(ProducerMember(user=users["producer@demo.bangfu.cn"], role=MemberRole.OWNER))
        session.add(producer)

    institution = session.scalar(select(Institution).where(Institution.name == "临沂市直机关事务服务中心"))
    if institution is None:
        institution = Institution(
            name="临沂市直机关事务服务中心", kind=InstitutionKind.BUDGET_UNIT, is_verified=True
        )
        institution.members.append(
            InstitutionMember(user=users["buyer@demo.bangfu.cn"], role=InstitutionRole.BUYER)
        )
        session.add(institution)
    session.flush()
    return list(DEMO_ACCOUNTS)
