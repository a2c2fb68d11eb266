"""Account services: sign-up, authentication, e-mail confirmation, sessions, password changes, roles.

They flush, never commit. Passwords follow :mod:`core.passwords`; a user's sessions end everywhere when
:meth:`core.models.User.end_sessions` gives them a new generation (log-out, password change, role change).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from core.db import utcnow
from core.errors import DomainError
from core.models import Region, RegionLevel, User
from core.notifications.services import notify, text_for
from core.passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH
from core.passwords import WeakPassword, check_password
from core.urls import path_for

__all__ = ["MIN_PASSWORD_LENGTH", "WeakPassword"]

#: How long an e-mailed confirmation link works.
CONFIRMATION_MAX_AGE_SECONDS = 7 * 24 * 60 * 60
_CONFIRMATION_SALT = "core.accounts.confirm-email"


class EmailTaken(DomainError):
    """Someone already signed up with this address (only ever said to an operator, never on sign-up)."""

    status = 409
    message = _l("An account with this e-mail address already exists.")


class EmailNotVerified(DomainError):
    """Roles are granted only to accounts whose e-mail address was confirmed."""

    status = 409
    message = _l(
        "Confirm your e-mail address first: follow the link we e-mailed you, or send a new one from your "
        "account page."
    )


class ConfirmationLinkInvalid(DomainError):
    """The confirmation link is broken, expired, or for another account."""

    message = _l("This confirmation link is not valid. Send a new one from your account page.")


#: Messages of the sign-up and confirmation flow (subject, body), written in the recipient's language.
CONFIRM_MESSAGE = (
    _l("Confirm your e-mail address"),
    _l(
        "Hello %(name)s, please confirm that this e-mail address belongs to your account by opening the link "
        "below while signed in. The link works for %(days)s days. If you did not create an account, ignore "
        "this message."
    ),
)
SIGNUP_ATTEMPT_MESSAGE = (
    _l("Someone tried to create an account with your address"),
    _l(
        "Someone, perhaps you, tried to create a new account with this e-mail address. You already have "
        "one: sign in with your password. If it was not you, nothing changed and you can ignore this message."
    ),
)


def normalise_email(email: str) -> str:
    """Lower-case and trim an e-mail address so look-ups are case-insensitive."""
    return email.strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    """Return the user with this e-mail address, if any."""
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def register_user(
    session: Session,
    *,
    email: str,
    password: str,
    display_name: str,
    locale: str | None = None,
    verified: bool = False,
) -> User:
    """Create a consumer account (``verified``: its address is vouched for, e.g. by an operator).

    Raises :class:`EmailTaken` or :class:`WeakPassword`; does not commit.
    """
    check_password(password, email=email)
    email = normalise_email(email)
    if find_user_by_email(session, email) is not None:
        raise EmailTaken()
    user = User(email=email, display_name=display_name.strip(), locale=locale)
    user.set_password(password)
    if verified:
        user.email_verified_at = utcnow()
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class SignUp:
    """What a sign-up did; the person signing up is told the same whichever it was."""

    user: User
    created: bool


def sign_up(
    session: Session, secret_key: str, *, email: str, password: str, display_name: str, locale: str | None
) -> SignUp:
    """Create an unconfirmed account and e-mail it a confirmation link, or, when the address has an account
    already, e-mail its holder that someone tried (nothing else changes).

    The asker cannot tell which happened: both queue one message and hash the password once. Raises
    :class:`WeakPassword` (for any address alike). Does not commit.
    """
    check_password(password, email=email)
    existing = find_user_by_email(session, email)
    if existing is not None:
        generate_password_hash(password)  # the same work as creating an account
        notify(
            session,
            existing,
            "account.signup_attempt",
            text_for(existing, SIGNUP_ATTEMPT_MESSAGE[0]),
            text_for(existing, SIGNUP_ATTEMPT_MESSAGE[1]),
            link=path_for("auth.login"),
        )
        return SignUp(existing, created=False)
    user = register_user(session, email=email, password=password, display_name=display_name, locale=locale)
    send_confirmation(session, secret_key, user)
    return SignUp(user, created=True)


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_CONFIRMATION_SALT)


def _address_digest(email: str) -> str:
    """A short digest of the address, so a link stops working if the address changes."""
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()[:16]


def confirmation_token(secret_key: str, user: User) -> str:
    """A signed, expiring token that confirms ``user``'s current address."""
    return str(_serializer(secret_key).dumps([user.id, _address_digest(user.email)]))


def send_confirmation(session: Session, secret_key: str, user: User) -> None:
    """E-mail ``user`` a link that confirms their address (e-mail only: the inbox never shows it, since
    whoever signed in is not proof of owning the mailbox). Does not commit."""
    link = path_for("auth.confirm_email", token=confirmation_token(secret_key, user))
    days = CONFIRMATION_MAX_AGE_SECONDS // 86400
    subject, body = CONFIRM_MESSAGE
    notify(
        session,
        user,
        "account.confirm_email",
        text_for(user, subject),
        text_for(user, body, name=user.display_name, days=days),
        link=link,
        email_only=True,
    )


def confirm_email(session: Session, secret_key: str, user: User, token: str) -> bool:
    """Mark ``user``'s address confirmed if ``token`` was made for it and has not expired.

    Returns False when it was confirmed already. Raises :class:`ConfirmationLinkInvalid` (also for a link
    made for another account: the reader must be signed in as the account, so a link alone never confirms
    an address for an account someone else created). Does not commit.
    """
    try:
        user_id, digest = _serializer(secret_key).loads(token, max_age=CONFIRMATION_MAX_AGE_SECONDS)
    except SignatureExpired as exc:
        raise ConfirmationLinkInvalid(
            _l("This confirmation link has expired. Send a new one from your account page.")
        ) from exc
    except (BadSignature, ValueError, TypeError) as exc:
        raise ConfirmationLinkInvalid() from exc
    if user_id != user.id or digest != _address_digest(user.email):
        raise ConfirmationLinkInvalid(
            _l("This link confirms the address of another account. Sign in as that account to use it.")
        )
    if user.is_email_verified:
        return False
    user.email_verified_at = utcnow()
    session.flush()
    return True


def require_verified_email(user: User, message: object = None, **params: object) -> None:
    """Raise :class:`EmailNotVerified` (with ``message`` if given) unless ``user`` confirmed the address."""
    if not user.is_email_verified:
        raise EmailNotVerified(message, **params)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the active user whose credentials match, ``None`` otherwise. Reads only.

    The password hash is checked even for unknown addresses so response time does not reveal which exist.
    """
    user = find_user_by_email(session, email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


def record_login(session: Session, user_id: int) -> None:
    """Record the log-in time with one UPDATE (run it as a unit of work: a refused write is retried)."""
    session.execute(update(User).where(User.id == user_id).values(last_login_at=utcnow()))


class WrongPassword(DomainError):
    """The current password given does not match."""

    message = _l("The current password is not correct.")


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Replace the user's password after checking the current one and end every session of the user (the
    caller signs the current device in again). Raises :class:`WrongPassword` or :class:`WeakPassword`.
    Does not commit."""
    if not user.check_password(current):
        raise WrongPassword()
    check_password(new, email=user.email)
    user.set_password(new)
    user.end_sessions()
    session.flush()


def sign_out(session: Session, user: User) -> None:
    """End every session of ``user`` on every device (log-out). Does not commit."""
    user.end_sessions()
    session.flush()


def set_roles(session: Session, user: User, *, is_admin: bool, county_codes: Iterable[str]) -> None:
    """Set the admin flag and the counties the user reviews for; a change ends the user's sessions.

    Granting a role the user does not hold yet needs a confirmed address (:class:`EmailNotVerified`);
    taking roles away never does. Does not commit.
    """
    codes = set(county_codes)
    counties = list(
        session.scalars(select(Region).where(Region.code.in_(codes), Region.level == RegionLevel.COUNTY))
    )
    if len(counties) != len(codes):
        raise DomainError(_l("Unknown county code."))
    held = {c.id for c in user.reviewer_counties}
    granted = (is_admin and not user.is_admin) or any(c.id not in held for c in counties)
    if granted:
        require_verified_email(
            user,
            _l("%(email)s has not confirmed this e-mail address yet, so it cannot be given roles."),
            email=user.email,
        )
    if is_admin == user.is_admin and {c.id for c in counties} == held:
        return
    user.is_admin = is_admin
    user.reviewer_counties = counties
    user.end_sessions()
    session.flush()


def count_users(session: Session) -> int:
    """Return the number of accounts."""
    return session.scalar(select(func.count(User.id))) or 0


@cache
def _dummy_hash() -> str:
    """A hash to check against for unknown addresses (computed once, on first failed log-in)."""
    return generate_password_hash("not-a-real-password")
