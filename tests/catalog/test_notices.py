"""Producers are told the county's decisions (registration, certificates) in their own language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.certification import services as certs
from catalog.certification.reminders import REMINDER_KIND, remind_expiring
from catalog.notices import APPLICATION_KIND, CERTIFICATE_KIND, PRODUCER_KIND, REGISTRATION_KIND
from catalog.producers.models import MemberRole, Producer, ProducerMember, ProducerStatus
from catalog.producers.services import decide_producer, register_producer
from catalog.products.models import Product
from core.clock import shanghai_date
from core.models import Region, User
from core.notifications.models import Notification
from tests.catalog.test_producers import registration


def messages(db: Session, user: User, kind: str) -> list[Notification]:
    """``user``'s messages of ``kind``, oldest first."""
    query = select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
    return list(db.scalars(query.order_by(Notification.id)))


def test_every_member_hears_the_registration_decisions_in_their_own_language(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    region: Callable[[str], Region],
) -> None:
    owner, helper = make_user(name="阿依古丽"), make_user(name="Helper")
    helper.locale = "en"
    producer = make_producer(owner=owner, status=ProducerStatus.PENDING, name="疏勒县红枣合作社")
    producer.members.append(ProducerMember(user=helper, role=MemberRole.STAFF))
    db.flush()
    reviewer = make_user(counties=[region("653122")])
    decide_producer(db, reviewer, producer, "reject", "营业执照照片看不清")
    [refused] = messages(db, owner, PRODUCER_KIND)
    assert "疏勒县红枣合作社" in refused.subject and "营业执照照片看不清" in refused.body
    assert refused.link == f"/producer/{producer.id}"
    [in_english] = messages(db, helper, PRODUCER_KIND)
    assert in_english.subject == "疏勒县红枣合作社 was not approved"
    decide_producer(db, reviewer, producer, "approve", None)
    assert [m.data["action"] for m in messages(db, owner, PRODUCER_KIND)] == ["reject", "approve"]
    assert messages(db, reviewer, PRODUCER_KIND) == []  # the reviewer decided: nothing to tell them


def test_the_producer_hears_a_certificate_granted_refused_and_revoked(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    region: Callable[[str], Region],
) -> None:
    owner = make_user()
    owner.locale = "en"
    product = make_product(make_producer(owner=owner), name="塔县牦牛肉")
    reviewer = make_user(counties=[region("653122")])
    today = shanghai_date()
    refused = certs.apply_for_certification(db, owner, product)
    certs.reject(db, reviewer, refused, "缺少检测报告")
    granted = certs.apply_for_certification(db, owner, product)
    certs.certify(db, reviewer, granted, "XFBF-N-1", "疏勒县乡村振兴局", today, today + timedelta(days=30))
    certs.revoke(db, reviewer, granted, "抽检不合格")
    told = messages(db, owner, CERTIFICATE_KIND)
    assert [m.data["status"] for m in told] == ["rejected", "certified", "revoked"]
    assert told[0].subject == "Certification of 塔县牦牛肉 was refused" and "缺少检测报告" in told[0].body
    assert "XFBF-N-1" in told[1].body and str(today + timedelta(days=30)) in told[1].body
    assert told[2].subject == "The certificate of 塔县牦牛肉 was revoked" and "抽检不合格" in told[2].body
    assert {m.link for m in told} == {f"/producer/products/{product.id}#certification-heading"}


def test_a_certificate_about_to_end_is_reminded_once_unless_it_is_being_renewed(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    region: Callable[[str], Region],
) -> None:
    owner = make_user()
    owner.locale = "en"
    producer = make_producer(owner=owner)
    reviewer = make_user(counties=[region("653122")])
    today = shanghai_date()
    certificates = {}
    for name, days in (("十天后到期", 10), ("四十天后到期", 40), ("已在续期", 5)):
        product = make_product(producer, name=name)
        cert = certs.apply_for_certification(db, owner, product)
        number = f"XFBF-R-{days}"
        certs.certify(db, reviewer, cert, number, "疏勒县乡村振兴局", today, today + timedelta(days=days))
        certificates[name] = cert
    certs.apply_for_certification(db, owner, certificates["已在续期"].product)  # renewing already

    reminded = remind_expiring(db, today=today)
    assert [c.id for c in reminded] == [certificates["十天后到期"].id]
    [told] = messages(db, owner, REMINDER_KIND)
    assert told.subject == f"The certificate of 十天后到期 ends on {today + timedelta(days=10)}"
    assert remind_expiring(db, today=today) == []  # once
    later = remind_expiring(db, today=today + timedelta(days=15))  # the forty-day one is now within 30
    assert [c.id for c in later] == [certificates["四十天后到期"].id]
    assert len(messages(db, owner, REMINDER_KIND)) == 2


def test_the_reminder_command_runs_and_reports(app: Flask, db: Session) -> None:
    result = app.test_cli_runner().invoke(args=["catalog", "remind-expiring"])
    assert result.exit_code == 0, result.output
    assert "certificates reminded" in result.output


def test_the_county_reviewers_hear_of_a_registration_and_of_an_application(
    db: Session,
    make_user: Callable[..., User],
    make_product: Callable[..., Product],
    region: Callable[[str], Region],
) -> None:
    reviewer, elsewhere = make_user(counties=[region("653122")]), make_user(counties=[region("500229")])
    reviewer.locale = "en"
    owner = make_user()
    producer = register_producer(db, owner, registration())
    [registered] = messages(db, reviewer, REGISTRATION_KIND)
    assert registered.subject == f"{producer.name} registered and waits for review"
    assert registered.link == f"/review/producers/{producer.id}"
    decide_producer(db, reviewer, producer, "approve", None)
    product = make_product(producer, name="疏勒县番茄")
    cert = certs.apply_for_certification(db, owner, product)
    [applied] = messages(db, reviewer, APPLICATION_KIND)
    assert applied.subject == "疏勒县番茄 applies for certification"
    assert applied.link == f"/review/certifications/{cert.id}"
    assert messages(db, elsewhere, REGISTRATION_KIND) == messages(db, elsewhere, APPLICATION_KIND) == []
