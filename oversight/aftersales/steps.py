"""The steps after a request: the producer answers, the buyer answers the producer, the reviewer arbitrates.

- The producer's members accept (the disputed amount goes back, or the replacement is agreed), propose a
  smaller amount, or refuse with a reason. The buyer then has ``AFTERSALES_ANSWER_DAYS`` days to take the
  proposal or escalate to the county reviewer (a refusal can only be escalated).
- The county's reviewer (or an administrator; never someone who acts for the producer) arbitrates an
  escalated request: an amount from nothing up to the disputed amount, always with a reason.
- Every step is audited and the other party told.

Functions flush, never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from catalog.access import is_member
from core.db import utcnow
from core.i18n import format_fen
from core.models import User
from core.notifications.services import notify, tell, text_for
from oversight.aftersales.concessions import concede_unagreed
from oversight.aftersales.errors import (
    AmountInvalid,
    NotCountyReviewer,
    NotTheBuyer,
    NotTheProducer,
    NotWaitingForThis,
)
from oversight.aftersales.models import AftersalesKind, AftersalesRequest, AftersalesStatus
from oversight.aftersales.services import (
    Windows,
    audit,
    buyer_link,
    check_reason,
    close,
    county_reviewers,
    lock_request,
    may_arbitrate,
    request_link,
    settle,
    tell_producer,
)
from payments.gateway import StripeGateway

PROPOSED = (
    _l("A proposal for after-sales request %(reference)s"),
    _l(
        "The producer proposes %(amount)s for order %(number)s. Take it or ask the county office within "
        "%(days)s days."
    ),
)
REFUSED = (
    _l("After-sales request %(reference)s refused"),
    _l(
        "The producer refused your request for order %(number)s: %(reason)s. You may ask the county office "
        "within %(days)s days."
    ),
)
ESCALATED = (
    _l("After-sales request %(reference)s needs arbitration"),
    _l("The buyer and the producer of order %(number)s disagree about %(amount)s: please arbitrate."),
)
WITHDRAWN = (
    _l("After-sales request %(reference)s withdrawn"),
    _l("The buyer withdrew the after-sales request for order %(number)s."),
)


def _params(request: AftersalesRequest, **more: Any) -> dict[str, Any]:
    return {"reference": request.reference, "number": request.number, **more}


def _ensure_producer(user: User, request: AftersalesRequest) -> None:
    if not (user.is_authenticated and is_member(user, request.producer)):
        raise NotTheProducer()


def _ensure_buyer(user: User, request: AftersalesRequest) -> None:
    if not (user.is_authenticated and request.buyer_id == user.id):
        raise NotTheBuyer()


def _ensure_status(request: AftersalesRequest, *statuses: AftersalesStatus) -> None:
    if request.status not in statuses:
        raise NotWaitingForThis()


def check_amount(request: AftersalesRequest, amount_fen: int | None, *, allow_zero: bool) -> int:
    """An amount from 1 fen (0 when ``allow_zero``) to the disputed amount; raises :class:`AmountInvalid`."""
    if amount_fen is None or amount_fen < (0 if allow_zero else 1) or amount_fen > request.claimed_fen:
        raise AmountInvalid(max=format_fen(request.claimed_fen))
    return amount_fen


def accept(
    session: Session,
    user: User,
    request: AftersalesRequest,
    *,
    gateway: StripeGateway | None = None,
    now: datetime | None = None,
) -> None:
    """The producer accepts the request as asked: the disputed amount goes back (a replacement: agreed,
    nothing refunded). Raises :class:`NotTheProducer`, :class:`NotWaitingForThis`, and what refunding
    raises. Does not commit."""
    _ensure_producer(user, request)
    lock_request(session, request)
    _ensure_status(request, AftersalesStatus.REQUESTED)
    amount = 0 if request.kind is AftersalesKind.REPLACEMENT else request.claimed_fen
    settle(session, user, request, amount, "accepted", gateway=gateway, now=now)


def propose(
    session: Session,
    user: User,
    request: AftersalesRequest,
    amount_fen: int | None,
    reason: str | None,
    windows: Windows,
    *,
    now: datetime | None = None,
) -> None:
    """The producer proposes a partial amount (with an optional word why); the buyer has the answer days to
    take it or escalate. Raises :class:`NotTheProducer`, :class:`NotWaitingForThis`,
    :class:`AmountInvalid`, :class:`ReasonInvalid`. Does not commit."""
    _ensure_producer(user, request)
    amount = check_amount(request, amount_fen, allow_zero=False)
    words = check_reason(reason, minimum=0) if reason and reason.strip() else None
    lock_request(session, request)
    _ensure_status(request, AftersalesStatus.REQUESTED)
    request.status = AftersalesStatus.PROPOSED
    request.proposed_fen = amount
    request.producer_reason = words
    request.next_due_at = (now or utcnow()) + timedelta(days=windows.answer_days)
    session.flush()
    audit(session, user, "propose", request, note=words)
    params = _params(request, amount=format_fen(amount), days=windows.answer_days)
    tell(session, request.buyer, "aftersales", PROPOSED, buyer_link(request), **params)


def refuse(
    session: Session,
    user: User,
    request: AftersalesRequest,
    reason: str | None,
    windows: Windows,
    *,
    now: datetime | None = None,
) -> None:
    """The producer refuses, with a reason the buyer reads; the buyer has the answer days to escalate.
    Raises :class:`NotTheProducer`, :class:`NotWaitingForThis`, :class:`ReasonInvalid`. Does not commit."""
    _ensure_producer(user, request)
    words = check_reason(reason)
    lock_request(session, request)
    _ensure_status(request, AftersalesStatus.REQUESTED)
    request.status = AftersalesStatus.REFUSED
    request.producer_reason = words
    request.next_due_at = (now or utcnow()) + timedelta(days=windows.answer_days)
    session.flush()
    audit(session, user, "refuse", request, note=words)
    params = _params(request, reason=words, days=windows.answer_days)
    tell(session, request.buyer, "aftersales", REFUSED, buyer_link(request), **params)


def take_proposal(
    session: Session,
    user: User,
    request: AftersalesRequest,
    *,
    gateway: StripeGateway | None = None,
    now: datetime | None = None,
) -> None:
    """The buyer takes the producer's proposal: that amount goes back. Raises :class:`NotTheBuyer`,
    :class:`NotWaitingForThis`, and what refunding raises. Does not commit."""
    _ensure_buyer(user, request)
    lock_request(session, request)
    _ensure_status(request, AftersalesStatus.PROPOSED)
    settle(session, user, request, request.proposed_fen or 0, "proposal_taken", gateway=gateway, now=now)


def escalate(session: Session, user: User, request: AftersalesRequest) -> None:
    """The buyer asks the county office to arbitrate a proposal or a refusal; its reviewers are told.
    Raises :class:`NotTheBuyer`, :class:`NotWaitingForThis`. Does not commit."""
    _ensure_buyer(user, request)
    lock_request(session, request)
    _ensure_status(request, AftersalesStatus.PROPOSED, AftersalesStatus.REFUSED)
    request.status = AftersalesStatus.ESCALATED
    request.next_due_at = None
    session.flush()
    audit(session, user, "escalate", request)
    params = _params(request, amount=format_fen(request.claimed_fen))
    subject, body = ESCALATED
    for reviewer in county_reviewers(session, request):
        notify(
            session,
            reviewer,
            "aftersales",
            text_for(reviewer, subject, **params),
            text_for(reviewer, body, **params),
            link=request_link(request),
            data={"aftersales": request.id},
        )
    tell_producer(session, request, ESCALATED, **params)


def withdraw(
    session: Session, user: User, request: AftersalesRequest, *, now: datetime | None = None
) -> None:
    """The buyer withdraws a request still waiting for an answer or an arbitration; it ends with nothing
    refunded (an institution's delivery then owes the producer the units claimed). Raises
    :class:`NotTheBuyer`, :class:`NotWaitingForThis`. Does not commit."""
    _ensure_buyer(user, request)
    lock_request(session, request)
    _ensure_status(
        request,
        AftersalesStatus.REQUESTED,
        AftersalesStatus.PROPOSED,
        AftersalesStatus.REFUSED,
        AftersalesStatus.ESCALATED,
    )
    request.agreed_fen = 0
    close(request, "withdrawn", now)
    session.flush()
    audit(session, user, "withdraw", request)
    concede_unagreed(session, request)
    tell_producer(session, request, WITHDRAWN, **_params(request))


def arbitrate(
    session: Session,
    user: User,
    request: AftersalesRequest,
    amount_fen: int | None,
    reason: str | None,
    *,
    gateway: StripeGateway | None = None,
    now: datetime | None = None,
) -> None:
    """The county's reviewer decides an escalated request: an amount (0: none) and the reason both parties
    read. Raises :class:`NotCountyReviewer`, :class:`NotWaitingForThis`, :class:`AmountInvalid`,
    :class:`ReasonInvalid`, and what refunding raises. Does not commit."""
    if not may_arbitrate(user, request):
        raise NotCountyReviewer()
    amount = check_amount(request, amount_fen, allow_zero=True)
    words = check_reason(reason)
    lock_request(session, request)
    _ensure_status(request, AftersalesStatus.ESCALATED)
    request.arbitration_reason = words
    request.arbitrated_by_id = user.id
    settle(session, user, request, amount, "arbitrated", gateway=gateway, now=now)
