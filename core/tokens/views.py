"""Reviewers and administrators create (shown once) and revoke their API tokens."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from core.access import user_passes
from core.db import db_session, get_or_404
from core.errors import DomainError
from core.tokens import services as tokens
from core.tokens.forms import RevokeForm, TokenForm

bp = Blueprint("api_tokens", __name__, url_prefix="/account/api-tokens")

#: County reviewers and administrators.
token_holder_required = user_passes(tokens.may_hold_tokens)


def _render(form: TokenForm, status: int = 200, secret: str | None = None) -> ResponseReturnValue:
    """The token page: the new secret (once), the form and the user's tokens."""
    html = render_template(
        "stats/api_tokens.html",
        form=form,
        revoke_form=RevokeForm(formdata=None),
        tokens=tokens.tokens_of(db_session, current_user),
        secret=secret,
    )
    response = make_response(html, status)
    if secret is not None:
        response.headers["Cache-Control"] = "no-store"  # the secret must not linger in any cache
    return response


@bp.get("/")
@token_holder_required
def index() -> ResponseReturnValue:
    """The user's API tokens and the form to create one."""
    return _render(TokenForm(formdata=None))


@bp.post("/")
@token_holder_required
def create() -> ResponseReturnValue:
    """Create a token and show its secret this once."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _render(form, 400)
    try:
        _token, secret = tokens.issue_token(db_session, current_user, form.name.data or "")
    except DomainError as exc:
        db_session.rollback()
        form.name.errors = [str(exc)]
        return _render(form, exc.status)
    db_session.commit()
    return _render(TokenForm(formdata=None), 200, secret=secret)


@bp.post("/<id:token_id>/revoke")
@token_holder_required
def revoke(token_id: int) -> ResponseReturnValue:
    """Revoke one of the user's tokens (admins: anyone's)."""
    token = get_or_404(tokens.ApiToken, token_id)
    if not RevokeForm().validate_on_submit():
        return redirect(url_for("api_tokens.index"))
    tokens.revoke_token(db_session, current_user, token)
    db_session.commit()
    flash(_("The token “%(name)s” was revoked.", name=token.name), "success")
    return redirect(url_for("api_tokens.index"))
