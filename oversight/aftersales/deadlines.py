"""Answers not given in time: ``flask --app shop oversight aftersales-deadlines`` (cron, every few minutes).

- A producer who does not answer a request within ``AFTERSALES_ANSWER_DAYS`` days is deemed to accept it.
- A buyer who does not answer a proposal in time is deemed to take it; one who does not escalate a refusal in
  time lets the refusal stand, and the request ends (an institution's delivery then owes the producer the
  units claimed, :mod:`oversight.aftersales.concessions`).

Each request is claimed by a conditional UPDATE (its state and deadline unchanged, ``next_due_at`` cleared),
so two runs at once (two machines' cron) or a run repeated never apply a lapse twice; the command is also a
singleton (``core.jobs.single_run``). Functions flush, never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.db import utcnow
from oversight.aftersales.concessions import concede_unagreed
from oversight.aftersales.models import AftersalesKind, AftersalesRequest, AftersalesStatus
from oversight.aftersales.services import audit, close, settle
from payments.gateway import StripeGateway

#: Requests handled per run at most (the next run takes the rest).
BATCH = 200
WAITING = (AftersalesStatus.REQUESTED, AftersalesStatus.PROPOSED, AftersalesStatus.REFUSED)


def apply_lapsed(
    session: Session,
    *,
    now: datetime | None = None,
    gateway: StripeGateway | None = None,
    limit: int = BATCH,
) -> list[AftersalesRequest]:
    """Apply every lapsed answer (see the module's docstring); the requests this call handled.

    Audited with no actor (the platform did it); raises what refunding raises. Does not commit.
    """
    moment = now or utcnow()
    due = (
        select(AftersalesRequest.id, AftersalesRequest.status)
        .where(AftersalesRequest.next_due_at <= moment, AftersalesRequest.status.in_(WAITING))
        .order_by(AftersalesRequest.next_due_at, AftersalesRequest.id)
        .limit(limit)
    )
    handled: list[AftersalesRequest] = []
    for request_id, status in list(session.execute(due)):
        claimed = session.execute(
            update(AftersalesRequest)
            .where(
                AftersalesRequest.id == request_id,
                AftersalesRequest.status == status,
                AftersalesRequest.next_due_at <= moment,
            )
            .values(next_due_at=None)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another run (or an answer) got there first
        request = session.get(AftersalesRequest, request_id)
        if request is None:  # pragma: no cover (the UPDATE just matched it)
            continue
        session.refresh(request)
        _lapse(session, request, moment, gateway)
        handled.append(request)
    session.flush()
    return handled


def _lapse(
    session: Session, request: AftersalesRequest, moment: datetime, gateway: StripeGateway | None
) -> None:
    if request.status is AftersalesStatus.REQUESTED:
        amount = 0 if request.kind is AftersalesKind.REPLACEMENT else request.claimed_fen
        settle(session, None, request, amount, "deemed_accepted", gateway=gateway, now=moment)
    elif request.status is AftersalesStatus.PROPOSED:
        settle(
            session,
            None,
            request,
            request.proposed_fen or 0,
            "proposal_deemed_taken",
            gateway=gateway,
            now=moment,
        )
    else:
        request.agreed_fen = 0
        close(request, "refusal_kept", moment)
        session.flush()
        audit(session, None, "refusal_kept", request)
        concede_unagreed(session, request)
