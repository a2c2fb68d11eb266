"""Who may use a promotion or a flash sale, why not (in the buyer's words), and invitation codes.

Each rule costs at most one indexed lookup per buyer: a paid order (new buyers), a membership of the
institution (staff), a claimed invitation (invited). Claiming a code is one conditional UPDATE, so two
buyers entering the same code at once never both get it. Functions flush but never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.models import User
from orders.models import Order
from procurement.institutions.models import Institution, InstitutionMember
from promotions.eligibility.errors import InvalidInvitations, InvitationTaken, UnknownInvitation
from promotions.eligibility.models import Eligibility, Invitation
from traceability.batches.services import generate_code

#: Most invitation codes made at once.
MAX_INVITATIONS = 500
#: Characters of an invitation code (an alphabet without 0/O or 1/I).
CODE_LENGTH = 10


@dataclass(frozen=True)
class Audience:
    """Who may use one promotion (``promotion_id``) or flash sale (``flash_sale_id``)."""

    eligibility: Eligibility
    institution: Institution | None = None
    promotion_id: int | None = None
    flash_sale_id: int | None = None


def _signed_in(buyer: User | None) -> bool:
    """Whether ``buyer`` is a signed-in user with an id."""
    return buyer is not None and bool(getattr(buyer, "id", None))


def is_new_buyer(session: Session, buyer_id: int) -> bool:
    """Whether the buyer has no paid order yet (one indexed lookup)."""
    paid = session.scalar(
        select(Order.id).where(Order.buyer_id == buyer_id, Order.paid_at.is_not(None)).limit(1)
    )
    return paid is None


def _is_staff(session: Session, buyer_id: int, institution_id: int) -> bool:
    """Whether the buyer is a member of the institution (one indexed lookup)."""
    found = session.scalar(
        select(InstitutionMember.id)
        .where(InstitutionMember.user_id == buyer_id, InstitutionMember.institution_id == institution_id)
        .limit(1)
    )
    return found is not None


def _is_invited(session: Session, buyer_id: int, audience: Audience) -> bool:
    """Whether the buyer claimed one of its invitation codes (one indexed lookup)."""
    target = (
        Invitation.promotion_id == audience.promotion_id
        if audience.promotion_id is not None
        else Invitation.flash_sale_id == audience.flash_sale_id
    )
    return (
        session.scalar(select(Invitation.id).where(target, Invitation.user_id == buyer_id).limit(1))
        is not None
    )


def why_not(session: Session, audience: Audience, buyer: User | None) -> str | None:
    """Why ``buyer`` may not use it, in the reader's language (``None``: they may). A visitor counts as a
    new buyer; staff-only and invitation-only ones need a signed-in buyer."""
    rule = audience.eligibility
    if rule is Eligibility.EVERYONE:
        return None
    if rule is Eligibility.NEW_BUYERS:
        if _signed_in(buyer) and buyer is not None and not is_new_buyer(session, buyer.id):
            return str(_l("Only for new buyers: you have already paid an order."))
        return None
    if rule is Eligibility.STAFF:
        name = audience.institution.name if audience.institution is not None else ""
        if not _signed_in(buyer) or buyer is None or audience.institution is None:
            return str(_l("Only for staff of %(institution)s: please sign in.", institution=name))
        if not _is_staff(session, buyer.id, audience.institution.id):
            return str(
                _l(
                    "Only for staff of %(institution)s: your account is not a member of it.",
                    institution=name,
                )
            )
        return None
    if not _signed_in(buyer) or buyer is None or not _is_invited(session, buyer.id, audience):
        return str(_l("Only for invited buyers: enter your invitation code on the invitations page first."))
    return None


def describe(audience: Audience) -> str:
    """Who may use it, in the reader's language."""
    if audience.eligibility is Eligibility.NEW_BUYERS:
        return str(_l("New buyers only"))
    if audience.eligibility is Eligibility.STAFF:
        name = audience.institution.name if audience.institution is not None else ""
        return str(_l("Staff of %(institution)s only", institution=name))
    if audience.eligibility is Eligibility.INVITED:
        return str(_l("Invited buyers only (with an invitation code)"))
    return str(_l("Everyone"))


def issue_invitations(session: Session, audience: Audience, count: int) -> list[Invitation]:
    """Make ``count`` new invitation codes for an invitation-only promotion or flash sale. The caller checks
    who may. Raises :class:`InvalidInvitations`. Does not commit."""
    if audience.eligibility is not Eligibility.INVITED or not 1 <= count <= MAX_INVITATIONS:
        raise InvalidInvitations(max=MAX_INVITATIONS)
    made = [
        Invitation(
            code=generate_code(CODE_LENGTH),
            promotion_id=audience.promotion_id,
            flash_sale_id=audience.flash_sale_id,
        )
        for _ in range(count)
    ]
    session.add_all(made)
    session.flush()  # a code drawn twice (one in 32¹⁰) fails the unique index; the caller retries
    return made


def claim_invitation(session: Session, buyer: User, code: str, now: datetime) -> Invitation:
    """Claim an invitation code for ``buyer`` (the same buyer again: nothing changes), by one conditional
    UPDATE. Raises :class:`UnknownInvitation`, :class:`InvitationTaken`. Does not commit."""
    cleaned = "".join(code.split()).upper()[:32]
    result = session.execute(
        update(Invitation)
        .where(Invitation.code == cleaned, Invitation.user_id.is_(None))
        .values(user_id=buyer.id, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    invitation = session.scalar(select(Invitation).where(Invitation.code == cleaned))
    if invitation is None:
        raise UnknownInvitation()
    session.refresh(invitation)
    if result.rowcount != 1 and invitation.user_id != buyer.id:  # type: ignore[attr-defined]
        raise InvitationTaken()
    return invitation


def invitations_of(
    session: Session, audience: Audience, limit: int = 50
) -> tuple[int, int, list[Invitation]]:
    """How many codes it has, how many were claimed, and the newest ``limit`` of them (indexed)."""
    target = (
        Invitation.promotion_id == audience.promotion_id
        if audience.promotion_id is not None
        else Invitation.flash_sale_id == audience.flash_sale_id
    )
    newest = list(
        session.scalars(select(Invitation).where(target).order_by(Invitation.id.desc()).limit(limit))
    )
    total = int(session.scalar(select(func.count()).select_from(Invitation).where(target)) or 0)
    claimed = int(
        session.scalar(
            select(func.count()).select_from(Invitation).where(target, Invitation.user_id.is_not(None))
        )
        or 0
    )
    return total, claimed, newest
