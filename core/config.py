"""Configuration: defaults, then ``instance/config.py``, then ``SHOP_*`` environment variables."""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from typing import Any

from flask import Flask

#: Secret keys that must never protect a real deployment.
INSECURE_SECRET_KEYS = frozenset({"", "dev", "change-me", "secret", "test"})


class DefaultConfig:
    """Settings every instance starts from; each can be overridden by the instance file or ``SHOP_*``."""

    SECRET_KEY = ""
    #: Empty means "SQLite file in the instance folder"; see :func:`database_url`.
    DATABASE_URL = ""
    #: Echo SQL statements to the log (debugging only).
    DATABASE_ECHO = False

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")

    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: "Keep me signed in" lasts 30 days (NIST SP 800-63B's re-authentication bound for AAL1); log-out, a
    #: password change or a role change ends it earlier on every device.
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 14

    WTF_CSRF_TIME_LIMIT = 60 * 60 * 8

    #: Flask-Limiter storage shared by every worker: ``redis://host:6379/0``. Required outside
    #: debug/testing (see :func:`load_config`); ``memory://`` counts per process, so N workers would allow
    #: N times the limit.
    RATELIMIT_STORAGE_URL = ""
    RATELIMIT_ENABLED = True
    #: While Redis is unreachable each process counts in memory (logged) instead of answering 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    #: Limits for the endpoints people can hammer with guesses.
    RATELIMIT_LOGIN = "10 per minute;50 per hour"
    RATELIMIT_SIGNUP = "5 per minute;30 per hour"
    #: Complaints and reports (投诉举报) may be sent anonymously: the form is throttled per address.
    RATELIMIT_COMPLAINT = "5 per minute;30 per hour"
    #: Product questions (问答) are asked signed in; still throttled per address like the other public forms.
    RATELIMIT_QUESTION = "5 per minute;30 per hour"

    #: Where user uploads live (never under static/). Empty means ``instance/uploads``.
    UPLOAD_DIR = ""
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024

    #: Absolute base URL printed into QR codes and e-mails, e.g. ``https://bangfu.example.cn``.
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"

    #: A serialized label opened by more distinct scanners than this shows a counterfeit warning (a scanner
    #: is a network, or the same browser wherever it comes from: see traceability/serials.py).
    SERIAL_MAX_NETWORKS = 3
    #: A label opened more often than this in all (returns within the scan window not counted) is listed
    #: on its batch's page for the producer and the county reviewer; no public warning.
    SERIAL_MAX_CHECKS = 20
    #: A scanner opening the same label again within this many minutes is not a new scan (a refresh).
    SERIAL_SCAN_WINDOW_MINUTES = 30

    #: Minutes a checkout holds its stock before unpaid orders are cancelled and the units released.
    RESERVATION_MINUTES = 30
    #: Bank transfers and cash on delivery are confirmed by hand: their orders hold stock for two days.
    OFFLINE_RESERVATION_MINUTES = 2880

    #: Stripe (card, Alipay, WeChat Pay). An empty secret key turns Stripe off: only offline methods remain.
    STRIPE_SECRET_KEY = ""
    STRIPE_WEBHOOK_SECRET = ""
    #: Only for tests against localstripe; empty means Stripe's own API.
    STRIPE_API_BASE = ""
    STRIPE_PAYMENT_METHOD_TYPES = ("card", "alipay", "wechat_pay")
    #: The publishable key turns on Stripe's Payment Element (card, Alipay, WeChat Pay) on the payment page.
    STRIPE_PUBLISHABLE_KEY = ""
    #: Stripe.js is always loaded from Stripe itself (PCI rules forbid self-hosting it).
    STRIPE_JS_URL = "https://js.stripe.com/v3/"

    #: Where buyers paying by bank transfer send the money (shown with the checkout's reference code).
    BANK_NAME = "中国农业银行城口县支行"
    BANK_ACCOUNT_NAME = "消费帮扶商城运营中心"
    BANK_ACCOUNT_NUMBER = "6228 4801 2345 6789 012"

    #: Outgoing e-mail; an empty MAIL_SERVER keeps notifications in the inbox only.
    MAIL_SERVER = ""
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_FROM = "消费帮扶商城 <noreply@bangfu.example.cn>"
    MAIL_TIMEOUT = 10

    #: How many reverse proxies (nginx) sit in front; their X-Forwarded-For/-Proto are trusted. 0: none.
    PROXY_FIX_X_FOR = 0

    #: Help-sell list (滞销预警), set with SHOP_WARNING_*: a batch within this many days of its best-before
    #: date with more than this share (%) of its quantity unsold …
    WARNING_EXPIRY_DAYS = 10
    WARNING_UNSOLD_PERCENT = 50
    #: … or a product whose counted sales of the last window fell by more than this share (%) compared with
    #: the window before, when that earlier window sold at least this much (fen; 100000 = ¥1,000).
    WARNING_SALES_WINDOW_DAYS = 30
    WARNING_SALES_DROP_PERCENT = 50
    WARNING_MIN_PREVIOUS_FEN = 100_000

    #: Complaints (投诉举报): the county reviewer acknowledges within this many working days (the State
    #: Council's calendar: holidays off, in-lieu weekend days worked; Asia/Shanghai dates) after the day of
    #: receipt and decides within this many; past either, the complaint is escalated to the administrators
    #: (``flask --app shop oversight escalate``).
    COMPLAINT_ACKNOWLEDGE_WORKING_DAYS = 1
    COMPLAINT_DECIDE_WORKING_DAYS = 7
    #: After-sales (售后): a buyer asks within this many days of confirming receipt; the other party answers
    #: within this many days (a silent producer is deemed to accept; ``flask --app shop oversight
    #: aftersales-deadlines`` applies it).
    AFTERSALES_WINDOW_DAYS = 7
    AFTERSALES_ANSWER_DAYS = 3
    #: Price monitoring: an alert when a product's price is above its reference price by more than this share
    #: (%), or rose by more than this share (%) within this many days (against the lowest price it had then).
    PRICE_ALERT_MARGIN_PERCENT = 20
    PRICE_RISE_PERCENT = 30
    PRICE_RISE_WINDOW_DAYS = 30
    #: A purchase-order line priced above the product's reference price: ``flag`` (ordered, with a warning on
    #: the purchase order) or ``refuse`` (not ordered), as government e-malls do.
    PROCUREMENT_ABOVE_REFERENCE = "flag"

    #: How long a QR scan's visits wait in memory before they are written (seconds).
    TRACE_VISIT_FLUSH_SECONDS: float | None = None  # None: 2 s, or 0 (every visit at once) when testing
    #: Public pages each process keeps by their ETag (core.http_cache), in MB of bodies; 0 keeps none.
    PAGE_MEMO_MB = 32.0

    #: ``text`` for humans, ``json`` for log shippers.
    LOG_FORMAT = "text"
    LOG_LEVEL = "INFO"


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill ``app.config`` from the defaults, the instance file and the environment (or ``test_config``).

    ``test_config`` replaces the instance file and environment, so tests never depend on the machine.
    """
    app.config.from_object(DefaultConfig)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("SHOP")
    else:
        app.config.update(test_config)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "shop.sqlite3")
    if not app.config["UPLOAD_DIR"]:
        app.config["UPLOAD_DIR"] = os.path.join(app.instance_path, "uploads")
    if app.debug or app.testing:
        if not app.config["SECRET_KEY"]:
            # Throwaway key for a debug server: sessions end when it restarts, nothing is written to disk.
            app.config["SECRET_KEY"] = secrets.token_urlsafe(32)
        _rate_limit_storage(app, default="memory://")
        return
    if app.config["SECRET_KEY"] in INSECURE_SECRET_KEYS or len(str(app.config["SECRET_KEY"])) < 32:
        raise RuntimeError(
            "Refusing to start without a real secret key: set SHOP_SECRET_KEY (32+ random characters) "
            "or SECRET_KEY in instance/config.py (`make run` generates one for the demo)."
        )
    _rate_limit_storage(app, default=None)


def _rate_limit_storage(app: Flask, default: str | None) -> None:
    """Point Flask-Limiter (``RATELIMIT_STORAGE_URI``) at ``RATELIMIT_STORAGE_URL``.

    Outside debug/testing the setting is required: the log-in and sign-up limits only mean something when
    every worker counts in one place (Redis). ``memory://`` is accepted only when asked for explicitly (one
    process, e.g. the local demo) and is then logged as a warning.
    """
    url = str(app.config["RATELIMIT_STORAGE_URL"] or default or "")
    if not url:
        raise RuntimeError(
            "Refusing to start without shared rate limits: set "
            "SHOP_RATELIMIT_STORAGE_URL=redis://127.0.0.1:6379/0 (a Redis every worker reaches; Debian "
            "package redis-server), or memory:// for a single process."
        )
    if url.startswith("memory://") and default is None:
        logging.getLogger(__name__).warning(
            "RATELIMIT_STORAGE_URL is memory://: every worker process counts log-in and sign-up attempts on "
            "its own, so with N workers an attacker gets N times the limit; use redis:// in production"
        )
    app.config["RATELIMIT_STORAGE_URL"] = url
    # Flask-Limiter reads its storage from RATELIMIT_STORAGE_URI; we expose the name operators expect.
    app.config["RATELIMIT_STORAGE_URI"] = url
