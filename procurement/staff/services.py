"""Staff purchases: a consumer opts in to count their shop purchases toward their employer (职工个人).

Plain functions; they ``flush()`` but never ``commit()``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.validators import CreditCodeError, validate_credit_code
from core.errors import DomainError
from core.models import User
from procurement.institutions.models import Institution, InstitutionStatus, StaffLink


class StaffLinkError(DomainError):
    """The link cannot be made as asked."""


class EmployerCodeInvalid(StaffLinkError):
    """The credit code is not a valid one (the validator's message says why)."""


class EmployerNotFound(StaffLinkError):
    """No verified institution has this credit code."""

    status = 404
    message = _l(
        "No verified institution is registered with this credit code. Check the code, or ask your employer "
        "to register and be verified first."
    )


def staff_link_of(session: Session, user: User) -> StaffLink | None:
    """The user's link to their employer, if they made one."""
    return session.scalar(select(StaffLink).where(StaffLink.user_id == user.id))


def staff_institution_id(session: Session, user: User) -> int | None:
    """The institution the user's shop purchases count toward now: linked and still verified, else None."""
    return session.scalar(
        select(StaffLink.institution_id)
        .join(Institution, Institution.id == StaffLink.institution_id)
        .where(StaffLink.user_id == user.id, Institution.status == InstitutionStatus.VERIFIED)
    )


def link_staff(session: Session, user: User, credit_code: str) -> StaffLink:
    """Link ``user``'s shop purchases to the verified institution with ``credit_code`` (replacing a link).

    Raises :class:`EmployerCodeInvalid` with the validator's message and :class:`EmployerNotFound`;
    nothing changes then. Does not commit.
    """
    try:
        code = validate_credit_code(credit_code or "")
    except CreditCodeError as exc:
        raise EmployerCodeInvalid(exc.message) from exc
    employer = session.scalar(
        select(Institution).where(
            Institution.credit_code == code, Institution.status == InstitutionStatus.VERIFIED
        )
    )
    if employer is None:
        raise EmployerNotFound()
    link = staff_link_of(session, user)
    if link is None:
        link = StaffLink(user_id=user.id, institution=employer)
        session.add(link)
    else:
        link.institution = employer
    session.flush()
    return link


def unlink_staff(session: Session, user: User) -> bool:
    """Remove the user's link; later purchases no longer count toward the employer. Does not commit.

    Returns whether there was a link. Orders placed while linked keep counting.
    """
    link = staff_link_of(session, user)
    if link is None:
        return False
    session.delete(link)
    session.flush()
    return True
