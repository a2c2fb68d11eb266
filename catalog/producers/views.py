"""The producer's workbench: registration, profile, logo and licence, members and invitations."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from catalog.access import is_member, producer_member_required, producers_of
from catalog.producers import services as producers
from catalog.producers.forms import (
    ConfirmForm,
    ImageForm,
    InvitationForm,
    ProfileForm,
    RegistrationForm,
)
from catalog.producers.models import MemberRole, Producer
from catalog.producers.workbench import producer_day, shown_count
from core.access import ensure
from core.db import db_session, get_or_404
from core.errors import DomainError
from core.models import User

bp = Blueprint("producer", __name__, url_prefix="/producer")


def _signed_in_user() -> User:
    """The signed-in user itself (not the proxy), for services that attach it to new rows."""
    user: User = current_user._get_current_object()
    return user


def _member_producer(producer_id: int) -> Producer:
    """Load a producer the signed-in user acts for: 404 if it does not exist, 403 if not theirs."""
    producer = get_or_404(Producer, producer_id)
    ensure(is_member(current_user, producer))
    return producer


@bp.get("/")
@producer_member_required
def dashboard() -> ResponseReturnValue:
    """The producer member's workbench: today's work as cards, most urgent first, then the producers they
    act for and their review state."""
    mine = producers_of(current_user)
    tasks = producer_day(db_session, [producer.id for producer in mine])
    return render_template(
        "catalog/producer/dashboard.html",
        producers=mine,
        tasks=[task for task in tasks if task["count"]],
        done=[task for task in tasks if not task["count"]],
        shown_count=shown_count,
    )


@bp.route("/register", methods=["GET", "POST"])
@login_required
def register() -> ResponseReturnValue:
    """Register a producer for review; the signed-in user becomes its owner."""
    form = RegistrationForm()
    form.load_regions(db_session)
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            producer = producers.register_producer(db_session, _signed_in_user(), form.registration())
        except producers.ProducerFieldError as exc:
            db_session.rollback()
            form.show_error(exc)
            status = exc.status
        else:
            db_session.commit()
            flash(_("%(name)s is registered and awaits the county's review.", name=producer.name), "success")
            return redirect(url_for("producer.profile", producer_id=producer.id))
    return render_template("catalog/producer/register.html", form=form), status


@bp.get("/<id:producer_id>")
@login_required
def profile(producer_id: int) -> ResponseReturnValue:
    """A member's view of their producer: review state, facts, linkage and images."""
    producer = _member_producer(producer_id)
    return render_template("catalog/producer/profile.html", producer=producer)


def _profile_data(producer: Producer) -> dict[str, object]:
    """The producer's current profile under the form's field names, to fill the edit form."""
    return {
        "township": producer.township.code if producer.township else "",
        "village": producer.village.code if producer.village else "",
        "address": producer.address,
        "contact_name": producer.contact_name,
        "contact_phone": producer.contact_phone,
        "description": producer.description,
        "lifted_households": producer.lifted_households,
        "monitored_households": producer.monitored_households,
        "linkage_modes": list(producer.linkage_modes or []),
    }


def _render_edit(
    producer: Producer, form: ProfileForm, status: int, image_errors: dict[str, list[str]] | None = None
) -> ResponseReturnValue:
    """The edit page: the profile form plus the logo and licence uploads (``image_errors`` by kind)."""
    page = render_template(
        "catalog/producer/edit.html",
        producer=producer,
        form=form,
        image_form=ImageForm(formdata=None),
        image_errors=image_errors or {},
    )
    return page, status


@bp.route("/<id:producer_id>/edit", methods=["GET", "POST"])
@login_required
def edit(producer_id: int) -> ResponseReturnValue:
    """Members edit contact, description, location inside the county and linkage; the state stays."""
    producer = _member_producer(producer_id)
    form = ProfileForm(data=_profile_data(producer))
    form.load_regions(db_session, only=producer.county)
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            producers.update_producer_profile(db_session, current_user, producer, form.profile())
        except producers.ProducerFieldError as exc:
            db_session.rollback()
            form.show_error(exc)
            status = exc.status
        else:
            db_session.commit()
            flash(_("Profile saved."), "success")
            return redirect(url_for("producer.profile", producer_id=producer.id))
    return _render_edit(producer, form, status)


@bp.post("/<id:producer_id>/images/<any(logo, licence):kind>")
@login_required
def upload_image(producer_id: int, kind: str) -> ResponseReturnValue:
    """Replace the producer's logo or business-licence image (its old files are deleted)."""
    producer = _member_producer(producer_id)
    image_form = ImageForm()
    if image_form.validate_on_submit():
        upload_dir = Path(current_app.config["UPLOAD_DIR"])
        try:
            producers.set_producer_image(
                db_session, current_user, producer, kind, image_form.image.data.stream, upload_dir
            )
        except producers.ProducerFieldError as exc:
            db_session.rollback()
            image_form.image.errors = [str(exc)]
        else:
            db_session.commit()
            flash(_("Logo saved.") if kind == "logo" else _("Business licence saved."), "success")
            return redirect(url_for("producer.edit", producer_id=producer.id))
    form = ProfileForm(formdata=None, data=_profile_data(producer))
    form.load_regions(db_session, only=producer.county)
    return _render_edit(producer, form, 400, {kind: list(image_form.image.errors)})


def _render_members(producer: Producer, form: InvitationForm, status: int) -> ResponseReturnValue:
    """The members page: who acts for the producer, open invitations and (for owners) the invite form."""
    return render_template(
        "catalog/producer/members.html",
        producer=producer,
        form=form,
        invitations=producers.open_invitations(db_session, producer),
        is_owner=is_member(current_user, producer, owner=True),
    ), status


@bp.get("/<id:producer_id>/members")
@login_required
def members(producer_id: int) -> ResponseReturnValue:
    """Who acts for the producer, and the invitations waiting to be accepted."""
    producer = _member_producer(producer_id)
    return _render_members(producer, InvitationForm(formdata=None), 200)


@bp.post("/<id:producer_id>/members/invite")
@login_required
def invite(producer_id: int) -> ResponseReturnValue:
    """The owner invites someone by e-mail; the page then shows the link to send them."""
    producer = _member_producer(producer_id)
    ensure(is_member(current_user, producer, owner=True))
    form = InvitationForm()
    if form.validate_on_submit():
        try:
            invitation = producers.invite_member(
                db_session, current_user, producer, form.email.data or "", MemberRole(form.role.data)
            )
        except DomainError as exc:
            db_session.rollback()
            form.email.errors = [str(exc)]
            return _render_members(producer, form, exc.status)
        db_session.commit()
        flash(
            _("Invitation for %(email)s created. Send them the link shown below.", email=invitation.email),
            "success",
        )
        return redirect(url_for("producer.members", producer_id=producer.id))
    return _render_members(producer, form, 400)


@bp.get("/invitations/<token>")
@login_required
def invitation(token: str) -> ResponseReturnValue:
    """Show an invitation to the signed-in user, with the button to accept it if it is theirs."""
    found = producers.invitation_by_token(db_session, token)
    problem: DomainError | None = None
    try:
        producers.check_invitation(found, current_user)
    except DomainError as exc:
        problem = exc
    page = render_template(
        "catalog/producer/invitation.html", invitation=found, problem=problem, form=ConfirmForm()
    )
    return page, problem.status if problem is not None else 200


@bp.post("/invitations/<token>")
@login_required
def accept_invitation(token: str) -> ResponseReturnValue:
    """Accept an invitation sent to the signed-in user's address; they then act for the producer."""
    member = producers.accept_invitation(db_session, _signed_in_user(), token)
    db_session.commit()
    flash(_("You now act for %(name)s.", name=member.producer.name), "success")
    return redirect(url_for("producer.profile", producer_id=member.producer_id))
