"""Producers set their shipping fee rule (added to the producer order blueprint)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from catalog.access import is_member
from catalog.producers.models import Producer
from core.access import ensure
from core.db import db_session, get_or_404
from core.errors import DomainError
from orders.addresses import province_choices
from orders.shipping.forms import ShippingRuleForm
from orders.shipping.services import set_shipping_rule, shipping_rule

bp = Blueprint("shipping", __name__, url_prefix="/producer/orders")


@bp.route("/shipping/<id:producer_id>", methods=["GET", "POST"])
@login_required
def shipping(producer_id: int) -> ResponseReturnValue:
    """Show and change a producer's shipping fee rule (members of that producer)."""
    producer = get_or_404(Producer, producer_id)
    ensure(current_user.is_admin or is_member(current_user, producer))
    rule = shipping_rule(db_session, producer)
    form = ShippingRuleForm()
    form.excluded.choices = province_choices()
    if not form.is_submitted() and rule is not None:
        form.flat_fee.data = rule.flat_fee_fen
        form.free_above.data = rule.free_above_fen
        form.excluded.data = list(rule.excluded_provinces)
    if form.validate_on_submit():
        try:
            set_shipping_rule(
                db_session,
                current_user,
                producer,
                flat_fee_fen=form.flat_fee.data or 0,
                free_above_fen=form.free_above.data,
                excluded_provinces=list(form.excluded.data or []),
            )
        except DomainError as exc:
            form.flat_fee.errors = [str(exc)]
        else:
            db_session.commit()
            flash(_("Shipping fees saved."), "success")
            return redirect(url_for("shipping.shipping", producer_id=producer.id))
    status = 400 if form.is_submitted() else 200
    return render_template("orders/fulfilment/shipping.html", form=form, producer=producer, rule=rule), status
