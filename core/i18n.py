"""Languages: Simplified Chinese by default, English on request, remembered per user and per session."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from babel import Locale, support
from flask import (
    Blueprint,
    Flask,
    current_app,
    has_app_context,
    has_request_context,
    redirect,
    request,
    session,
)
from flask.typing import ResponseReturnValue
from flask_babel import Babel, force_locale, format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.i18n import messages_path

from core.db import db_session
from core.models import User
from core.security import csrf
from core.urls import safe_next_url

babel = Babel()
bp = Blueprint("i18n", __name__)

__all__ = ["_", "_l", "babel", "bp", "format_fen", "init_app"]


@functools.lru_cache(maxsize=8)
def parsed_locale(code: str) -> Locale:
    """The Babel locale of ``code``, parsed once (parsing costs more than a cached page takes to serve)."""
    return Locale.parse(code)


@functools.lru_cache(maxsize=8)
def wtforms_translations(code: str) -> support.NullTranslations:
    """WTForms' own messages ("This field is required.") in ``code``, read from disk once per process."""
    return support.Translations.load(messages_path(), [code], domain="wtforms")


def _prime_wtforms_translations() -> None:
    """Hand Flask-WTF this process's copy of WTForms' catalog for the request's language.

    Flask-WTF reads the catalog from disk on the first form of every request (it keeps it on the request
    only): about a millisecond per form page. Requests without a session cookie that only read (scans,
    crawlers, the cached public pages) are left alone, so their answers do not start to vary by cookie.
    """
    if request.method in ("GET", "HEAD") and current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return
    if request.endpoint == "static":
        return
    request.wtforms_translations = wtforms_translations(current_language())  # type: ignore[attr-defined]


def select_locale() -> str:
    """Pick the signed-in user's choice, then the session's, then zh_CN (never the browser's guess)."""
    if not has_request_context():  # CLI, cron, worker threads: no user, no session
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return str(current_user.locale)
    chosen = session.get("locale")
    if chosen in languages:
        return str(chosen)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def current_language() -> str:
    """Return the request's language as one of ``LANGUAGES`` (``zh_CN`` or ``en``)."""
    locale = get_locale()
    if locale is None:
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    return f"{locale.language}_{locale.territory}" if locale.territory else str(locale.language)


def format_fen(amount_fen: int | None, *, symbol: bool = True) -> str:
    """Format integer fen as yuan, e.g. 12345 → ``¥123.45`` (integer arithmetic only)."""
    if amount_fen is None:
        return ""
    sign = "-" if amount_fen < 0 else ""
    yuan, fen = divmod(abs(int(amount_fen)), 100)
    return f"{sign}{'¥' if symbol else ''}{yuan:,}.{fen:02d}"


def format_local(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """Show a UTC timestamp in Asia/Shanghai (the app's display zone)."""
    return "" if value is None else format_datetime(value, fmt)


@bp.post("/language")
@csrf.exempt
def set_language() -> ResponseReturnValue:
    """Switch the interface language for this session and, when signed in, for the account.

    Only a signed-in user's switch (it changes the account) needs the CSRF token, so public pages carry none
    and set no cookie; a forged switch of a visitor's language would change nothing else (and SameSite=Lax
    keeps cross-site posts from carrying the session anyway).
    """
    if current_user.is_authenticated and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()  # what CSRFProtect does for every other POST (it honours the same setting)
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db_session.commit()
    return redirect(safe_next_url(request.form.get("next")))


def init_app(app: Flask) -> None:
    """Bind Flask-Babel and register the language switch and the money/time filters."""
    babel.init_app(app, locale_selector=lambda: parsed_locale(select_locale()))
    app.before_request(_prime_wtforms_translations)
    app.register_blueprint(bp)
    app.jinja_env.filters["fen"] = format_fen
    app.jinja_env.filters["local_dt"] = format_local

    @app.context_processor
    def _languages() -> dict[str, Any]:
        locale = current_language()
        return {
            "language_names": {"zh_CN": "中文", "en": "English"},
            "current_locale": locale,
            "html_lang": "zh-CN" if locale == "zh_CN" else "en",
        }


@contextmanager
def in_language_of(user: User | None) -> Iterator[None]:
    """Translate messages for ``user`` (a notification's recipient): their chosen language, else the
    marketplace's default (also for ``None``). The one place that decides a recipient's language."""
    default = current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN") if has_app_context() else "zh_CN"
    with force_locale((user.locale if user is not None else None) or default):
        yield
