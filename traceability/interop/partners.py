"""Partners and their API tokens: an administrator registers a partner with the producers and counties it
serves and issues tokens (the secret is shown once; only its SHA-256 is kept). Every function flushes, none
commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from core.audit.services import record
from core.db import utcnow
from core.errors import PermissionDenied
from core.models import Region, RegionLevel, User
from core.text import forbidden_character
from traceability.interop.errors import PartnerInvalid
from traceability.interop.models import EpcisEventLot, Partner, PartnerKind, PartnerScope, PartnerToken
from traceability.models import Batch

#: Printed before the secret so a leaked partner token is recognisable.
TOKEN_PREFIX = "xfep_"  # noqa: S105 (a public marker, not a secret)
HINT_LENGTH = len(TOKEN_PREFIX) + 6
TOUCH_INTERVAL = timedelta(minutes=1)


def _digest(raw: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def register_partner(
    session: Session,
    admin: User,
    name: str,
    kind: PartnerKind,
    producers: Iterable[Producer] = (),
    counties: Iterable[Region] = (),
) -> Partner:
    """Register a partner serving ``producers`` and every producer of ``counties``. Administrators only.

    Raises :class:`PermissionDenied`, :class:`PartnerInvalid` (no name, a name taken, no scope, a region that
    is not a county). Audited. Does not commit.
    """
    if not admin.is_admin:
        raise PermissionDenied()
    name = (name or "").strip()
    producers, counties = list(producers), list(counties)
    if not 1 <= len(name) <= 120 or forbidden_character(name):
        raise PartnerInvalid()
    if session.scalar(select(Partner.id).where(Partner.name == name)):
        raise PartnerInvalid()
    if not (producers or counties) or any(c.level != RegionLevel.COUNTY for c in counties):
        raise PartnerInvalid()
    partner = Partner(name=name, kind=kind, created_by_id=admin.id)
    partner.scopes = [PartnerScope(producer_id=p.id) for p in producers] + [
        PartnerScope(county_id=c.id) for c in counties
    ]
    session.add(partner)
    session.flush()
    after = {
        "name": name,
        "kind": str(kind),
        "producers": [p.id for p in producers],
        "counties": [c.code for c in counties],
    }
    record(session, admin, "epcis_partner.create", "epcis_partner", partner.id, after=after)
    return partner


def issue_partner_token(
    session: Session, admin: User, partner: Partner, name: str
) -> tuple[PartnerToken, str]:
    """A new token for ``partner``; returns it and the secret (shown once, never stored).

    Raises :class:`PermissionDenied` unless ``admin`` is an administrator, :class:`PartnerInvalid` for an
    empty or long name or an inactive partner. Audited. Does not commit.
    """
    if not admin.is_admin:
        raise PermissionDenied()
    name = (name or "").strip()
    if not 1 <= len(name) <= 80 or forbidden_character(name) or not partner.is_active:
        raise PartnerInvalid()
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = PartnerToken(partner=partner, name=name, token_hash=_digest(raw), hint=raw[:HINT_LENGTH])
    session.add(token)
    session.flush()
    record(
        session, admin, "epcis_partner_token.create", "epcis_partner_token", token.id, after={"name": name}
    )
    return token, raw


def revoke_partner_token(session: Session, admin: User, token: PartnerToken) -> None:
    """Revoke ``token`` for good (twice changes nothing). Administrators only; audited. Does not commit."""
    if not admin.is_admin:
        raise PermissionDenied()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
        record(session, admin, "epcis_partner_token.revoke", "epcis_partner_token", token.id)


def authenticate_partner(session: Session, raw: str) -> Partner | None:
    """The active partner whose live token is ``raw``, else ``None``. Notes the token's use at most once a
    minute. Does not commit."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    digest = _digest(raw)
    token = session.scalar(select(PartnerToken).where(PartnerToken.token_hash == digest))
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if token.revoked_at is not None or not token.partner.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_INTERVAL:
        token.last_used_at = now
        session.flush()
    return token.partner


def scope_ids(partner: Partner) -> tuple[list[int], list[int]]:
    """The producers and the counties a partner serves."""
    producers = [s.producer_id for s in partner.scopes if s.producer_id is not None]
    counties = [s.county_id for s in partner.scopes if s.county_id is not None]
    return producers, counties


def serves(partner: Partner, batch: Batch) -> bool:
    """Whether ``batch`` belongs to a producer the partner serves (by name or by county)."""
    producers, counties = scope_ids(partner)
    return batch.producer_id in producers or batch.producer.county_id in counties


def scope_conditions(partner: Partner) -> list[ColumnElement[bool]]:
    """One condition on :class:`EpcisEventLot` per producer and per county the partner serves."""
    producers, counties = scope_ids(partner)
    return [EpcisEventLot.producer_id == p for p in producers] + [
        EpcisEventLot.county_id == c for c in counties
    ]


def visible_lots(partner: Partner) -> ColumnElement[bool]:
    """The condition on :class:`EpcisEventLot` rows the partner may see (one index per branch)."""
    producers, counties = scope_ids(partner)
    return or_(EpcisEventLot.producer_id.in_(producers), EpcisEventLot.county_id.in_(counties))
