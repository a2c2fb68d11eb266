"""Sign-up, log-in, log-out, password change, e-mail confirmation and the account page.

Sessions: Flask-Login keeps ``User.get_id()`` -- the user id and the user's session generation -- in the
session and in the "keep me signed in" cookie. Log-out, a password change and a role change give the user a
new generation, so every session and remember cookie issued before stops working on every device.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from sqlalchemy.orm import joinedload

from core import accounts
from core.db import db_session
from core.errors import DomainError
from core.forms import ChangePasswordForm, LoginForm, ResendConfirmationForm, SignupForm
from core.models import User
from core.security import limiter
from core.transactions import run_unit_of_work
from core.urls import safe_next_url

bp = Blueprint("auth", __name__, url_prefix="/account")
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to open this page.")
login_manager.login_message_category = "info"

#: ``User`` relationships every signed-in page reads (the menu shows the roles they give), loaded with the
#: user in its one query. Packages that define such a relationship add its name from their ``init_app``.
_LOADED_WITH_USER: list[str] = ["reviewer_counties"]


def load_with_user(relationship: str) -> None:
    """Load ``User.<relationship>`` (a collection of roles) together with the signed-in user."""
    if relationship not in _LOADED_WITH_USER:
        _LOADED_WITH_USER.append(relationship)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Load the signed-in user for this request from ``"<user id>:<session generation>"`` (see
    :meth:`User.get_id`); a session or remember cookie of an ended generation loads nobody."""
    user_id, _, token = session_id.partition(":")
    if not (user_id.isdigit() and len(user_id) < 19 and token):
        return None
    options = [joinedload(getattr(User, name)) for name in _LOADED_WITH_USER]
    user = db_session.get(User, int(user_id), options=options)
    if user is None or not user.is_active or not user.holds_session(token):
        return None
    return user


def sign_in_again(user: User) -> None:
    """Keep this device signed in after the user's sessions were ended (password or own role change): the
    session -- and the remember cookie, if this device had one -- now carry the new generation."""
    remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    login_user(user, remember=remember_cookie in request.cookies)


def _signed_in_user() -> User:
    """The signed-in user as the model object (not Flask-Login's proxy)."""
    user: User = current_user._get_current_object()
    return user


def _login_limit() -> str:
    return str(current_app.config["RATELIMIT_LOGIN"])


def _signup_limit() -> str:
    return str(current_app.config["RATELIMIT_SIGNUP"])


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"])
def signup() -> ResponseReturnValue:
    """Create a consumer account and e-mail it a confirmation link.

    Whether the address had an account already is never shown: both cases answer with the same redirect and
    message (the holder of an existing account is e-mailed instead). The new account signs in as usual.
    """
    form = SignupForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        email = form.email.data or ""
        try:
            accounts.sign_up(
                db_session,
                str(current_app.config["SECRET_KEY"]),
                email=email,
                password=form.password.data or "",
                display_name=form.display_name.data or "",
                locale=session.get("locale"),
            )
        except DomainError as exc:
            db_session.rollback()
            form.password.errors = [str(exc)]
        else:
            db_session.commit()
            flash(
                _(
                    "Thank you. We sent a message to %(email)s. If you have just created your account, sign "
                    "in with your new password and open the message's link to confirm the address.",
                    email=accounts.normalise_email(email),
                ),
                "success",
            )
            return redirect(url_for("auth.login", next=form.next.data or None))
    status = 400 if form.is_submitted() else 200
    return render_template("core/auth/signup.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> ResponseReturnValue:
    """Sign in with e-mail and password."""
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = accounts.authenticate(db_session, form.email.data or "", form.password.data or "")
        if user is not None:
            user_id = user.id
            run_unit_of_work(lambda: accounts.record_login(db_session, user_id), db_session)
            session.clear()  # a fresh session on privilege change (keeps the chosen language)
            if user.locale:
                session["locale"] = user.locale
            login_user(user, remember=bool(form.remember.data))
            flash(_("Signed in."), "success")
            return redirect(safe_next_url(form.next.data))
        form.password.errors = [_("The e-mail address or password is not correct.")]
    status = 400 if form.is_submitted() else 200
    return render_template("core/auth/login.html", form=form), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out everywhere (POST only, so a link on another site cannot sign people out).

    The user's session generation is replaced, so this ends their sessions on every device; the session is
    cleared *before* ``logout_user`` so its note to delete the remember cookie survives to the response.
    """
    if current_user.is_authenticated:
        user = _signed_in_user()
        run_unit_of_work(lambda: accounts.sign_out(db_session, user), db_session)
    locale = session.get("locale")
    session.clear()
    logout_user()
    if locale:
        session["locale"] = locale
    flash(_("Signed out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    """Change the signed-in user's password."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = _signed_in_user()
        try:
            accounts.change_password(db_session, user, form.current.data or "", form.new.data or "")
        except accounts.WrongPassword as exc:
            form.current.errors = [str(exc)]
        except DomainError as exc:
            form.new.errors = [str(exc)]
        else:
            db_session.commit()
            sign_in_again(user)
            flash(_("Your password has been changed. Every other device was signed out."), "success")
            return redirect(url_for("auth.account"))
    status = 400 if form.is_submitted() else 200
    return render_template("core/auth/password.html", form=form), status


@bp.get("/confirm/<token>")
@login_required
def confirm_email(token: str) -> ResponseReturnValue:
    """Confirm the signed-in user's address with the e-mailed link (signed, expiring, for this account)."""
    try:
        changed = accounts.confirm_email(
            db_session, str(current_app.config["SECRET_KEY"]), _signed_in_user(), token[:512]
        )
    except DomainError as exc:
        db_session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("auth.account"))
    db_session.commit()
    if changed:
        flash(_("Your e-mail address is confirmed."), "success")
    else:
        flash(_("Your e-mail address was confirmed already."), "info")
    return redirect(url_for("auth.account"))


@bp.post("/confirm")
@login_required
@limiter.limit(_signup_limit)
def resend_confirmation() -> ResponseReturnValue:
    """E-mail the signed-in user a new confirmation link."""
    user = _signed_in_user()
    if ResendConfirmationForm().validate_on_submit() and not user.is_email_verified:
        accounts.send_confirmation(db_session, str(current_app.config["SECRET_KEY"]), user)
        db_session.commit()
        flash(_("We sent a new confirmation link to %(email)s.", email=user.email), "success")
    return redirect(url_for("auth.account"))


@bp.get("/")
@login_required
def account() -> ResponseReturnValue:
    """Show the signed-in user's roles, memberships and whether the address is confirmed."""
    return render_template("core/auth/account.html", resend_form=ResendConfirmationForm())


def init_app(app: Flask) -> None:
    """Bind Flask-Login and register the account pages."""
    login_manager.init_app(app)
    app.register_blueprint(bp)
