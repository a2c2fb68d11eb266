"""Why an invitation code cannot be claimed or a buyer may not use a promotion or flash sale."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import DomainError


class NotEligible(DomainError):
    """The buyer is not among who may use it (the message says why)."""

    status = 403
    message = _l("You may not use this promotion.")


class UnknownInvitation(DomainError):
    """No invitation has this code."""

    status = 404
    message = _l("There is no invitation with this code. Check the code and try again.")


class InvitationTaken(DomainError):
    """Another buyer already claimed this code."""

    status = 409
    message = _l("This invitation code has already been used by another buyer.")


class InvalidInvitations(DomainError):
    """Invitations cannot be made as asked."""

    status = 422
    message = _l("Make from 1 to %(max)s invitation codes at a time, for a promotion open to invited buyers.")
