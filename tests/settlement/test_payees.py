"""Payee accounts: registered by the producer's members, verified by the county reviewer, every change
re-verified while the old account stays in force, every step audited, numbers masked for everyone else."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import MemberRole, Producer, ProducerMember
from core.audit.services import AuditEntry
from core.models import Region, User
from core.notifications.models import Notification
from settlement.payees.errors import (
    AccountNumberInvalid,
    ChangePending,
    CnapsCodeInvalid,
    NameNoteRequired,
    NotCountyReviewer,
    NothingChanged,
    NotPending,
    NotProducerMember,
    ReasonRequired,
)
from settlement.payees.models import PayeeAccount, PayeeStatus
from settlement.payees.services import (
    PayeeInput,
    in_force,
    reject_account,
    submit_account,
    verify_account,
    withdraw_account,
)

Client = Callable[[User | None], FlaskClient]
NUMBER = "6228 4800 1234 5678 901"


@dataclass
class Payees:
    """A Shule producer with its owner, the county's reviewer, a Chengkou reviewer and an administrator."""

    producer: Producer
    owner: User
    reviewer: User
    other_reviewer: User
    admin: User


@pytest.fixture()
def pe(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    region: Callable[[str], Region],
) -> Payees:
    owner = make_user(name="疏勒社长")
    owner.locale = "en"
    producer = make_producer(owner, name="疏勒县绿源蔬菜种植农民专业合作社")
    reviewer = make_user(name="疏勒审核员", counties=[region("653122")])
    reviewer.locale = "en"
    other = make_user(name="城口审核员", counties=[region("500229")])
    admin = make_user(name="管理员", is_admin=True)
    db.flush()
    return Payees(producer, owner, reviewer, other, admin)


def details(name: str = "疏勒县绿源蔬菜种植农民专业合作社", number: str = NUMBER, **extra: str) -> PayeeInput:
    return PayeeInput(
        account_name=name,
        bank_name=extra.get("bank", "中国农业银行"),
        branch_name=extra.get("branch", "疏勒县支行"),
        account_number=number,
        cnaps_code=extra.get("cnaps"),
        name_note=extra.get("note"),
    )


def audit_actions(db: Session, producer: Producer) -> list[str]:
    ids = select(PayeeAccount.id).where(PayeeAccount.producer_id == producer.id)
    query = select(AuditEntry.action).where(
        AuditEntry.subject_type == "payee_account", AuditEntry.subject_id.in_(ids)
    )
    return list(db.scalars(query.order_by(AuditEntry.id)))


def test_a_member_registers_and_the_county_reviewer_verifies(db: Session, pe: Payees) -> None:
    account = submit_account(db, pe.owner, pe.producer, details())
    assert account.status is PayeeStatus.PENDING and account.version == 1
    assert account.account_number == "6228480012345678901"  # spaces dropped
    assert in_force(db, pe.producer.id) is None  # nothing is paid into it before verification
    told = db.scalars(select(Notification).where(Notification.kind == "payee.submitted")).all()
    assert [n.user_id for n in told] == [pe.reviewer.id]  # the county's reviewer, not Chengkou's
    assert "•••• 8901" in told[0].body and "6228480012345678901" not in told[0].body

    verify_account(db, pe.reviewer, account)
    assert account.status is PayeeStatus.VERIFIED and in_force(db, pe.producer.id) is account
    assert account.decided_by_id == pe.reviewer.id
    [decided] = db.scalars(select(Notification).where(Notification.kind == "payee.decided"))
    assert decided.user_id == pe.owner.id and "verified" in decided.body
    assert audit_actions(db, pe.producer) == ["payee.submit", "payee.verify"]


def test_a_change_needs_verification_again_and_the_old_account_stays_in_force(
    db: Session, pe: Payees
) -> None:
    first = submit_account(db, pe.owner, pe.producer, details())
    verify_account(db, pe.reviewer, first)

    change = submit_account(
        db, pe.owner, pe.producer, details(number="6217 0000 9999 8888 777", bank="中国银行")
    )
    assert change.version == 2 and change.status is PayeeStatus.PENDING
    assert in_force(db, pe.producer.id) is first  # the change is not in force before verification
    with pytest.raises(ChangePending):  # one change at a time
        submit_account(db, pe.owner, pe.producer, details(number="6217000099998888000"))

    reject_account(db, pe.reviewer, change, "开户许可证与户名不符")
    assert change.status is PayeeStatus.REJECTED and in_force(db, pe.producer.id) is first

    again = submit_account(db, pe.owner, pe.producer, details(number="6217000099998888777", bank="中国银行"))
    verify_account(db, pe.reviewer, again)
    db.refresh(first)
    assert first.status is PayeeStatus.SUPERSEDED and in_force(db, pe.producer.id) is again
    assert audit_actions(db, pe.producer) == [
        "payee.submit",
        "payee.verify",
        "payee.submit",
        "payee.reject",
        "payee.submit",
        "payee.verify",
    ]
    # the audit log (read by every administrator) never holds a whole account number
    entries = db.scalars(select(AuditEntry).where(AuditEntry.subject_type == "payee_account")).all()
    assert all("6217000099998888777" not in str(e.before) + str(e.after) for e in entries)
    verified = [e for e in entries if e.action == "payee.verify"][-1]
    assert verified.before is not None and verified.before["number"] == "•••• 8901"
    assert verified.after is not None and verified.after["number"] == "•••• 8777"
    assert verified.region_code == "653122"


def test_a_pending_change_can_be_withdrawn(db: Session, pe: Payees) -> None:
    account = submit_account(db, pe.owner, pe.producer, details())
    withdraw_account(db, pe.owner, account)
    assert account.status is PayeeStatus.WITHDRAWN
    with pytest.raises(NotPending):
        verify_account(db, pe.reviewer, account)
    assert audit_actions(db, pe.producer) == ["payee.submit", "payee.withdraw"]


def test_who_may_do_what(db: Session, pe: Payees, make_user: Callable[..., User]) -> None:
    stranger = make_user()
    with pytest.raises(NotProducerMember):
        submit_account(db, stranger, pe.producer, details())
    account = submit_account(db, pe.owner, pe.producer, details())
    with pytest.raises(NotCountyReviewer):
        verify_account(db, pe.other_reviewer, account)  # another county's reviewer
    # a reviewer who also acts for the producer never verifies its account
    pe.producer.members.append(ProducerMember(user=pe.reviewer, role=MemberRole.STAFF))
    db.flush()
    with pytest.raises(NotCountyReviewer):
        verify_account(db, pe.reviewer, account)
    with pytest.raises(ReasonRequired):
        reject_account(db, pe.admin, account, "  ")
    verify_account(db, pe.admin, account)  # administrators may decide too
    assert account.status is PayeeStatus.VERIFIED


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (details(number="6228-4800-1"), AccountNumberInvalid),  # too short
        (details(number="6228 4800 1234 ABCD"), AccountNumberInvalid),
        (details(number="1" * 31), AccountNumberInvalid),
        (details(cnaps="10388200123"), CnapsCodeInvalid),
        (details(name="艾力·买买提"), NameNoteRequired),  # someone else's account, no explanation
    ],
)
def test_bad_details_are_refused_with_the_field_named(
    db: Session, pe: Payees, data: PayeeInput, error: type[Exception]
) -> None:
    with pytest.raises(error):
        submit_account(db, pe.owner, pe.producer, data)
    assert db.scalar(select(PayeeAccount.id).where(PayeeAccount.producer_id == pe.producer.id)) is None


def test_another_holder_with_an_explanation_and_no_change_without_a_difference(
    db: Session, pe: Payees
) -> None:
    account = submit_account(
        db,
        pe.owner,
        pe.producer,
        details(name="艾力·买买提", note="家庭农场，户主本人账户", cnaps="103882001234"),
    )
    assert account.name_differs and account.name_note == "家庭农场，户主本人账户"
    assert account.cnaps_code == "103882001234"
    verify_account(db, pe.reviewer, account)
    with pytest.raises(NothingChanged):
        submit_account(
            db, pe.owner, pe.producer, details(name="艾力·买买提", note="同上", cnaps="103882001234")
        )


def test_pages_speak_the_readers_language_and_mask_numbers(
    db: Session, pe: Payees, as_user: Client, make_user: Callable[..., User]
) -> None:
    url = f"/settlement/producers/{pe.producer.id}/payee"
    refused = as_user(pe.owner).post(
        url,
        data={
            "account_name": pe.producer.name,
            "bank_name": "中国农业银行",
            "branch_name": "疏勒县支行",
            "account_number": "6228 48",
        },
    )
    assert refused.status_code == 400
    assert "The account number has 10 to 30 digits" in refused.get_data(as_text=True)
    pe.owner.locale = "zh_CN"
    db.flush()
    chinese = as_user(pe.owner).post(url, data={"account_name": "别人", "bank_name": "", "branch_name": "x"})
    assert chinese.status_code == 400
    page = chinese.get_data(as_text=True)
    assert "请输入银行名称。" in page and "请输入账号。" in page

    sent = as_user(pe.owner).post(
        url,
        data={
            "account_name": pe.producer.name,
            "bank_name": "中国农业银行",
            "branch_name": "疏勒县支行",
            "account_number": NUMBER,
        },
    )
    assert sent.status_code == 302
    account = db.scalars(select(PayeeAccount).where(PayeeAccount.producer_id == pe.producer.id)).one()
    assert "6228480012345678901" in as_user(pe.owner).get(url).get_data(as_text=True)
    queue = as_user(pe.reviewer).get("/settlement/payees/").get_data(as_text=True)
    assert "•••• 8901" in queue and "6228480012345678901" not in queue
    review = as_user(pe.reviewer).get(f"/settlement/payees/{account.id}")
    assert review.status_code == 200 and "6228480012345678901" in review.get_data(as_text=True)
    assert as_user(pe.other_reviewer).get(f"/settlement/payees/{account.id}").status_code == 403
    assert as_user(make_user()).get(url).status_code == 403
    assert as_user(pe.reviewer).post(f"/settlement/payees/{account.id}/reject", data={}).status_code == 400
    assert as_user(pe.reviewer).post(f"/settlement/payees/{account.id}/verify").status_code == 302
    assert as_user(pe.reviewer).post(f"/settlement/payees/{account.id}/verify").status_code == 409
    db.expire_all()
    assert account.status is PayeeStatus.VERIFIED
