"""API tokens: random bearer secrets for reviewers' and admins' programs, stored only as SHA-256 hashes.

A token is shown once when created; afterwards only its first characters identify it. What a token may read
is decided at each use from its owner's current roles, so taking a county away from a reviewer also takes it
away from their tokens. Revoked tokens stay listed (with when they were revoked) and never work again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.audit.services import record
from core.db import Base, UTCDateTime, utcnow
from core.errors import DomainError, PermissionDenied
from core.models import User

#: Printed before the secret so a leaked token is recognisable (e.g. by secret scanners).
TOKEN_PREFIX = "xfbf_"  # noqa: S105 (a public marker, not a secret)
#: How many leading characters of a token are kept in clear to tell tokens apart.
HINT_LENGTH = len(TOKEN_PREFIX) + 6
#: ``last_used_at`` is written at most this often per token (not on every request).
TOUCH_INTERVAL = timedelta(minutes=1)


class ApiToken(Base):
    """A bearer token of one user for the JSON API."""

    __tablename__ = "core_api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    #: SHA-256 of the whole token, hex; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The token's first characters, to recognise it in the list.
    hint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @property
    def is_active(self) -> bool:
        """Whether the token still opens the API."""
        return self.revoked_at is None


class TokenNameInvalid(DomainError):
    """A token needs a short name saying what it is for."""

    status = 400
    message = _l("Give the token a name of 1 to 80 characters.")


def may_hold_tokens(user: User) -> bool:
    """Only county reviewers and administrators use the statistics API."""
    return bool(user.is_authenticated) and (user.is_admin or user.is_reviewer)


def _digest(raw: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; return it and the secret (shown once, never stored).

    Raises :class:`PermissionDenied` unless the user is a reviewer or admin, :class:`TokenNameInvalid` for an
    empty or long name. Records the creation in the audit log. Does not commit.
    """
    if not may_hold_tokens(user):
        raise PermissionDenied()
    name = (name or "").strip()
    if not 1 <= len(name) <= 80:
        raise TokenNameInvalid()
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=_digest(raw), hint=raw[:HINT_LENGTH])
    session.add(token)
    session.flush()
    record(session, user, "api_token.create", "api_token", token.id, after={"name": name})
    return token, raw


def revoke_token(session: Session, actor: User, token: ApiToken) -> None:
    """Revoke ``token`` (its owner or an admin); revoking twice changes nothing. Does not commit.

    Raises :class:`PermissionDenied` for anyone else.
    """
    if not (actor.is_admin or token.user_id == actor.id):
        raise PermissionDenied()
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    session.flush()
    record(session, actor, "api_token.revoke", "api_token", token.id, before={"name": token.name})


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked ones included)."""
    query = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    return list(session.scalars(query))


def authenticate(session: Session, raw: str) -> ApiToken | None:
    """The active token whose secret is ``raw``, owned by an active user; None otherwise.

    Notes the time of use (at most once a minute). Does not commit.
    """
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    digest = _digest(raw)
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if token.revoked_at is not None or not token.user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_INTERVAL:
        token.last_used_at = now
        session.flush()
    return token
