"""Product certification (消费帮扶产品认定): apply, certify, validity by date, reject, revoke, audit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.certification import services as certs
from catalog.producers.models import Producer, ProducerStatus
from catalog.products.models import CertificationStatus, Product
from core.audit.services import AuditEntry
from core.clock import shanghai_date
from core.errors import InvalidTransition, PermissionDenied
from core.models import Region, User
from tests.conftest import make_certificate, row_count

MakeUser = Callable[..., User]
MakeProducer = Callable[..., Producer]
MakeProduct = Callable[..., Product]
AsUser = Callable[[User | None], FlaskClient]


@pytest.fixture()
def owner(make_user: MakeUser) -> User:
    """The owner of the product's producer."""
    return make_user(name="合作社社长")


@pytest.fixture()
def product(make_producer: MakeProducer, make_product: MakeProduct, owner: User) -> Product:
    """An uncertified product of an approved 疏勒县 cooperative."""
    return make_product(make_producer(owner=owner), name="疏勒县鲜番茄")


@pytest.fixture()
def reviewer(make_user: MakeUser, region: Callable[[str], Region]) -> User:
    """Reviewer of 疏勒县 only."""
    return make_user(name="疏勒审核员", counties=[region("653122")])


def decision(**overrides: str) -> dict[str, str]:
    """A complete certify form, valid from 30 days ago for a year."""
    today = shanghai_date()
    data = {
        "certificate_no": "XFBF-653122-2026-0001",
        "authority": "疏勒县乡村振兴局",
        "valid_from": (today - timedelta(days=30)).isoformat(),
        "valid_to": (today + timedelta(days=335)).isoformat(),
    }
    return data | overrides


def audit_actions(db: Session) -> list[str]:
    """Actions in the audit log, oldest first."""
    return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# --- the happy path ---------------------------------------------------------------------------------


def test_apply_then_certify_shows_the_badge(
    as_user: AsUser, owner: User, reviewer: User, product: Product, db: Session
) -> None:
    today = shanghai_date()
    assert certs.certificate_state(product, today) == "none"
    assert as_user(owner).post(f"/producer/products/{product.id}/certification").status_code == 302
    db.expire_all()
    [cert] = product.certifications
    assert cert.status == CertificationStatus.APPLIED and cert.applied_by_id == owner.id
    assert certs.certificate_state(product, today) == "applied"
    assert product.valid_certificate_on(today) is None

    queue = as_user(reviewer).get("/review/certifications/").get_data(as_text=True)
    assert "疏勒县鲜番茄" in queue and f"/review/certifications/{cert.id}" in queue
    assert as_user(reviewer).get(f"/review/certifications/{cert.id}").status_code == 200
    response = as_user(reviewer).post(f"/review/certifications/{cert.id}/certify", data=decision())
    assert response.status_code == 302
    db.expire_all()
    assert cert.status == CertificationStatus.CERTIFIED
    assert (cert.certificate_no, cert.authority, cert.decided_by_id) == (
        "XFBF-653122-2026-0001",
        "疏勒县乡村振兴局",
        reviewer.id,
    )
    assert product.valid_certificate_on(today) is cert
    assert certs.certificate_state(product, today) == "certified"
    page = as_user(owner).get(f"/producer/products/{product.id}").get_data(as_text=True)
    assert "XFBF-653122-2026-0001" in page and "badge-ok" in page


def test_every_step_is_audited_with_before_after_and_county(
    owner: User, reviewer: User, product: Product, db: Session
) -> None:
    today = shanghai_date()
    cert = certs.apply_for_certification(db, owner, product)
    certs.certify(db, reviewer, cert, "XFBF-A-1", "疏勒县乡村振兴局", today, today + timedelta(days=364))
    certs.revoke(db, reviewer, cert, "抽检不合格")
    entries = list(
        db.scalars(select(AuditEntry).where(AuditEntry.subject_id == cert.id).order_by(AuditEntry.id))
    )
    assert [e.action for e in entries] == [
        "certification.apply",
        "certification.certify",
        "certification.revoke",
    ]
    assert {e.subject_type for e in entries} == {"certification"}
    assert {e.region_code for e in entries} == {"653122"}
    apply, certify, revoke = entries
    assert apply.actor_id == owner.id and apply.after is not None and apply.after["status"] == "applied"
    assert certify.actor_id == reviewer.id
    assert certify.before is not None and certify.before["status"] == "applied"
    assert certify.after is not None and certify.after["certified_name"] == product.name  # vouched for
    step = {k: v for k, v in certify.after.items() if not k.startswith("certified_")}
    assert step == {
        "status": "certified",
        "certificate_no": "XFBF-A-1",
        "authority": "疏勒县乡村振兴局",
        "valid_from": today.isoformat(),
        "valid_to": (today + timedelta(days=364)).isoformat(),
        "reason": None,
    }
    assert revoke.before == step
    assert (
        revoke.after is not None
        and revoke.after["status"] == "revoked"
        and revoke.after["reason"] == "抽检不合格"
    )


def test_admin_may_decide_in_any_county(
    make_user: MakeUser, make_producer: MakeProducer, make_product: MakeProduct, db: Session
) -> None:
    owner = make_user()
    product = make_product(make_producer(owner=owner, county_code="500229"))
    cert = certs.apply_for_certification(db, owner, product)
    admin = make_user(is_admin=True)
    today = shanghai_date()
    certs.certify(db, admin, cert, "XFBF-500229-1", "城口县乡村振兴局", today, today)
    assert product.valid_certificate_on(today) is cert


# --- validity by date -------------------------------------------------------------------------------


def test_certificate_ended_yesterday_is_no_longer_valid(product: Product, db: Session) -> None:
    today = shanghai_date()
    cert = make_certificate(
        db, product, valid_from=today - timedelta(days=400), valid_to=today - timedelta(days=1)
    )
    assert not cert.is_valid_on(today)
    assert product.valid_certificate_on(today) is None
    assert certs.certificate_state(product, today) == "expired"
    assert certs.certificate_state(product, today - timedelta(days=1)) == "expiring"


def test_last_day_of_validity_counts_in_shanghai_time(product: Product, db: Session) -> None:
    end = date(2026, 3, 1)
    cert = make_certificate(db, product, valid_from=date(2025, 3, 2), valid_to=end)
    # 23:30 on 1 March in Shanghai is 15:30 UTC: still the last valid day
    late_evening = shanghai_date(datetime(2026, 3, 1, 15, 30, tzinfo=UTC))
    assert late_evening == end and product.valid_certificate_on(late_evening) is cert
    # 17:00 UTC on 1 March is already 01:00 on 2 March in Shanghai: expired, although UTC still says 1 March
    after_midnight = shanghai_date(datetime(2026, 3, 1, 17, 0, tzinfo=UTC))
    assert after_midnight == date(2026, 3, 2) and product.valid_certificate_on(after_midnight) is None
    assert certs.certificate_state(product, after_midnight) == "expired"
    assert product.valid_certificate_on(date(2025, 3, 2)) is cert  # first day inclusive too
    assert product.valid_certificate_on(date(2025, 3, 1)) is None


def test_badge_warns_within_30_days_of_the_end(product: Product, db: Session) -> None:
    today = shanghai_date()
    make_certificate(db, product, valid_to=today + timedelta(days=30))
    assert certs.certificate_state(product, today) == "expiring"
    assert certs.certificate_state(product, today - timedelta(days=1)) == "certified"
    assert certs.certificate_state(product, today + timedelta(days=30)) == "expiring"
    assert certs.certificate_state(product, today + timedelta(days=31)) == "expired"


def test_revoking_stops_validity_at_once(owner: User, reviewer: User, product: Product, db: Session) -> None:
    today = shanghai_date()
    cert = make_certificate(db, product)
    assert product.valid_certificate_on(today) is cert
    certs.revoke(db, reviewer, cert, "农残抽检不合格")
    assert cert.status == CertificationStatus.REVOKED and cert.reason == "农残抽检不合格"
    assert product.valid_certificate_on(today) is None
    assert certs.certificate_state(product, today) == "revoked"


def test_revoke_through_the_desk(as_user: AsUser, reviewer: User, product: Product, db: Session) -> None:
    cert = make_certificate(db, product)
    response = as_user(reviewer).post(f"/review/certifications/{cert.id}/revoke", data={"reason": "停产"})
    assert response.status_code == 302
    db.expire_all()
    assert cert.status == CertificationStatus.REVOKED
    assert product.valid_certificate_on(shanghai_date()) is None


# --- who may apply, and when ------------------------------------------------------------------------


def test_only_members_may_apply(
    as_user: AsUser, make_user: MakeUser, reviewer: User, product: Product, db: Session
) -> None:
    with pytest.raises(PermissionDenied):
        certs.apply_for_certification(db, make_user(), product)
    with pytest.raises(PermissionDenied):
        certs.apply_for_certification(db, reviewer, product)
    assert as_user(make_user()).post(f"/producer/products/{product.id}/certification").status_code == 403
    assert row_count(db, "catalog_certification") == 0


def test_no_second_application_while_one_is_open(
    app: Flask, as_user: AsUser, owner: User, product: Product, db: Session
) -> None:
    certs.apply_for_certification(db, owner, product)
    with pytest.raises(certs.ApplicationOpen):
        certs.apply_for_certification(db, owner, product)
    response = as_user(owner).post(f"/producer/products/{product.id}/certification")
    assert response.status_code == 409
    with app.test_request_context():
        assert str(certs.ApplicationOpen()) in response.get_data(as_text=True)
    assert row_count(db, "catalog_certification") == 1


def test_may_reapply_after_rejection_or_revocation(
    owner: User, reviewer: User, product: Product, db: Session
) -> None:
    first = certs.apply_for_certification(db, owner, product)
    certs.reject(db, reviewer, first, "照片不清楚")
    assert certs.certificate_state(product, shanghai_date()) == "rejected"
    second = certs.apply_for_certification(db, owner, product)
    today = shanghai_date()
    certs.certify(db, reviewer, second, "XFBF-R-1", "疏勒县乡村振兴局", today, today + timedelta(days=300))
    with pytest.raises(certs.StillCertified):
        certs.apply_for_certification(db, owner, product)
    certs.revoke(db, reviewer, second, "抽检不合格")
    third = certs.apply_for_certification(db, owner, product)
    assert third.status == CertificationStatus.APPLIED


def test_renewal_opens_60_days_before_the_end(owner: User, product: Product, db: Session) -> None:
    today = shanghai_date()
    cert = make_certificate(db, product, valid_to=today + timedelta(days=61))
    with pytest.raises(certs.StillCertified) as exc:
        certs.apply_for_certification(db, owner, product)
    assert exc.value.status == 409
    assert (today + timedelta(days=1)).isoformat() in str(exc.value)  # says from when renewal is possible
    cert.valid_to = today + timedelta(days=60)
    renewal = certs.apply_for_certification(db, owner, product)
    assert renewal.status == CertificationStatus.APPLIED
    assert certs.certificate_state(product, today) == "certified"  # the running certificate still counts


def test_expired_product_may_apply_again(owner: User, product: Product, db: Session) -> None:
    today = shanghai_date()
    make_certificate(db, product, valid_from=today - timedelta(days=400), valid_to=today - timedelta(days=1))
    assert certs.apply_for_certification(db, owner, product).status == CertificationStatus.APPLIED


# --- reviewers' rules -------------------------------------------------------------------------------


def test_reviewer_of_another_county_is_refused_and_nothing_changes(
    as_user: AsUser,
    make_user: MakeUser,
    make_producer: MakeProducer,
    make_product: MakeProduct,
    reviewer: User,
    db: Session,
) -> None:
    owner = make_user()
    chengkou = make_product(make_producer(owner=owner, county_code="500229"), name="城口老腊肉")
    application = certs.apply_for_certification(db, owner, chengkou)
    certified = make_certificate(db, make_product(chengkou.producer))
    audits = row_count(db, "core_audit_entry")

    with pytest.raises(PermissionDenied):
        certs.certify(db, reviewer, application, "X-1", "某局", shanghai_date(), shanghai_date())
    client = as_user(reviewer)
    assert client.get(f"/review/certifications/{application.id}").status_code == 403
    assert client.post(f"/review/certifications/{application.id}/certify", data=decision()).status_code == 403
    assert (
        client.post(f"/review/certifications/{application.id}/reject", data={"reason": "x"}).status_code
        == 403
    )
    assert (
        client.post(f"/review/certifications/{certified.id}/revoke", data={"reason": "x"}).status_code == 403
    )
    assert "城口老腊肉" not in client.get("/review/certifications/?status=all").get_data(as_text=True)

    db.expire_all()
    assert application.status == CertificationStatus.APPLIED and application.certificate_no is None
    assert certified.status == CertificationStatus.CERTIFIED
    assert row_count(db, "core_audit_entry") == audits


def test_reversed_dates_are_refused(
    app: Flask, as_user: AsUser, owner: User, reviewer: User, product: Product, db: Session
) -> None:
    cert = certs.apply_for_certification(db, owner, product)
    today = shanghai_date()
    with pytest.raises(certs.InvalidValidity):
        certs.certify(db, reviewer, cert, "X-2", "疏勒县乡村振兴局", today, today - timedelta(days=1))
    with pytest.raises(certs.InvalidValidity):  # would already be over
        certs.certify(
            db,
            reviewer,
            cert,
            "X-2",
            "疏勒县乡村振兴局",
            today - timedelta(days=9),
            today - timedelta(days=1),
        )
    with pytest.raises(certs.InvalidValidity):  # not in force yet
        certs.certify(
            db,
            reviewer,
            cert,
            "X-2",
            "疏勒县乡村振兴局",
            today + timedelta(days=1),
            today + timedelta(days=9),
        )
    form = decision(valid_from=today.isoformat(), valid_to=(today - timedelta(days=3)).isoformat())
    response = as_user(reviewer).post(f"/review/certifications/{cert.id}/certify", data=form)
    assert response.status_code == 400
    with app.test_request_context():
        assert str(certs.InvalidValidity()) in response.get_data(as_text=True)
    db.expire_all()
    assert cert.status == CertificationStatus.APPLIED
    assert audit_actions(db) == ["certification.apply"]


def test_certificate_number_is_unique(
    as_user: AsUser, owner: User, reviewer: User, product: Product, make_product: MakeProduct, db: Session
) -> None:
    taken = make_certificate(db, make_product(product.producer))
    cert = certs.apply_for_certification(db, owner, product)
    today = shanghai_date()
    with pytest.raises(certs.CertificateNumberTaken):
        certs.certify(db, reviewer, cert, f" {taken.certificate_no} ", "疏勒县乡村振兴局", today, today)
    response = as_user(reviewer).post(
        f"/review/certifications/{cert.id}/certify", data=decision(certificate_no=taken.certificate_no or "")
    )
    assert response.status_code == 409
    assert (taken.certificate_no or "") in response.get_data(as_text=True)
    db.expire_all()
    assert cert.status == CertificationStatus.APPLIED


def test_reject_needs_a_reason(
    as_user: AsUser, owner: User, reviewer: User, product: Product, db: Session
) -> None:
    cert = certs.apply_for_certification(db, owner, product)
    with pytest.raises(certs.ReasonRequired):
        certs.reject(db, reviewer, cert, "   ")
    assert (
        as_user(reviewer).post(f"/review/certifications/{cert.id}/reject", data={"reason": ""}).status_code
        == 400
    )
    db.expire_all()
    assert cert.status == CertificationStatus.APPLIED
    assert (
        as_user(reviewer)
        .post(f"/review/certifications/{cert.id}/reject", data={"reason": "缺少检测报告"})
        .status_code
        == 302
    )
    db.expire_all()
    assert (cert.status, cert.reason) == (CertificationStatus.REJECTED, "缺少检测报告")
    page = as_user(owner).get(f"/producer/products/{product.id}").get_data(as_text=True)
    assert "缺少检测报告" in page


def test_decisions_follow_the_state_machine(
    owner: User, reviewer: User, product: Product, db: Session
) -> None:
    today = shanghai_date()
    cert = certs.apply_for_certification(db, owner, product)
    with pytest.raises(InvalidTransition):
        certs.revoke(db, reviewer, cert, "还没认定")
    certs.reject(db, reviewer, cert, "材料不全")
    with pytest.raises(InvalidTransition):
        certs.certify(db, reviewer, cert, "X-3", "疏勒县乡村振兴局", today, today)
    with pytest.raises(InvalidTransition):
        certs.reject(db, reviewer, cert, "再拒一次")


def test_products_of_unapproved_producers_are_not_certified(
    make_user: MakeUser, make_producer: MakeProducer, make_product: MakeProduct, reviewer: User, db: Session
) -> None:
    owner = make_user()
    product = make_product(make_producer(owner=owner, status=ProducerStatus.PENDING))
    cert = certs.apply_for_certification(db, owner, product)  # preparing early is fine
    today = shanghai_date()
    with pytest.raises(certs.ProducerNotApproved):
        certs.certify(db, reviewer, cert, "X-4", "疏勒县乡村振兴局", today, today)
    assert cert.status == CertificationStatus.APPLIED


def test_queue_filters_by_status(
    as_user: AsUser, owner: User, reviewer: User, product: Product, make_product: MakeProduct, db: Session
) -> None:
    certs.apply_for_certification(db, owner, product)
    make_certificate(db, make_product(product.producer, name="疏勒骏枣"))
    open_only = as_user(reviewer).get("/review/certifications/").get_data(as_text=True)
    assert "疏勒县鲜番茄" in open_only and "疏勒骏枣" not in open_only
    certified = as_user(reviewer).get("/review/certifications/?status=certified").get_data(as_text=True)
    assert "疏勒骏枣" in certified and "疏勒县鲜番茄" not in certified


def test_revoked_certificate_still_counted_on_the_days_before(
    db: Session, product: Product, reviewer: User
) -> None:
    today = shanghai_date()
    cert = make_certificate(
        db, product, valid_from=today - timedelta(days=40), valid_to=today + timedelta(days=300)
    )
    certs.revoke(db, reviewer, cert, "抽检不合格")
    assert cert.revoked_at is not None
    assert not cert.is_valid_on(today)
    assert cert.is_valid_on(today - timedelta(days=1))
    assert not cert.is_valid_on(today - timedelta(days=41))
    assert product.valid_certificate_on(today) is None
