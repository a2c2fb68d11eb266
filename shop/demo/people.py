"""The demo's other people: shoppers of the partner cities (some buying as staff of the Linyi office) and one
account for each approved seller that has none, so that every order can be shipped, paid and rated through
the services."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from catalog.producers.models import MemberRole, Producer, ProducerMember, ProducerStatus
from core import accounts
from core.db import utcnow
from core.models import User
from orders.addresses import Address
from procurement.staff.services import link_staff, staff_link_of
from shop.demo.catalog import DEMO_PRODUCERS
from shop.demo.sales import ADDRESS


@dataclass(frozen=True)
class Shopper:
    """A demo buyer, where goods go, and whether their purchases count toward the Linyi office (职工个人)."""

    email: str
    name: str
    address: Address
    is_linyi_staff: bool = False


SHOPPERS = (
    Shopper("consumer@demo.bangfu.cn", "张晓梅", ADDRESS),  # the demo consumer's own account
    Shopper(
        "wang.lihua@demo.bangfu.cn",
        "王丽华",
        Address("王丽华", "13953911021", "370000", "临沂市", "兰山区", "通达路 8 号 市直机关宿舍 3-201"),
        True,
    ),
    Shopper(
        "li.jianjun@demo.bangfu.cn",
        "李建军",
        Address("李建军", "13869902245", "370000", "临沂市", "罗庄区", "沂河路 126 号"),
        True,
    ),
    Shopper(
        "chen.siyuan@demo.bangfu.cn",
        "陈思远",
        Address("陈思远", "13823456710", "440000", "深圳市", "福田区", "福华路 38 号 福田大厦 12 楼"),
    ),
    Shopper(
        "liu.fang@demo.bangfu.cn",
        "刘芳",
        Address("刘芳", "13708361552", "500000", "重庆市", "九龙坡区", "杨家坪正街 21 号"),
    ),
    Shopper(
        "zhao.ming@demo.bangfu.cn",
        "赵明",
        Address("赵明", "13999037718", "650000", "克拉玛依市", "独山子区", "大庆东路 5 号"),
    ),
    Shopper(
        "sun.xiaoyan@demo.bangfu.cn",
        "孙晓燕",
        Address("孙晓燕", "13561228830", "370000", "济南市", "历下区", "泉城路 180 号"),
    ),
)


def _user(session: Session, email: str, name: str, password: str) -> User:
    """The demo user with ``email``, created (confirmed) if missing."""
    user = accounts.find_user_by_email(session, email)
    if user is None:
        user = accounts.register_user(
            session, email=email, password=password, display_name=name, verified=True
        )
    user.email_verified_at = user.email_verified_at or utcnow()
    return user


def seed_shoppers(session: Session, password: str, linyi_credit_code: str) -> list[tuple[Shopper, User]]:
    """Create the missing shoppers; link the Linyi staff to their employer. Does not commit."""
    found = []
    for shopper in SHOPPERS:
        user = _user(session, shopper.email, shopper.name, password)
        session.flush()
        if shopper.is_linyi_staff and staff_link_of(session, user) is None:
            link_staff(session, user, linyi_credit_code)
        found.append((shopper, user))
    return found


def seed_sellers(session: Session, producers: list[Producer], password: str) -> dict[int, User]:
    """The user who acts for each approved demo producer (its owner, or a new staff account named after its
    contact person when it has no member yet), by producer id. Does not commit."""
    sellers: dict[int, User] = {}
    specs = {spec.name: (number, spec) for number, spec in enumerate(DEMO_PRODUCERS, start=1)}
    for producer in producers:
        if producer.status is not ProducerStatus.APPROVED:
            continue
        if not producer.members and producer.name in specs:
            number, spec = specs[producer.name]
            name = f"{spec.contact_name or producer.name}（{producer.name}）"[:80]
            user = _user(session, f"seller{number:02d}@demo.bangfu.cn", name, password)
            producer.members.append(ProducerMember(user=user, role=MemberRole.STAFF))
            session.flush()
        if producer.members:
            sellers[producer.id] = producer.members[0].user
    return sellers
