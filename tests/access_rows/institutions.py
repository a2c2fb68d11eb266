"""Access rows for the institution pages: registration, members, settings, plan, staff link, admin desk."""

from __future__ import annotations

import itertools
from typing import Any

from flask.testing import FlaskClient

from catalog.validators import compute_credit_code_check_digit, compute_org_code_check_digit
from procurement.institutions.models import (
    Institution,
    InstitutionMember,
    InstitutionRole,
    InstitutionStatus,
)
from tests.access_rows import ADM, SIGNED_IN, C, I, World, only

_serial = itertools.count(1)


def credit_code(serial: int | None = None, *, region: str = "371300", kind: str = "11") -> str:
    """A valid unified social credit code (both check digits right), different for each ``serial``."""
    body = f"{serial if serial is not None else next(_serial) + 10_000_000:08d}"[-8:]
    first17 = f"{kind}{region}{body}{compute_org_code_check_digit(body)}"
    return first17 + compute_credit_code_check_digit(first17)


def in_english(client: FlaskClient) -> FlaskClient:
    """Switch a test client to English, so tests can read messages whose Chinese may not be merged yet."""
    client.post("/language", data={"locale": "en"})
    return client


#: The employer every persona links to in the staff-link row.
EMPLOYER_CODE = credit_code(77_000_001)


def _own(w: World) -> int:
    """The institution persona's institution (it is a buyer there)."""
    return int(w.users[I].institution_memberships[0].institution_id)


def _approved(w: World) -> Institution:
    """A fresh verified institution where the institution persona is an approver."""
    institution: Institution = w.factories["make_institution"](w.users[I], role=InstitutionRole.APPROVER)
    return institution


def _removable(w: World) -> str:
    """A fresh institution (persona: approver) with a consumer buyer whose role can be removed."""
    institution = _approved(w)
    member = InstitutionMember(user=w.users[C], role=InstitutionRole.BUYER)
    institution.members.append(member)
    w.db.flush()
    # A later row, so SQLite does not hand the removed row's id to the next persona's objects while this
    # session still remembers the removed one.
    institution.members.append(InstitutionMember(user=w.users[C], role=InstitutionRole.FINANCE))
    w.db.flush()
    return f"/institution/{institution.id}/members/{member.id}/remove"


def _employer(w: World) -> str:
    """The verified employer with :data:`EMPLOYER_CODE` (created once per test)."""
    make = w.factories["make_institution"]
    if not w.db.query(Institution).filter_by(credit_code=EMPLOYER_CODE).count():
        make().credit_code = EMPLOYER_CODE
        w.db.flush()
    return "/institution/staff-link"


def _pending(w: World) -> str:
    """A fresh institution awaiting verification."""
    institution: Institution = w.factories["make_institution"](verified=False)
    assert institution.status is InstitutionStatus.PENDING
    return f"/institution/admin/{institution.id}/decision"


#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "institution.register": ("GET", "/institution/register", {}, only(SIGNED_IN)),
    "institution.members_page": ("GET", lambda w: f"/institution/{_own(w)}/members", {}, only((I,))),
    "institution.add_member": (
        "POST",
        lambda w: f"/institution/{_approved(w).id}/members",
        {"email": "", "roles": ["finance"]},  # empty e-mail: the approver gets the form back
        only((I,), ok=400),
    ),
    "institution.remove_member": ("POST", _removable, {}, only((I,), ok=302)),
    "institution.settings": ("GET", lambda w: f"/institution/{_approved(w).id}/settings", {}, only((I,))),
    "institution.plan": ("GET", lambda w: f"/institution/{_own(w)}/plan", {}, only((I,))),
    "progress.reserved_share_report": (
        "GET",
        lambda w: f"/institution/{_own(w)}/reserved-share/2026.csv",
        {},
        only((I,)),
    ),
    "staff.staff_link": ("GET", "/institution/staff-link", {}, only(SIGNED_IN)),
    "staff.link_employer": ("POST", _employer, {"credit_code": EMPLOYER_CODE}, only(SIGNED_IN, ok=302)),
    "staff.unlink_employer": ("POST", "/institution/staff-link/remove", {}, only(SIGNED_IN, ok=302)),
    "institution.admin_queue": ("GET", "/institution/admin/", {}, only((ADM,))),
    "institution.admin_detail": (
        "GET",
        lambda w: f"/institution/admin/{_own(w)}",
        {},
        only((ADM,)),
    ),
    "institution.admin_decide": ("POST", _pending, {"action": "verify"}, only((ADM,), ok=302)),
}
