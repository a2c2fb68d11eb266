"""Access rows for core and shop pages present since the foundation."""

from __future__ import annotations

from typing import Any

from tests.access_rows import ADM, SIGNED_IN, C, I, everyone, only

#: endpoint → (method, path or path builder taking the personas, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "static": ("GET", "/static/css/app.css", {}, everyone(200)),
    "health.healthz": ("GET", "/healthz", {}, everyone(200)),
    "main.index": ("GET", "/", {}, everyone(200)),
    "i18n.set_language": ("POST", "/language", {"locale": "en"}, everyone(302)),
    "auth.signup": ("GET", "/account/signup", {}, everyone(200)),
    "auth.login": ("GET", "/account/login", {}, everyone(200)),
    "auth.logout": ("POST", "/account/logout", {}, everyone(302)),
    "auth.change_password": ("GET", "/account/password", {}, only(SIGNED_IN)),
    "auth.account": ("GET", "/account/", {}, only(SIGNED_IN)),
    # a broken link: signed-in people go back to their account page with a message
    "auth.confirm_email": ("GET", "/account/confirm/not-a-token", {}, everyone(302)),
    "auth.resend_confirmation": ("POST", "/account/confirm", {}, everyone(302)),
    "admin.users": ("GET", "/admin/users", {}, only((ADM,))),
    "admin.user_roles": ("GET", lambda w: f"/admin/users/{w.users[C].id}", {}, only((ADM,))),
    "progress.dashboard": ("GET", "/institution/", {}, only((I,))),
}
