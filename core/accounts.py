"""Account services: sign-up, authentication, password changes, roles. They flush, never commit."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from core.db import utcnow
from core.errors import DomainError
from core.models import Region, RegionLevel, User

MIN_PASSWORD_LENGTH = 8


class EmailTaken(DomainError):
    """Someone already signed up with this address."""

    status = 409
    message = _l("An account with this e-mail address already exists.")


class WeakPassword(DomainError):
    """The password is too short to protect an account."""

    message = _l("The password must have at least %(min)s characters.")


def normalise_email(email: str) -> str:
    """Lower-case and trim an e-mail address so look-ups are case-insensitive."""
    return email.strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    """Return the user with this e-mail address, if any."""
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def register_user(
    session: Session, *, email: str, password: str, display_name: str, locale: str | None = None
) -> User:
    """Create a consumer account. Raises :class:`EmailTaken` or :class:`WeakPassword`; does not commit."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(min=MIN_PASSWORD_LENGTH)
    email = normalise_email(email)
    if find_user_by_email(session, email) is not None:
        raise EmailTaken()
    user = User(email=email, display_name=display_name.strip(), locale=locale)
    user.set_password(password)
    session.add(user)
    session.flush()
    return user


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
    """Replace the user's password after checking the current one. Does not commit."""
    if not user.check_password(current):
        raise WrongPassword()
    if len(new) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(min=MIN_PASSWORD_LENGTH)
    user.set_password(new)
    session.flush()


def set_roles(session: Session, user: User, *, is_admin: bool, county_codes: Iterable[str]) -> None:
    """Set the admin flag and the counties the user reviews for. Does not commit."""
    codes = set(county_codes)
    counties = list(
        session.scalars(select(Region).where(Region.code.in_(codes), Region.level == RegionLevel.COUNTY))
    )
    if len(counties) != len(codes):
        raise DomainError(_l("Unknown county code."))
    user.is_admin = is_admin
    user.reviewer_counties = counties
    session.flush()


def count_users(session: Session) -> int:
    """Return the number of accounts."""
    return session.scalar(select(func.count(User.id))) or 0


@cache
def _dummy_hash() -> str:
    """A hash to check against for unknown addresses (computed once, on first failed log-in)."""
    return generate_password_hash("not-a-real-password")
