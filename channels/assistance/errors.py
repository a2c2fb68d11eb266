"""What keeping an assistance group refuses, each with its message and status."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from core.errors import DomainError, PermissionDenied


class GroupFieldError(DomainError):
    """A submitted fact is not acceptable; ``field`` names the form field it concerns."""

    status = 400
    field = "name"

    def __init__(self, message: Any = None, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message, **params)
        if field is not None:
            self.field = field


class NotCountyOffice(PermissionDenied):
    """Only the reviewers of the group's county and administrators keep it."""

    message = _l("Only the county office of the county the group helps can change it.")


class GroupNameInvalid(GroupFieldError):
    """A name of 2 to 120 characters, unique in its county."""

    message = _l("Give the group a name of 2 to 120 characters.")


class GroupNameTaken(GroupFieldError):
    """Another group of the county has this name."""

    status = 409
    message = _l("The county already has a group with this name.")


class InstitutionUnknown(GroupFieldError):
    """No verified institution has this unified social credit code."""

    field = "credit_code"
    message = _l("No verified institution is registered with this unified social credit code.")


class AlreadyMember(GroupFieldError):
    """The institution already belongs to the group."""

    status = 409
    field = "credit_code"
    message = _l("%(institution)s is already a member of this group.")


class LeadStays(DomainError):
    """The lead unit cannot leave its own group."""

    status = 409
    message = _l("The lead unit stays in its group.")


class RegionNotInCounty(GroupFieldError):
    """A group pairs with towns and villages of the county it helps."""

    field = "region_code"
    message = _l("Choose a town or village of the county the group helps.")


class TargetInvalid(GroupFieldError):
    """A target is a positive amount for a year from 2021 to next year."""

    field = "amount"
    message = _l("Enter a positive amount for a year from 2021 to next year.")
