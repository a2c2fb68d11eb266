"""Sign-up, log-in, log-out, password change and the account page."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_required, login_user, logout_user

from core import accounts
from core.db import db_session
from core.errors import DomainError
from core.forms import ChangePasswordForm, LoginForm, SignupForm
from core.models import User
from core.security import limiter
from core.transactions import run_unit_of_work
from core.urls import safe_next_url

bp = Blueprint("auth", __name__, url_prefix="/account")
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to open this page.")
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the signed-in user for this request."""
    user = db_session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.is_active else None


def _login_limit() -> str:
    return str(current_app.config["RATELIMIT_LOGIN"])


def _signup_limit() -> str:
    return str(current_app.config["RATELIMIT_SIGNUP"])


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"])
def signup() -> ResponseReturnValue:
    """Create a consumer account and sign it in."""
    form = SignupForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = accounts.register_user(
                db_session,
                email=form.email.data or "",
                password=form.password.data or "",
                display_name=form.display_name.data or "",
                locale=session.get("locale"),
            )
        except accounts.EmailTaken as exc:
            form.email.errors = [str(exc)]
            return render_template("core/auth/signup.html", form=form), 409
        except DomainError as exc:
            form.password.errors = [str(exc)]
        else:
            db_session.commit()
            login_user(user)
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.display_name), "success")
            return redirect(safe_next_url(form.next.data))
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
    """Sign out (POST only, so a link on another site cannot sign people out)."""
    locale = session.get("locale")
    logout_user()
    session.clear()
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
        try:
            accounts.change_password(db_session, current_user, form.current.data or "", form.new.data or "")
        except accounts.WrongPassword as exc:
            form.current.errors = [str(exc)]
        except DomainError as exc:
            form.new.errors = [str(exc)]
        else:
            db_session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("auth.account"))
    status = 400 if form.is_submitted() else 200
    return render_template("core/auth/password.html", form=form), status


@bp.get("/")
@login_required
def account() -> ResponseReturnValue:
    """Show the signed-in user's roles and memberships."""
    return render_template("core/auth/account.html")


def init_app(app: Flask) -> None:
    """Bind Flask-Login and register the account pages."""
    login_manager.init_app(app)
    app.register_blueprint(bp)
