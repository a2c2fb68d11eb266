"""Producer services: registration, profile, review decisions, members and invitations, logo and licence.

Plain functions taking the session, the acting user and validated data. They raise named domain errors,
``flush()`` but never ``commit()``: the request or CLI command that calls them commits once.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.access import is_member
from catalog.images import ImageError, delete_image, store_upload
from catalog.notices import tell_producer_decision, tell_reviewers_of_registration
from catalog.producers.models import (
    LinkageMode,
    MemberRole,
    Producer,
    ProducerInvitation,
    ProducerKind,
    ProducerMember,
    ProducerStatus,
)
from catalog.validators import CreditCodeError, MobileError, validate_cn_mobile, validate_credit_code
from core.access import can_review
from core.accounts import normalise_email, require_verified_email
from core.audit.services import AuditEntry, record
from core.db import utcnow
from core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from core.models import Region, RegionLevel, User

#: Upper bound of each household count: far above any county's figure, low enough to catch typos.
MAX_HOUSEHOLDS = 100_000
#: Days an invitation stays valid.
INVITATION_DAYS = 14
#: Images a producer keeps, by the name of the column holding the key.
IMAGE_COLUMNS = {"logo": "logo_key", "licence": "licence_key"}

_S = ProducerStatus
#: action → (states it may start from, state it leads to). Approving a rejected producer lets the
#: reviewer reconsider once the producer has corrected its facts, without a new registration.
DECISIONS: dict[str, tuple[frozenset[ProducerStatus], ProducerStatus]] = {
    "approve": (frozenset({_S.PENDING, _S.REJECTED}), _S.APPROVED),
    "reject": (frozenset({_S.PENDING}), _S.REJECTED),
    "suspend": (frozenset({_S.APPROVED}), _S.SUSPENDED),
    "reinstate": (frozenset({_S.SUSPENDED}), _S.APPROVED),
}
#: Decisions the producer must be told the reason for.
REASON_REQUIRED = frozenset({"reject", "suspend"})


class ProducerFieldError(DomainError):
    """A submitted fact about a producer is not acceptable; ``field`` names the form field it concerns."""

    field = "name"

    def __init__(self, message: Any = None, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message, **params)
        if field is not None:
            self.field = field


class CreditCodeTaken(ProducerFieldError):
    """Another producer already registered with this credit code."""

    status = 409
    field = "credit_code"
    message = _l("A producer with this unified social credit code is already registered.")


class ReasonRequired(ProducerFieldError):
    """Rejections and suspensions must tell the producer why."""

    field = "reason"
    message = _l("Give a reason: the producer will see it.")


class NotOwner(PermissionDenied):
    """Only a producer's owner may invite members."""

    message = _l("Only the producer's owner can invite members.")


class AlreadyMember(DomainError):
    """The user already acts for this producer."""

    status = 409
    message = _l("%(email)s already acts for this producer.")


class InvitationPending(DomainError):
    """An open invitation for this address exists."""

    status = 409
    message = _l("An invitation to %(email)s is already waiting to be accepted.")


class InvitationNotFound(NotFound):
    """No invitation has this token."""

    message = _l("This invitation does not exist.")


class InvitationClosed(DomainError):
    """The invitation was used already, or has expired."""

    status = 409
    message = _l("This invitation has already been used.")


class InvitationForSomeoneElse(PermissionDenied):
    """The signed-in user's e-mail address is not the invited one."""

    message = _l(
        "This invitation was sent to a different e-mail address. Sign in with that address to accept it."
    )


@dataclass(kw_only=True)
class ProducerProfile:
    """What members may edit: location inside the county, contact, description and benefit linkage."""

    township_code: str | None = None
    village_code: str | None = None
    address: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    description: str | None = None
    lifted_households: int = 0
    monitored_households: int = 0
    linkage_modes: Sequence[str] = field(default_factory=tuple)


@dataclass(kw_only=True)
class ProducerRegistration(ProducerProfile):
    """A new producer: its profile plus the facts fixed at registration (name, kind, county, credit code)."""

    name: str
    kind: ProducerKind
    county_code: str
    credit_code: str | None = None


def _text(value: str | None) -> str | None:
    """Trim a text input; empty means not given."""
    value = (value or "").strip()
    return value or None


def _region(session: Session, code: str | None, level: RegionLevel, field_name: str) -> Region | None:
    """Return the region of ``level`` with this code (None when not given); raise if there is none."""
    code = _text(code)
    if code is None:
        return None
    region = session.scalar(select(Region).where(Region.code == code, Region.level == level))
    if region is None:
        raise ProducerFieldError(_l("Choose a place from the list."), field=field_name)
    return region


def _location(session: Session, county: Region, data: ProducerProfile) -> tuple[Region | None, Region | None]:
    """Resolve township and village and check that village ⊂ township ⊂ county."""
    township = _region(session, data.township_code, RegionLevel.TOWNSHIP, "township")
    village = _region(session, data.village_code, RegionLevel.VILLAGE, "village")
    if village is not None and township is None:
        township = village.parent
    if township is not None and township.parent_id != county.id:
        raise ProducerFieldError(
            _l("%(township)s is not in %(county)s."),
            field="township",
            township=township.name,
            county=county.name,
        )
    if village is not None and township is not None and village.parent_id != township.id:
        raise ProducerFieldError(
            _l("%(village)s is not in %(township)s."),
            field="village",
            village=village.name,
            township=township.name,
        )
    return township, village


def _phone(kind: ProducerKind, value: str | None) -> str | None:
    """Validate the mobile number; households identify by it, so for them it is required."""
    value = _text(value)
    if value is None:
        if kind.is_organisation:
            return None
        raise ProducerFieldError(_l("Households must give a mobile number."), field="contact_phone")
    try:
        return validate_cn_mobile(value)
    except MobileError as exc:
        raise ProducerFieldError(exc.message, field="contact_phone") from exc


def _linkage(data: ProducerProfile) -> list[str]:
    """Check the household counts and ways of linkage; return the modes in declaration order."""
    for name in ("lifted_households", "monitored_households"):
        count = getattr(data, name)
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_HOUSEHOLDS:
            raise ProducerFieldError(
                _l("Give a whole number from 0 to %(max)s."), field=name, max=MAX_HOUSEHOLDS
            )
    known = {mode.value for mode in LinkageMode}
    unknown = [mode for mode in data.linkage_modes if mode not in known]
    if unknown:
        raise ProducerFieldError(
            _l("Unknown way of linkage: %(mode)s."), field="linkage_modes", mode=unknown[0]
        )
    return [mode.value for mode in LinkageMode if mode.value in set(data.linkage_modes)]


def _apply_profile(session: Session, producer: Producer, kind: ProducerKind, data: ProducerProfile) -> None:
    """Validate ``data`` completely, then copy it onto ``producer`` (nothing is set if anything is wrong)."""
    township, village = _location(session, producer.county, data)
    phone = _phone(kind, data.contact_phone)
    modes = _linkage(data)
    producer.township, producer.village = township, village
    producer.address = _text(data.address)
    producer.contact_name = _text(data.contact_name)
    producer.contact_phone = phone
    producer.description = _text(data.description)
    producer.lifted_households = data.lifted_households
    producer.monitored_households = data.monitored_households
    producer.linkage_modes = modes


def _credit_code(session: Session, kind: ProducerKind, value: str | None) -> str | None:
    """Validate the credit code (required for organisations) and check that no producer has it yet."""
    value = _text(value)
    if value is None:
        if kind.is_organisation:
            raise ProducerFieldError(
                _l("Organisations must give their unified social credit code."), field="credit_code"
            )
        return None
    try:
        code = validate_credit_code(value)
    except CreditCodeError as exc:
        raise ProducerFieldError(exc.message, field="credit_code") from exc
    if session.scalar(select(Producer.id).where(Producer.credit_code == code)) is not None:
        raise CreditCodeTaken()
    return code


def register_producer(session: Session, user: User, data: ProducerRegistration) -> Producer:
    """Register a producer awaiting review, with ``user`` as its owner.

    Raises :class:`ProducerFieldError` (naming the field) for a missing or invalid credit code or mobile
    number, a place outside the county, or bad linkage figures; :class:`CreditCodeTaken` (409) when the
    code is registered already. Nothing is added when it raises. Does not commit.
    """
    name = _text(data.name)
    if name is None or len(name) > 120:
        raise ProducerFieldError(_l("Give the producer's name (at most 120 characters)."), field="name")
    county = _region(session, data.county_code, RegionLevel.COUNTY, "county")
    if county is None:
        raise ProducerFieldError(_l("Choose a place from the list."), field="county")
    credit_code = _credit_code(session, data.kind, data.credit_code)
    producer = Producer(name=name, kind=data.kind, county=county, credit_code=credit_code)
    _apply_profile(session, producer, data.kind, data)
    producer.status = ProducerStatus.PENDING
    producer.members.append(ProducerMember(user=user, role=MemberRole.OWNER))
    session.add(producer)
    session.flush()
    tell_reviewers_of_registration(session, producer)
    return producer


def update_producer_profile(session: Session, actor: User, producer: Producer, data: ProducerProfile) -> None:
    """Change a producer's location (inside its county), contact, description and linkage figures.

    Only members may; the review state does not change. Raises :class:`PermissionDenied` or
    :class:`ProducerFieldError` (nothing changes then). Does not commit.
    """
    if not is_member(actor, producer):
        raise PermissionDenied()
    _apply_profile(session, producer, producer.kind, data)
    session.flush()


def allowed_decisions(producer: Producer) -> list[str]:
    """The decisions a reviewer may take on ``producer`` in its current state."""
    return [action for action, (sources, _target) in DECISIONS.items() if producer.status in sources]


def decide_producer(
    session: Session, reviewer: User, producer: Producer, action: str, reason: str | None
) -> None:
    """Approve, reject, suspend or reinstate ``producer`` and write the decision to the audit log.

    Raises :class:`PermissionDenied` unless ``reviewer`` reviews the producer's county (or is an admin)
    and does not act for the producer; :class:`InvalidTransition` when ``action`` is not possible from the
    current state; :class:`ReasonRequired` for a rejection or suspension without reason. Does not commit.
    """
    if not can_review(reviewer, producer.county) or is_member(reviewer, producer):
        raise PermissionDenied()
    if action not in DECISIONS or producer.status not in DECISIONS[action][0]:
        raise InvalidTransition()
    reason = _text(reason)
    if reason is None and action in REASON_REQUIRED:
        raise ReasonRequired()
    if reason is not None and len(reason) > 500:
        raise ProducerFieldError(_l("At most %(max)s characters."), field="reason", max=500)
    before = {"status": producer.status.value, "reason": producer.status_reason}
    producer.status = DECISIONS[action][1]
    producer.status_reason = reason
    producer.decided_at = utcnow()
    after = {"status": producer.status.value, "reason": reason}
    record(
        session,
        reviewer,
        f"producer.{action}",
        "producer",
        producer.id,
        before=before,
        after=after,
        region_code=producer.county.code,
        note=reason,
    )
    tell_producer_decision(session, producer, action, reason)


def decision_history(session: Session, producer: Producer) -> list[AuditEntry]:
    """The audit entries about ``producer``, newest first."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.subject_type == "producer", AuditEntry.subject_id == producer.id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    return list(session.scalars(query))


def set_producer_image(
    session: Session, actor: User, producer: Producer, kind: str, stream: IO[bytes], upload_dir: Path
) -> str:
    """Store an uploaded logo or business-licence image and return its key; the old image's files go.

    Raises :class:`PermissionDenied` unless ``actor`` acts for the producer, and
    :class:`ProducerFieldError` (field ``image``) with the image pipeline's message for a refused file.
    Does not commit.
    """
    if not is_member(actor, producer):
        raise PermissionDenied()
    column = IMAGE_COLUMNS[kind]
    try:
        stored = store_upload(stream, upload_dir)
    except ImageError as exc:
        raise ProducerFieldError(exc.message, field="image") from exc
    old_key = getattr(producer, column)
    setattr(producer, column, stored.key)
    session.flush()
    if old_key:
        delete_image(upload_dir, old_key)
    return stored.key


def _is_open(invitation: ProducerInvitation) -> bool:
    """Whether the invitation can still be accepted."""
    return invitation.accepted_at is None and utcnow() - invitation.created_at < timedelta(
        days=INVITATION_DAYS
    )


def open_invitations(session: Session, producer: Producer) -> list[ProducerInvitation]:
    """Invitations of ``producer`` that are still waiting to be accepted, newest first."""
    query = (
        select(ProducerInvitation)
        .where(ProducerInvitation.producer_id == producer.id, ProducerInvitation.accepted_at.is_(None))
        .order_by(ProducerInvitation.id.desc())
    )
    return [invitation for invitation in session.scalars(query) if _is_open(invitation)]


def invite_member(
    session: Session, inviter: User, producer: Producer, email: str, role: MemberRole
) -> ProducerInvitation:
    """Invite the person with ``email`` to act for ``producer`` in ``role``.

    Only the owner may invite (:class:`NotOwner`; non-members get :class:`PermissionDenied`). Raises
    :class:`AlreadyMember` if that address already acts for the producer and :class:`InvitationPending`
    if an open invitation for it exists. Does not commit.
    """
    if not is_member(inviter, producer):
        raise PermissionDenied()
    if not is_member(inviter, producer, owner=True):
        raise NotOwner()
    email = normalise_email(email)
    if any(normalise_email(m.user.email) == email for m in producer.members):
        raise AlreadyMember(email=email)
    if any(invitation.email == email for invitation in open_invitations(session, producer)):
        raise InvitationPending(email=email)
    invitation = ProducerInvitation(
        producer=producer, email=email, role=role, token=secrets.token_urlsafe(32), invited_by_id=inviter.id
    )
    session.add(invitation)
    session.flush()
    return invitation


def invitation_by_token(session: Session, token: str) -> ProducerInvitation:
    """Return the invitation with ``token``; raise :class:`InvitationNotFound` if there is none."""
    invitation = session.scalar(select(ProducerInvitation).where(ProducerInvitation.token == token[:64]))
    if invitation is None:
        raise InvitationNotFound()
    return invitation


def check_invitation(invitation: ProducerInvitation, user: User) -> None:
    """Raise unless ``user`` may accept ``invitation`` now.

    :class:`InvitationForSomeoneElse` when the addresses differ (compared case-insensitively),
    :class:`InvitationClosed` when it was used or has expired, :class:`AlreadyMember` when the user acts
    for the producer already, :class:`core.accounts.EmailNotVerified` until the user confirmed the address
    (an invitation goes to an address: only its proven owner may take it).
    """
    if normalise_email(user.email) != normalise_email(invitation.email):
        raise InvitationForSomeoneElse()
    require_verified_email(user)
    if invitation.accepted_at is not None:
        raise InvitationClosed()
    if not _is_open(invitation):
        raise InvitationClosed(_l("This invitation has expired. Ask the owner for a new one."))
    if is_member(user, invitation.producer):
        raise AlreadyMember(email=user.email)


def accept_invitation(session: Session, user: User, token: str) -> ProducerMember:
    """Make ``user`` a member of the invitation's producer, once. See :func:`check_invitation` for errors.

    Does not commit.
    """
    invitation = invitation_by_token(session, token)
    check_invitation(invitation, user)
    member = ProducerMember(producer=invitation.producer, user=user, role=invitation.role)
    session.add(member)
    invitation.accepted_at = utcnow()
    session.flush()
    return member
