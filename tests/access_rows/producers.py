"""Access rows for the producer workbench, the reviewer's producer desk and the audit log."""

from __future__ import annotations

import secrets
from typing import Any

from catalog.producers.models import MemberRole, ProducerInvitation, ProducerStatus
from tests.access_rows import ADM, PERSONAS, SIGNED_IN, A, C, P, R, World, only


def _own(w: World) -> int:
    """The producer persona's producer."""
    return int(w.objects["producer"].id)


def _invitation_for_consumer(w: World) -> str:
    """A fresh invitation to the producer persona's producer, addressed to the consumer persona."""
    invitation = ProducerInvitation(
        producer=w.objects["producer"],
        email=w.users[C].email,
        role=MemberRole.STAFF,
        token=secrets.token_urlsafe(32),
    )
    w.db.add(invitation)
    w.db.flush()
    return f"/producer/invitations/{invitation.token}"


def _fresh_other_county_producer(w: World) -> int:
    """A new pending 城口县 producer (the 疏勒县 reviewer must not decide it; the admin may)."""
    return int(w.factories["make_producer"](county_code="500229", status=ProducerStatus.PENDING).id)


def _other_county_only_admin() -> dict[str, int]:
    """Only the admin may open another county's producer; its own reviewer persona is not of that county."""
    return {p: 302 if p == A else 403 for p in PERSONAS} | {ADM: 200}


#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "producer.dashboard": ("GET", "/producer/", {}, only((P,))),
    "producer.register": ("GET", "/producer/register", {}, only(SIGNED_IN)),
    "producer.profile": ("GET", lambda w: f"/producer/{_own(w)}", {}, only((P,))),
    "producer.edit": ("GET", lambda w: f"/producer/{_own(w)}/edit", {}, only((P,))),
    # No file sent: the member gets the form back with an error, everyone else is refused first.
    "producer.upload_image": ("POST", lambda w: f"/producer/{_own(w)}/images/logo", {}, only((P,), ok=400)),
    "producer.members": ("GET", lambda w: f"/producer/{_own(w)}/members", {}, only((P,))),
    "producer.invite": (
        "POST",
        lambda w: f"/producer/{_own(w)}/members/invite",
        {"email": "new.member@example.com", "role": "staff"},
        only((P,), ok=302),
    ),
    # The invitation is for the consumer: other signed-in users are told it is not theirs.
    "producer.invitation": ("GET", _invitation_for_consumer, {}, only((C,))),
    "producer.accept_invitation": ("POST", _invitation_for_consumer, {}, only((C,), ok=302)),
    "review.dashboard_for_reviewer": ("GET", "/review/", {}, only((R, ADM))),
    "review.queue": ("GET", "/review/producers", {}, only((R, ADM))),
    "review.producer": (
        "GET",
        lambda w: f"/review/producers/{w.objects['other_county_producer'].id}",
        {},
        _other_county_only_admin(),
    ),
    "review.decide": (
        "POST",
        lambda w: f"/review/producers/{_fresh_other_county_producer(w)}/decision",
        {"action": "approve"},
        _other_county_only_admin() | {ADM: 302},
    ),
    "audit.log": ("GET", "/admin/audit/", {}, only((ADM,))),
}
