"""Producers register with the right identifiers, keep their profile and images, and invite members."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import validators
from catalog.images import store_upload, variant_path
from catalog.producers import services as svc
from catalog.producers.models import (
    MemberRole,
    Producer,
    ProducerInvitation,
    ProducerKind,
    ProducerMember,
    ProducerStatus,
)
from core.errors import PermissionDenied
from core.models import User
from tests.conftest import row_count

VALID_CODE = "91350100M000100Y43"


def registration(**overrides: Any) -> svc.ProducerRegistration:
    """A valid cooperative registration in 疏勒县, with ``overrides``."""
    fields: dict[str, Any] = {
        "name": "疏勒县红枣种植农民专业合作社",
        "kind": ProducerKind.COOPERATIVE,
        "county_code": "653122",
        "credit_code": VALID_CODE,
        "township_code": "653122102",
        "village_code": "653122102206",
        "contact_phone": "13912345678",
        "lifted_households": 42,
        "monitored_households": 3,
        "linkage_modes": ("guaranteed_dividend", "order_purchase"),
    }
    return svc.ProducerRegistration(**(fields | overrides))


def form_data(**overrides: Any) -> dict[str, Any]:
    """The registration form as a browser sends it, with ``overrides``."""
    data: dict[str, Any] = {
        "name": "疏勒县红枣种植农民专业合作社",
        "kind": "cooperative",
        "credit_code": VALID_CODE,
        "county": "653122",
        "township": "653122102",
        "village": "653122102206",
        "contact_name": "阿布都",
        "contact_phone": "139 1234 5678",
        "lifted_households": "42",
        "monitored_households": "3",
        "linkage_modes": ["order_purchase", "guaranteed_dividend"],
    }
    return data | overrides


def message_of(app: Flask, call: Callable[[], object]) -> str:
    """The validator's message for ``call`` as the page shows it (zh_CN, HTML-escaped)."""
    with app.test_request_context(), pytest.raises(validators.CatalogValueError) as caught:
        call()
    with app.test_request_context():
        return str(escape(str(caught.value)))


# --- registration ---------------------------------------------------------------------------------


def test_register_makes_the_user_owner_of_a_pending_producer(
    db: Session, make_user: Callable[..., User]
) -> None:
    user = make_user()
    producer = svc.register_producer(db, user, registration(credit_code=" 91350100m000100y43 "))
    assert producer.status == ProducerStatus.PENDING
    assert producer.credit_code == VALID_CODE
    assert [(m.user, m.role) for m in producer.members] == [(user, MemberRole.OWNER)]
    assert producer.village is not None and producer.village.name == "加依托格拉克村"
    assert producer.township is not None and producer.township.name == "牙甫泉镇"
    assert producer.linkage_modes == ["order_purchase", "guaranteed_dividend"]  # declaration order


def test_register_view_creates_the_producer_and_opens_its_profile(
    db: Session, make_user: Callable[..., User], as_user: Callable[[User | None], FlaskClient]
) -> None:
    user = make_user()
    client = as_user(user)
    response = client.post("/producer/register", data=form_data())
    assert response.status_code == 302
    producer = db.scalar(select(Producer).where(Producer.credit_code == VALID_CODE))
    assert producer is not None and producer.status == ProducerStatus.PENDING
    assert producer.contact_phone == "13912345678"
    assert response.headers["Location"].endswith(f"/producer/{producer.id}")
    page = client.get(f"/producer/{producer.id}").get_data(as_text=True)
    assert "疏勒县红枣种植农民专业合作社" in page and "42" in page


@pytest.mark.parametrize(
    ("code", "bad_call"),
    [
        ("12345", lambda: validators.validate_credit_code("12345")),
        ("91350100M000100Y44", lambda: validators.validate_credit_code("91350100M000100Y44")),
        ("91350100M0001OOY43", lambda: validators.validate_credit_code("91350100M0001OOY43")),
    ],
    ids=["length", "check-digit", "lookalike"],
)
def test_credit_code_errors_show_the_validators_exact_message(
    code: str,
    bad_call: Callable[[], object],
    app: Flask,
    db: Session,
    make_user: Callable[..., User],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    before = row_count(db, "catalog_producer")
    response = as_user(make_user()).post("/producer/register", data=form_data(credit_code=code))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="credit_code-error"' in page
    assert message_of(app, bad_call) in page
    assert row_count(db, "catalog_producer") == before


def test_organisation_must_give_a_credit_code(db: Session, make_user: Callable[..., User]) -> None:
    before = row_count(db, "catalog_producer")
    with pytest.raises(svc.ProducerFieldError) as caught:
        svc.register_producer(db, make_user(), registration(credit_code=""))
    assert caught.value.field == "credit_code"
    assert row_count(db, "catalog_producer") == before


def test_household_registers_with_a_mobile_number_and_no_code(
    db: Session, make_user: Callable[..., User], as_user: Callable[[User | None], FlaskClient]
) -> None:
    data = form_data(name="买买提·艾力", kind="household", credit_code="", contact_phone="+86 139-1234-5678")
    response = as_user(make_user()).post("/producer/register", data=data)
    assert response.status_code == 302
    producer = db.scalar(select(Producer).where(Producer.name == "买买提·艾力"))
    assert producer is not None
    assert producer.kind == ProducerKind.HOUSEHOLD and producer.credit_code is None
    assert producer.contact_phone == "13912345678"


def test_household_without_mobile_is_refused_with_a_clear_message(
    db: Session, make_user: Callable[..., User], as_user: Callable[[User | None], FlaskClient]
) -> None:
    before = row_count(db, "catalog_producer")
    data = form_data(kind="household", credit_code="", contact_phone="")
    response = as_user(make_user()).post("/producer/register", data=data)
    assert response.status_code == 400
    assert 'id="contact_phone-error"' in response.get_data(as_text=True)
    assert row_count(db, "catalog_producer") == before


def test_invalid_mobile_shows_the_validators_message(
    app: Flask, db: Session, make_user: Callable[..., User], as_user: Callable[[User | None], FlaskClient]
) -> None:
    response = as_user(make_user()).post(
        "/producer/register", data=form_data(kind="household", credit_code="", contact_phone="1391234567")
    )
    assert response.status_code == 400
    assert message_of(app, lambda: validators.validate_cn_mobile("1391234567")) in response.get_data(
        as_text=True
    )


def test_duplicate_credit_code_is_a_conflict(
    db: Session, make_user: Callable[..., User], as_user: Callable[[User | None], FlaskClient]
) -> None:
    svc.register_producer(db, make_user(), registration())
    before = row_count(db, "catalog_producer")
    response = as_user(make_user()).post("/producer/register", data=form_data(name="另一个合作社"))
    assert response.status_code == 409
    assert 'id="credit_code-error"' in response.get_data(as_text=True)
    assert row_count(db, "catalog_producer") == before


def test_township_must_belong_to_the_county(
    db: Session, make_user: Callable[..., User], as_user: Callable[[User | None], FlaskClient]
) -> None:
    before = row_count(db, "catalog_producer")
    # 巴山镇 is in 城口县, not in 疏勒县.
    response = as_user(make_user()).post(
        "/producer/register", data=form_data(township="500229102", village="")
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="township-error"' in page and "巴山镇" in page
    assert row_count(db, "catalog_producer") == before


def test_village_must_belong_to_the_township(db: Session, make_user: Callable[..., User]) -> None:
    # 塔尕尔其村 lies in 塔尕尔其乡, not in 牙甫泉镇.
    with pytest.raises(svc.ProducerFieldError) as caught:
        svc.register_producer(db, make_user(), registration(village_code="653122207207"))
    assert caught.value.field == "village"
    with pytest.raises(svc.ProducerFieldError) as other_county:
        svc.register_producer(db, make_user(), registration(township_code=None, village_code="500229111200"))
    assert other_county.value.field == "township"


def test_a_village_alone_gives_its_township(db: Session, make_user: Callable[..., User]) -> None:
    producer = svc.register_producer(
        db, make_user(), registration(township_code=None, village_code="653122207207")
    )
    assert producer.township is not None and producer.township.code == "653122207"


def test_unknown_place_is_refused(db: Session, make_user: Callable[..., User]) -> None:
    with pytest.raises(svc.ProducerFieldError) as caught:
        svc.register_producer(db, make_user(), registration(county_code="110101"))
    assert caught.value.field == "county"
    with pytest.raises(svc.ProducerFieldError) as township_as_county:
        svc.register_producer(db, make_user(), registration(county_code="653122102"))
    assert township_as_county.value.field == "county"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lifted_households": -1}, "lifted_households"),
        ({"monitored_households": svc.MAX_HOUSEHOLDS + 1}, "monitored_households"),
        ({"linkage_modes": ("order_purchase", "charity")}, "linkage_modes"),
    ],
)
def test_linkage_figures_are_checked(
    overrides: dict[str, Any], field: str, db: Session, make_user: Callable[..., User]
) -> None:
    with pytest.raises(svc.ProducerFieldError) as caught:
        svc.register_producer(db, make_user(), registration(**overrides))
    assert caught.value.field == field


def test_negative_count_in_the_form_is_refused(
    db: Session, make_user: Callable[..., User], as_user: Callable[[User | None], FlaskClient]
) -> None:
    before = row_count(db, "catalog_producer")
    response = as_user(make_user()).post("/producer/register", data=form_data(lifted_households="-5"))
    assert response.status_code == 400
    assert 'id="lifted_households-error"' in response.get_data(as_text=True)
    assert row_count(db, "catalog_producer") == before


# --- profile --------------------------------------------------------------------------------------


def test_members_edit_the_profile_without_changing_the_state(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    owner = make_user()
    producer = make_producer(owner=owner, status=ProducerStatus.APPROVED)
    data = {
        "township": "653122207",
        "village": "653122207208",
        "contact_name": "李明",
        "contact_phone": "13800138000",
        "description": "种植骏枣和核桃。",
        "lifted_households": "120",
        "monitored_households": "8",
        "linkage_modes": ["priority_employment"],
    }
    response = as_user(owner).post(f"/producer/{producer.id}/edit", data=data)
    assert response.status_code == 302
    db.expire_all()
    assert producer.status == ProducerStatus.APPROVED
    assert producer.village is not None and producer.village.name == "喀拉库木村"
    assert (producer.lifted_households, producer.monitored_households) == (120, 8)
    assert producer.linkage_modes == ["priority_employment"]
    assert producer.contact_phone == "13800138000"


def test_edit_refuses_a_township_of_another_county_and_keeps_the_old_profile(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    owner = make_user()
    producer = make_producer(owner=owner)
    response = as_user(owner).post(
        f"/producer/{producer.id}/edit",
        data={"township": "653131100", "lifted_households": "9", "monitored_households": "0"},
    )
    assert response.status_code == 400
    db.expire_all()
    assert producer.township is None and producer.lifted_households == 0


def test_non_members_may_not_edit(
    db: Session, make_user: Callable[..., User], make_producer: Callable[..., Producer]
) -> None:
    producer = make_producer(owner=make_user())
    with pytest.raises(PermissionDenied):
        svc.update_producer_profile(db, make_user(), producer, svc.ProducerProfile(lifted_households=5))
    assert producer.lifted_households == 0


# --- logo and licence -----------------------------------------------------------------------------


def png_bytes(colour: str = "red") -> bytes:
    """A small PNG made with Pillow."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, "PNG")
    return buffer.getvalue()


def test_uploads_store_the_image_and_remove_the_replaced_one(
    tmp_path: Path, db: Session, make_user: Callable[..., User], make_producer: Callable[..., Producer]
) -> None:
    owner = make_user()
    producer = make_producer(owner=owner)
    first = svc.set_producer_image(db, owner, producer, "licence", io.BytesIO(png_bytes()), tmp_path)
    assert producer.licence_key == first
    assert variant_path(tmp_path, first, "full").is_file()
    second = svc.set_producer_image(db, owner, producer, "licence", io.BytesIO(png_bytes("blue")), tmp_path)
    assert producer.licence_key == second != first
    assert variant_path(tmp_path, second, "thumb").is_file()
    assert not any(tmp_path.glob(f"{first}_*"))
    logo = svc.set_producer_image(db, owner, producer, "logo", io.BytesIO(png_bytes()), tmp_path)
    assert producer.logo_key == logo and producer.licence_key == second


def test_refused_upload_keeps_the_old_image(
    tmp_path: Path, db: Session, make_user: Callable[..., User], make_producer: Callable[..., Producer]
) -> None:
    owner = make_user()
    producer = make_producer(owner=owner)
    with pytest.raises(svc.ProducerFieldError) as caught:
        svc.set_producer_image(db, owner, producer, "logo", io.BytesIO(b"%PDF-1.4 not a picture"), tmp_path)
    assert caught.value.field == "image"
    assert producer.logo_key is None and not any(tmp_path.iterdir())
    with pytest.raises(PermissionDenied):
        svc.set_producer_image(db, make_user(), producer, "logo", io.BytesIO(png_bytes()), tmp_path)


def test_upload_view_shows_the_image_pipelines_message(
    tmp_path: Path,
    app: Flask,
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    owner = make_user()
    producer = make_producer(owner=owner)
    response = as_user(owner).post(
        f"/producer/{producer.id}/images/licence",
        data={"image": (io.BytesIO(b"GIF89a......"), "licence.gif")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="image-licence-error"' in page
    assert message_of(app, lambda: store_upload(io.BytesIO(b"GIF89a......"), tmp_path)) in page
    db.expire_all()
    assert producer.licence_key is None


def test_upload_view_saves_the_licence(
    app: Flask,
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    owner = make_user()
    producer = make_producer(owner=owner)
    response = as_user(owner).post(
        f"/producer/{producer.id}/images/licence",
        data={"image": (io.BytesIO(png_bytes()), "licence.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.expire_all()
    assert producer.licence_key is not None
    assert variant_path(Path(app.config["UPLOAD_DIR"]), producer.licence_key, "card").is_file()


# --- members and invitations ----------------------------------------------------------------------


def test_owner_invites_and_the_invited_user_accepts_once(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    owner = make_user()
    producer = make_producer(owner=owner)
    response = as_user(owner).post(
        f"/producer/{producer.id}/members/invite", data={"email": "Zhang.San@Example.com", "role": "staff"}
    )
    assert response.status_code == 302
    invitation = db.scalar(select(ProducerInvitation).where(ProducerInvitation.producer_id == producer.id))
    assert invitation is not None and invitation.email == "zhang.san@example.com"
    assert len(invitation.token) >= 40
    assert invitation.token in as_user(owner).get(f"/producer/{producer.id}/members").get_data(as_text=True)

    invited = as_user(make_user("zhang.san@example.com"))
    url = f"/producer/invitations/{invitation.token}"
    assert invited.get(url).status_code == 200
    assert invited.post(url).status_code == 302
    assert invited.post(url).status_code == 409
    db.expire_all()
    members = db.scalars(select(ProducerMember).where(ProducerMember.producer_id == producer.id)).all()
    assert sorted((m.user.email, m.role) for m in members) == sorted(
        [(owner.email, MemberRole.OWNER), ("zhang.san@example.com", MemberRole.STAFF)]
    )
    assert invitation.accepted_at is not None
    assert invited.get(f"/producer/{producer.id}").status_code == 200


def test_another_user_cannot_accept_the_invitation(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    owner = make_user()
    producer = make_producer(owner=owner)
    invitation = svc.invite_member(db, owner, producer, "invited@example.com", MemberRole.STAFF)
    intruder = as_user(make_user("someone.else@example.com"))
    url = f"/producer/invitations/{invitation.token}"
    assert intruder.get(url).status_code == 403
    assert intruder.post(url).status_code == 403
    db.expire_all()
    assert len(producer.members) == 1 and invitation.accepted_at is None
    assert as_user(make_user()).get("/producer/invitations/no-such-token").status_code == 404


def test_acceptance_compares_addresses_case_insensitively(
    db: Session, make_user: Callable[..., User], make_producer: Callable[..., Producer]
) -> None:
    owner = make_user()
    producer = make_producer(owner=owner)
    invitation = svc.invite_member(db, owner, producer, "wang.wu@example.com", MemberRole.OWNER)
    member = svc.accept_invitation(db, make_user("Wang.Wu@EXAMPLE.com"), invitation.token)
    assert member.role == MemberRole.OWNER and member.producer is producer


def test_an_existing_member_cannot_accept_twice(
    db: Session, make_user: Callable[..., User], make_producer: Callable[..., Producer]
) -> None:
    owner = make_user()
    producer = make_producer(owner=owner)
    invitation = svc.invite_member(db, owner, producer, "li.si@example.com", MemberRole.STAFF)
    li_si = make_user("li.si@example.com")
    db.add(ProducerMember(producer=producer, user=li_si, role=MemberRole.STAFF))
    db.flush()
    with pytest.raises(svc.AlreadyMember):
        svc.accept_invitation(db, li_si, invitation.token)
    assert len([m for m in producer.members if m.user is li_si]) == 1


def test_only_the_owner_may_invite(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    owner = make_user()
    producer = make_producer(owner=owner)
    staff = make_user()
    db.add(ProducerMember(producer=producer, user=staff, role=MemberRole.STAFF))
    db.flush()
    response = as_user(staff).post(
        f"/producer/{producer.id}/members/invite", data={"email": "friend@example.com", "role": "owner"}
    )
    assert response.status_code == 403
    with pytest.raises(svc.NotOwner):
        svc.invite_member(db, staff, producer, "friend@example.com", MemberRole.STAFF)
    with pytest.raises(PermissionDenied):
        svc.invite_member(db, make_user(), producer, "friend@example.com", MemberRole.STAFF)
    assert row_count(db, "catalog_producer_invitation") == 0
    assert as_user(staff).get(f"/producer/{producer.id}/members").status_code == 200


def test_no_second_open_invitation_and_no_invitation_for_a_member(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    owner = make_user("owner@example.com")
    producer = make_producer(owner=owner)
    svc.invite_member(db, owner, producer, "helper@example.com", MemberRole.STAFF)
    client = as_user(owner)
    again = client.post(
        f"/producer/{producer.id}/members/invite", data={"email": "HELPER@example.com", "role": "staff"}
    )
    assert again.status_code == 409
    member = client.post(
        f"/producer/{producer.id}/members/invite", data={"email": "owner@example.com", "role": "staff"}
    )
    assert member.status_code == 409
    assert row_count(db, "catalog_producer_invitation") == 1


def test_expired_invitation_cannot_be_accepted(
    db: Session, make_user: Callable[..., User], make_producer: Callable[..., Producer]
) -> None:
    owner = make_user()
    producer = make_producer(owner=owner)
    invitation = svc.invite_member(db, owner, producer, "late@example.com", MemberRole.STAFF)
    invitation.created_at -= timedelta(days=svc.INVITATION_DAYS + 1)
    db.flush()
    with pytest.raises(svc.InvitationClosed):
        svc.accept_invitation(db, make_user("late@example.com"), invitation.token)
    # An expired invitation no longer blocks a new one.
    assert (
        svc.invite_member(db, owner, producer, "late@example.com", MemberRole.STAFF).token != invitation.token
    )
