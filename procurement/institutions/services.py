"""Institution services: registration, and the administrator's verification decisions.

Plain functions taking the session, the acting user and validated data. They raise named domain errors,
``flush()`` but never ``commit()``: the request that calls them commits once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, select
from sqlalchemy.orm import Session

from catalog.validators import CreditCodeError, MobileError, validate_cn_mobile, validate_credit_code
from core.audit.services import AuditEntry, record
from core.db import utcnow
from core.errors import DomainError, InvalidTransition, PermissionDenied
from core.i18n import in_language_of
from core.models import Region, RegionLevel, User
from core.notifications.services import notify
from core.urls import path_for
from procurement.institutions.models import (
    Institution,
    InstitutionKind,
    InstitutionMember,
    InstitutionRole,
    InstitutionStatus,
)
from procurement.labels import institution_status_label

#: Levels an institution may sit at: a city (prefecture) or a county.
INSTITUTION_LEVELS = (RegionLevel.PREFECTURE, RegionLevel.COUNTY)
#: Most paired counties an institution lists.
MAX_PAIRED = 20

_S = InstitutionStatus
#: action → (states it may start from, state it leads to). Verifying a rejected institution lets the
#: administrator reconsider once the facts were corrected, without a new registration.
DECISIONS: dict[str, tuple[frozenset[InstitutionStatus], InstitutionStatus]] = {
    "verify": (frozenset({_S.PENDING, _S.REJECTED}), _S.VERIFIED),
    "reject": (frozenset({_S.PENDING}), _S.REJECTED),
    "suspend": (frozenset({_S.VERIFIED}), _S.SUSPENDED),
    "reinstate": (frozenset({_S.SUSPENDED}), _S.VERIFIED),
}
#: Decisions the institution must be told the reason for.
REASON_REQUIRED = frozenset({"reject", "suspend"})


class InstitutionFieldError(DomainError):
    """A submitted fact about an institution is not acceptable; ``field`` names the form field."""

    field = "name"

    def __init__(self, message: Any = None, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message, **params)
        if field is not None:
            self.field = field


class InstitutionCreditCodeTaken(InstitutionFieldError):
    """Another institution already registered with this credit code."""

    status = 409
    field = "credit_code"
    message = _l(
        "An institution with this unified social credit code is already registered. If it is yours, ask "
        "one of its approvers to add you as a member."
    )


class DecisionReasonRequired(InstitutionFieldError):
    """Rejections and suspensions must tell the institution why."""

    field = "reason"
    message = _l("Give a reason: the institution will see it.")


@dataclass(kw_only=True)
class InstitutionRegistration:
    """A new institution as its registrant submits it."""

    name: str
    kind: InstitutionKind | str
    credit_code: str
    region_code: str | None
    address: str
    contact_name: str
    contact_phone: str
    paired_county_codes: Sequence[str] = ()


def _text(value: str | None) -> str | None:
    """Trim a text input; empty means not given."""
    value = " ".join((value or "").split())
    return value or None


def _required(value: str | None, field: str, limit: int, message: Any) -> str:
    """A trimmed, non-empty text of at most ``limit`` characters, else an error on ``field``."""
    text = _text(value)
    if text is None or len(text) > limit:
        raise InstitutionFieldError(message, field=field, max=limit)
    return text


def institution_region(session: Session, code: str | None) -> Region | None:
    """The prefecture or county with this division code (None when not given); raise if there is none."""
    code = _text(code)
    if code is None:
        return None
    found = session.scalar(select(Region).where(Region.code == code, Region.level.in_(INSTITUTION_LEVELS)))
    if found is None:
        raise InstitutionFieldError(_l("Choose a place from the list."), field="region")
    return found


def paired_counties(session: Session, codes: Sequence[str], field: str = "paired_counties") -> list[Region]:
    """The county-level regions with these codes, in code order; raise for an unknown code."""
    wanted = sorted({code.strip() for code in codes if code and code.strip()})
    if len(wanted) > MAX_PAIRED:
        raise InstitutionFieldError(_l("Choose at most %(max)s counties."), field=field, max=MAX_PAIRED)
    if not wanted:
        return []
    found = list(
        session.scalars(
            select(Region)
            .where(Region.code.in_(wanted), Region.level == RegionLevel.COUNTY)
            .order_by(Region.code)
        )
    )
    if len(found) != len(wanted):
        raise InstitutionFieldError(_l("Choose counties from the list."), field=field)
    return found


def _kind(value: InstitutionKind | str) -> InstitutionKind:
    try:
        return InstitutionKind(value)
    except ValueError as exc:
        raise InstitutionFieldError(_l("Choose a kind from the list."), field="kind") from exc


def _credit_code(session: Session, value: str | None) -> str:
    """Validate the credit code (required) and check that no institution has it yet."""
    if _text(value) is None:
        raise InstitutionFieldError(_l("Give the unified social credit code."), field="credit_code")
    try:
        code = validate_credit_code(value or "")
    except CreditCodeError as exc:
        raise InstitutionFieldError(exc.message, field="credit_code") from exc
    if session.scalar(select(Institution.id).where(Institution.credit_code == code)) is not None:
        raise InstitutionCreditCodeTaken()
    return code


def _phone(value: str | None) -> str:
    if _text(value) is None:
        raise InstitutionFieldError(_l("Give the contact person's mobile number."), field="contact_phone")
    try:
        return validate_cn_mobile(value or "")
    except MobileError as exc:
        raise InstitutionFieldError(exc.message, field="contact_phone") from exc


def register_institution(session: Session, user: User, data: InstitutionRegistration) -> Institution:
    """Register an institution awaiting an administrator's verification; ``user`` becomes buyer and approver.

    Raises :class:`InstitutionFieldError` (naming the field) for a missing name, address or contact, an
    invalid credit code or mobile number, or a place not in the list; :class:`InstitutionCreditCodeTaken`
    (409) when the code is registered already. Nothing is added when it raises. Does not commit.
    """
    name = _required(data.name, "name", 120, _l("Give the institution's name (at most %(max)s characters)."))
    kind = _kind(data.kind)
    credit_code = _credit_code(session, data.credit_code)
    region = institution_region(session, data.region_code)
    address = _required(data.address, "address", 200, _l("Give the address (at most %(max)s characters)."))
    contact = _required(
        data.contact_name, "contact_name", 60, _l("Give the contact person (at most %(max)s characters).")
    )
    phone = _phone(data.contact_phone)
    counties = paired_counties(session, data.paired_county_codes)
    institution = Institution(
        name=name,
        kind=kind,
        credit_code=credit_code,
        region=region,
        address=address,
        contact_name=contact,
        contact_phone=phone,
        status=InstitutionStatus.PENDING,
        created_by_id=user.id,
        paired_counties=counties,
    )
    institution.members.extend(
        InstitutionMember(user=user, role=role) for role in (InstitutionRole.BUYER, InstitutionRole.APPROVER)
    )
    session.add(institution)
    session.flush()
    return institution


def admin_queue(status: InstitutionStatus | None = None) -> Select[Any]:
    """Query: institutions for the administrator, those awaiting verification first, oldest first."""
    query = select(Institution)
    if status is not None:
        query = query.where(Institution.status == status)
    pending_first = case((Institution.status == InstitutionStatus.PENDING, 0), else_=1)
    return query.order_by(pending_first, Institution.created_at, Institution.id)


def allowed_decisions(institution: Institution) -> list[str]:
    """The decisions an administrator may take on ``institution`` in its current state."""
    return [action for action, (sources, _target) in DECISIONS.items() if institution.status in sources]


def _recipients(institution: Institution) -> list[User]:
    """Who hears about a decision: the registrant and the institution's approvers, each once."""
    people: dict[int, User] = {}
    if institution.created_by_id is not None:
        creator = next((m.user for m in institution.members if m.user_id == institution.created_by_id), None)
        if creator is not None:
            people[creator.id] = creator
    for member in institution.members:
        if member.role is InstitutionRole.APPROVER:
            people.setdefault(member.user_id, member.user)
    return list(people.values())


def _notify_decision(session: Session, institution: Institution, reason: str | None) -> None:
    for user in _recipients(institution):
        with in_language_of(user):
            state = institution_status_label(institution.status)
            body = _("%(name)s is now “%(state)s”.", name=institution.name, state=state)
            if reason:
                body = f"{body} {_('Reason: %(reason)s', reason=reason)}"
            notify(
                session,
                user,
                f"institution.{institution.status.value}",
                _("Registration of %(name)s: %(state)s", name=institution.name, state=state),
                body,
                link=path_for("progress.dashboard"),
            )


def decide_institution(
    session: Session, admin: User, institution: Institution, action: str, reason: str | None
) -> None:
    """Verify, reject, suspend or reinstate ``institution``, audit it and tell the registrant and approvers.

    Raises :class:`PermissionDenied` unless ``admin`` is an administrator who does not act for the
    institution; :class:`InvalidTransition` when ``action`` is not possible from the current state;
    :class:`DecisionReasonRequired` for a rejection or suspension without reason. Does not commit.
    """
    if not admin.is_admin or institution.roles_of(admin):
        raise PermissionDenied()
    if action not in DECISIONS or institution.status not in DECISIONS[action][0]:
        raise InvalidTransition()
    reason = _text(reason)
    if reason is None and action in REASON_REQUIRED:
        raise DecisionReasonRequired()
    if reason is not None and len(reason) > 500:
        raise InstitutionFieldError(_l("At most %(max)s characters."), field="reason", max=500)
    before = {"status": institution.status.value, "reason": institution.status_reason}
    institution.status = DECISIONS[action][1]
    institution.status_reason = reason
    institution.decided_at = utcnow()
    institution.decided_by_id = admin.id
    session.flush()
    record(
        session,
        admin,
        f"institution.{action}",
        "institution",
        institution.id,
        before=before,
        after={"status": institution.status.value, "reason": reason},
        region_code=institution.region.code if institution.region is not None else None,
        note=reason,
    )
    _notify_decision(session, institution, reason)


def decision_history(session: Session, institution: Institution) -> list[AuditEntry]:
    """The audit entries about ``institution``, newest first."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.subject_type == "institution", AuditEntry.subject_id == institution.id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    return list(session.scalars(query))
