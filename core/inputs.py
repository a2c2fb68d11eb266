"""What no request may carry: the NUL character, in its path, query string or form.

No field of the app can hold NUL — PostgreSQL refuses it in text, so a NUL that reached a query answered 500
on PostgreSQL while SQLite stored it silently — and no person types it. It is refused once, before any view
runs, with a 400 that says why, whichever database is behind. (Uploaded files and raw bodies, such as a
webhook's, are not text fields and are left to their own checks.)
"""

from __future__ import annotations

from flask import Flask, request
from flask_babel import lazy_gettext as _l

from core.errors import DomainError

NUL = "\x00"


class ForbiddenCharacter(DomainError):
    """The request contains a character no field accepts."""

    status = 400
    message = _l("The request contains a character that is not allowed (NUL). Remove it and try again.")


def _carries_nul() -> bool:
    """Whether the request's path, query string or form (names or values) contains NUL."""
    if NUL in request.path:
        return True
    for values in (request.args, request.form if request.method != "GET" else None):
        if values is None:
            continue
        for key, value in values.items(multi=True):
            if NUL in key or NUL in value:
                return True
    return False


def refuse_nul() -> None:
    """``before_request``: raise :class:`ForbiddenCharacter` for a request carrying NUL."""
    if _carries_nul():
        raise ForbiddenCharacter()


def init_app(app: Flask) -> None:
    """Refuse NUL before any other request hook (CSRF included) and any view."""
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_nul)
