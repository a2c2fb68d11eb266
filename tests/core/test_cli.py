"""The command-line tasks an operator runs: migrate, seed the demo, create an administrator."""

from __future__ import annotations

from collections import Counter

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.models import User
from shop.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD


def test_init_db_is_safe_to_repeat(app: Flask, db: Session) -> None:
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "0 regions added" in result.output


def test_seed_demo_creates_every_role_once(app: Flask, db: Session) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--history-months", "0"])  # the history has its own tests
    assert first.exit_code == 0, first.output
    assert DEMO_PASSWORD in first.output
    count = db.scalar(select(func.count(User.id)))
    second = runner.invoke(args=["seed-demo", "--history-months", "0"])
    assert second.exit_code == 0
    assert db.scalar(select(func.count(User.id))) == count
    users = {
        u.email: u for u in db.scalars(select(User).where(User.email.in_([a.email for a in DEMO_ACCOUNTS])))
    }
    roles = {a.role for a in DEMO_ACCOUNTS}
    assert roles == {"admin", "reviewer", "producer", "institution", "consumer"}
    assert users["admin@demo.bangfu.cn"].is_admin
    assert [c.code for c in users["reviewer.shule@demo.bangfu.cn"].reviewer_counties] == ["653122"]
    assert users["producer@demo.bangfu.cn"].producer_memberships
    assert users["buyer@demo.bangfu.cn"].institution_memberships
    assert all(u.check_password(DEMO_PASSWORD) for u in users.values())
    # issue 16: dozens of products, every county with ten or more, over at least five categories
    products = db.scalars(select(Product)).all()
    assert len(products) >= 36
    per_county = Counter(p.producer.county.code for p in products)
    assert all(per_county[code] >= 10 for code in ("653122", "653131", "500229")), per_county
    assert len({p.category for p in products}) >= 5


def test_create_admin(app: Flask, db: Session) -> None:
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "Boss@Example.test", "--password", "admin-password-1"]
    )
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.email == "boss@example.test"))
    assert user is not None and user.is_admin and user.check_password("admin-password-1")


def test_create_admin_refuses_weak_password(app: Flask, db: Session) -> None:
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "weak@example.test", "--password", "x"]
    )
    assert result.exit_code != 0
    assert db.scalar(select(User).where(User.email == "weak@example.test")) is None
