"""Domain errors and the error pages (HTML for people, JSON for the API)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from core.db import db_session

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the marketplace was broken; views turn it into a message and ``status``.

    ``message`` is user-facing and translatable; subclasses name the rule (``OutOfStock``, ...).
    """

    status = 400
    message: Any = _l("This action is not allowed.")

    def __init__(self, message: Any = None, **params: Any) -> None:
        if message is not None:
            self.message = message
        self.params = params
        super().__init__(str(self.message))

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


class NotFound(DomainError):
    """The thing asked for does not exist (or the user may not know it does)."""

    status = 404
    message = _l("Not found.")


class PermissionDenied(DomainError):
    """The acting user may not do this."""

    status = 403
    message = _l("You do not have permission to do this.")


class InvalidTransition(DomainError):
    """A state change that the object's state machine does not allow."""

    status = 409
    message = _l("This change is not possible in the current state.")


ERROR_TITLES = {
    400: _l("Bad request"),
    403: _l("Access denied"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    413: _l("Upload too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
    503: _l("Service unavailable"),
}

ERROR_HINTS = {
    400: _l("The request could not be understood. Please check what you entered and try again."),
    403: _l("You do not have permission to open this page. Sign in with an account that does."),
    404: _l("The page you asked for does not exist or has moved."),
    405: _l("This address does not accept that kind of request."),
    409: _l("This change conflicts with the current state. Reload the page and try again."),
    413: _l("The file is too large."),
    429: _l("Too many attempts in a short time. Please wait a minute and try again."),
    500: _l("An unexpected error occurred. It has been logged; please try again later."),
    503: _l("The service is temporarily unavailable. Please try again shortly."),
}


def wants_json() -> bool:
    """Whether the client should get a JSON error (API routes and JSON-preferring clients)."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(status: int, message: str | None = None) -> Response:
    """Render the error page (or JSON) for ``status`` after rolling back the request's work."""
    db_session.rollback()
    title = str(ERROR_TITLES.get(status, ERROR_TITLES[500]))
    detail = message or str(ERROR_HINTS.get(status, ERROR_HINTS[500]))
    if wants_json():
        response: Response = jsonify(error={"status": status, "title": title, "message": detail})
    else:
        html = render_template("core/errors/error.html", status=status, title=title, detail=detail)
        response = make_response(html)
    response.status_code = status
    return response


def handle_http_exception(exc: HTTPException) -> ResponseReturnValue:
    """Turn a Werkzeug HTTP error into our page, keeping its headers (e.g. Retry-After, Allow)."""
    status = exc.code or 500
    message = None
    if isinstance(exc, CSRFError):
        message = str(_l("The form expired or was sent from elsewhere. Reload the page and try again."))
    response = error_response(status, message)
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def handle_domain_error(exc: DomainError) -> ResponseReturnValue:
    """Show a broken domain rule as a clear message with its status code."""
    return error_response(exc.status, str(exc))


def handle_unexpected(exc: Exception) -> ResponseReturnValue:
    """Log the traceback and show the generic 500 page (after rolling back)."""
    if isinstance(exc, HTTPException):
        return handle_http_exception(exc)
    log.exception("unhandled error", exc_info=exc)
    return error_response(InternalServerError.code)


#: PostgreSQL SQLSTATE classes that mean "not now" rather than "wrong": connection exception, insufficient
#: resources, operator intervention (shutdown, restart, "cannot connect now"); and the transient refusals.
UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57")
TRANSIENT_SQLSTATES = ("40001", "40P01")
#: SQLite result codes of the same kind: busy, locked, read-only, I/O error, disk full, cannot open.
UNAVAILABLE_SQLITE_CODES = frozenset({5, 6, 8, 10, 13, 14})
#: Seconds a client is asked to wait before trying again.
RETRY_AFTER_SECONDS = 5


def database_unavailable(exc: DBAPIError) -> bool:
    """Whether the database failed because it is down, restarting, overloaded or busy (not a bug in a query).

    A connection that broke or could not be made (no SQLSTATE at all), PostgreSQL's connection and
    operator-intervention classes, deadlocks and serialization failures, and SQLite's busy/locked/I-O codes
    count; a wrong query (syntax, missing table, constraint) does not.
    """
    if exc.connection_invalidated:
        return True
    original = exc.orig
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate:
        return str(sqlstate)[:2] in UNAVAILABLE_SQLSTATE_CLASSES or sqlstate in TRANSIENT_SQLSTATES
    sqlite_code = getattr(original, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return (int(sqlite_code) & 0xFF) in UNAVAILABLE_SQLITE_CODES  # the primary code, without extension
    return isinstance(exc, OperationalError | InterfaceError)


def _forget_session() -> None:
    """Drop the request's session without another round trip to a database that is not answering.

    Closing hands its connection back to the pool, which discards it if even the rollback fails. The
    error page shows the header of a visitor, so rendering it needs no query (unread messages…) either.
    """
    session = g.pop("db_session", None)
    if session is not None:
        try:
            session.close()
        except DBAPIError:  # the pool could not even reset it: the connection is gone already
            log.debug("session closed with a dead connection")
    if hasattr(current_app, "login_manager"):
        g._login_user = current_app.login_manager.anonymous_user()


def handle_database_error(exc: DBAPIError) -> ResponseReturnValue:
    """503 with ``Retry-After`` while the database is unavailable; any other database error is a 500."""
    if not database_unavailable(exc):
        return handle_unexpected(exc)
    reason = (str(exc.orig).strip().splitlines() or [""])[0]
    log.warning("database unavailable (%s): %s", exc.__class__.__name__, reason)
    _forget_session()
    try:
        response = error_response(503)
    except DBAPIError:  # something on the page still wanted the database: say it in plain words
        _forget_session()
        response = make_response(
            f"{ERROR_TITLES[503]}\n{ERROR_HINTS[503]}\n", 503, {"Content-Type": "text/plain"}
        )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(Exception, handle_unexpected)
