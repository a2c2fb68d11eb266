"""Who acts for an institution and how: members and their roles, spending limit, approval rule, pairing.

Only the institution's approvers change these. Plain functions; they ``flush()`` but never ``commit()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from core.accounts import find_user_by_email, normalise_email, require_verified_email
from core.errors import DomainError, PermissionDenied
from core.i18n import in_language_of
from core.models import User
from core.notifications.services import notify
from core.urls import path_for
from procurement.institutions.models import Institution, InstitutionMember, InstitutionRole
from procurement.institutions.services import InstitutionFieldError, paired_counties
from procurement.labels import institution_role_label

#: The largest amount an Integer column holds, in fen (about ¥21.47 million).
MAX_FEN = 2_147_483_647


class NotInstitutionApprover(PermissionDenied):
    """Only the institution's approvers manage its members and settings."""

    message = _l("Only approvers of this institution can manage its members and settings.")


class MemberError(DomainError):
    """A member cannot be added or removed as asked."""

    status = 409


class NoSuchAccount(MemberError):
    """Members are existing accounts: the person signs up first."""

    status = 400
    message = _l("No account uses %(email)s. Ask them to sign up first, then add them here.")


class NoRoleChosen(MemberError):
    """At least one role must be given."""

    status = 400
    message = _l("Choose at least one role.")


class RolesHeldAlready(MemberError):
    """The person already holds every role asked for."""

    message = _l("%(email)s already holds these roles.")


class LastApprover(MemberError):
    """An institution always keeps at least one approver, or nobody could manage it."""

    message = _l(
        "The institution needs at least one approver. Add another approver before removing this one."
    )


class MemberNotFound(MemberError):
    """The membership does not belong to this institution (or was removed already)."""

    status = 404
    message = _l("This member does not exist.")


@dataclass(kw_only=True)
class InstitutionSettings:
    """What approvers set: the spending limit (None: no limit), the approval rule and paired counties."""

    spending_limit_fen: int | None
    requires_approval: bool
    paired_county_codes: Sequence[str] = field(default_factory=tuple)


def is_member_of(user: User, institution: Institution, *roles: InstitutionRole) -> bool:
    """Whether ``user`` acts for ``institution`` (in one of ``roles`` when given)."""
    if not getattr(user, "is_authenticated", False):
        return False
    held = institution.roles_of(user)
    return bool(held & set(roles)) if roles else bool(held)


def _require_approver(actor: User, institution: Institution) -> None:
    if not is_member_of(actor, institution, InstitutionRole.APPROVER):
        raise NotInstitutionApprover()


def members_by_user(institution: Institution) -> list[tuple[User, list[InstitutionMember]]]:
    """The institution's people, each with their memberships (one per role) in role order."""
    order = list(InstitutionRole)
    grouped: dict[int, tuple[User, list[InstitutionMember]]] = {}
    for member in institution.members:
        grouped.setdefault(member.user_id, (member.user, []))[1].append(member)
    for _user, memberships in grouped.values():
        memberships.sort(key=lambda m: order.index(m.role))
    return sorted(grouped.values(), key=lambda pair: pair[0].display_name)


def sole_approver_who_buys(institution: Institution) -> User | None:
    """The only approver, when they are also a buyer: their own orders needing approval would wait forever."""
    approvers = {m.user_id: m.user for m in institution.members if m.role is InstitutionRole.APPROVER}
    if len(approvers) != 1:
        return None
    (user,) = approvers.values()
    return user if InstitutionRole.BUYER in institution.roles_of(user) else None


def add_member(
    session: Session,
    actor: User,
    institution: Institution,
    email: str,
    roles: Iterable[InstitutionRole | str],
) -> list[InstitutionMember]:
    """Give the account with ``email`` the ``roles`` it does not hold yet in ``institution``; tell them.

    Raises :class:`NotInstitutionApprover`, :class:`NoRoleChosen`, :class:`NoSuchAccount`,
    :class:`core.accounts.EmailNotVerified` (roles go only to a confirmed address) and
    :class:`RolesHeldAlready`; nothing is added then. Does not commit.
    """
    _require_approver(actor, institution)
    wanted = [role for role in InstitutionRole if role.value in {str(r) for r in roles}]
    if not wanted:
        raise NoRoleChosen()
    address = normalise_email(email)
    user = find_user_by_email(session, address)
    if user is None:
        raise NoSuchAccount(email=address)
    require_verified_email(
        user,
        _l(
            "%(email)s has not confirmed this e-mail address yet. Ask them to open the link we e-mailed them "
            "(they can send a new one from their account page), then add them again."
        ),
        email=user.email,
    )
    held = institution.roles_of(user)
    added = [InstitutionMember(user=user, role=role) for role in wanted if role not in held]
    if not added:
        raise RolesHeldAlready(email=user.email)
    institution.members.extend(added)
    session.flush()
    with in_language_of(user):
        names = "、".join(institution_role_label(m.role) for m in added)
        notify(
            session,
            user,
            "institution.member_added",
            _("You now act for %(name)s", name=institution.name),
            _("%(actor)s gave you these roles: %(roles)s.", actor=actor.display_name, roles=names),
            link=path_for("progress.dashboard"),
        )
    return added


def remove_member_role(
    session: Session, actor: User, institution: Institution, member_id: int
) -> InstitutionMember:
    """Take one role (one membership row) away; the last approver's approver role is never removed.

    Raises :class:`NotInstitutionApprover`, :class:`MemberNotFound` and :class:`LastApprover`.
    Does not commit.
    """
    _require_approver(actor, institution)
    member = next((m for m in institution.members if m.id == member_id), None)
    if member is None:
        raise MemberNotFound()
    if member.role is InstitutionRole.APPROVER:
        approvers = {m.user_id for m in institution.members if m.role is InstitutionRole.APPROVER}
        if approvers == {member.user_id}:
            raise LastApprover()
    institution.members.remove(member)
    session.flush()
    return member


def update_settings(
    session: Session, actor: User, institution: Institution, settings: InstitutionSettings
) -> None:
    """Set the spending limit, the every-order-needs-approval rule and the paired counties.

    Raises :class:`NotInstitutionApprover` and :class:`InstitutionFieldError` (a negative or too large
    limit, unknown counties); nothing changes then. Does not commit.
    """
    _require_approver(actor, institution)
    limit = settings.spending_limit_fen
    if limit is not None and not 0 <= limit <= MAX_FEN:
        raise InstitutionFieldError(
            _l("Enter an amount from ¥0 to ¥%(max)s."), field="spending_limit", max=f"{MAX_FEN // 100:,}"
        )
    counties = paired_counties(session, settings.paired_county_codes)
    institution.spending_limit_fen = limit
    institution.requires_approval = bool(settings.requires_approval)
    institution.paired_counties = counties
    session.flush()
