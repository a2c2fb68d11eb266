"""What livestreams refuse, each with its message and status."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import DomainError


class SessionFieldError(DomainError):
    """A fact of a session cannot be used."""

    status = 422
    message = _l("Check the session's title, host and times: the end comes after the start, within 24 hours.")


class NotAnOrganiser(DomainError):
    """Sessions are organised by producers, institutions, county offices and administrators."""

    status = 403
    message = _l(
        "Only producers, institutions' members, county offices and administrators organise livestreams."
    )


class FeaturedProductsInvalid(DomainError):
    """A session features 1 to 30 products that are on sale."""

    status = 422
    message = _l(
        "Feature 1 to %(max)s products on sale, by their numbers (the number in the product's address)."
    )


class ReplayLinkInvalid(DomainError):
    """A replay link is an https address."""

    status = 422
    message = _l("The replay link must be an https:// address.")
