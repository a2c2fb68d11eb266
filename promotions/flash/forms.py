"""Forms of the flash sales: creating one (times typed in Beijing time, stored in UTC) and buying a unit
(the delivery address)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from catalog.products.forms import YuanField
from core.clock import SHANGHAI
from core.forms import IntegerField, strip_text
from orders.forms import AddressForm
from orders.models import PaymentMethod
from promotions.eligibility.models import Eligibility
from promotions.flash.services import MAX_PER_BUYER, MAX_POINTS, MAX_UNITS, FlashSaleData
from promotions.offers.labels import ELIGIBILITY_LABELS


def _utc(moment: datetime | None) -> datetime:
    """A moment typed in Beijing time, in UTC."""
    if moment is None:  # pragma: no cover - InputRequired refuses it first
        raise ValueError("missing time")
    return moment.replace(tzinfo=SHANGHAI).astimezone(UTC)


class FlashSaleForm(FlaskForm):
    """A new flash sale of one product."""

    title = StringField(_l("Title"), filters=[strip_text], validators=[InputRequired(), Length(max=120)])
    product_id = IntegerField(
        _l("Product number"),
        validators=[InputRequired(), NumberRange(min=1)],
        description=_l("The number in the product's address."),
    )
    units = IntegerField(_l("Units"), validators=[InputRequired(), NumberRange(min=1, max=MAX_UNITS)])
    points_price = IntegerField(
        _l("Price in points"), validators=[InputRequired(), NumberRange(min=1, max=MAX_POINTS)]
    )
    cash = YuanField(
        _l("Cash part (yuan, optional)"),
        required=False,
        description=_l(
            "Points + cash: the buyer also pays this much, like any order. Leave empty for points only."
        ),
    )
    per_buyer_limit = IntegerField(
        _l("Units per buyer"), default=1, validators=[InputRequired(), NumberRange(min=1, max=MAX_PER_BUYER)]
    )
    eligibility = SelectField(
        _l("Who may buy"),
        choices=[SelectChoice(e.value, label) for e, label in ELIGIBILITY_LABELS.items()],
        default=Eligibility.EVERYONE.value,
    )
    institution = IntegerField(
        _l("Staff of institution no. (staff only)"),
        validators=[Optional(), NumberRange(min=1, max=2**31 - 1)],
    )
    starts_at = DateTimeLocalField(_l("Starts (Beijing time)"), validators=[InputRequired()])
    ends_at = DateTimeLocalField(_l("Ends (Beijing time)"), validators=[InputRequired()])

    def sale_data(self) -> FlashSaleData:
        """What the service needs (after validation)."""
        return FlashSaleData(
            title=str(self.title.data),
            product_id=int(self.product_id.data or 0),
            units=int(self.units.data or 0),
            points_price=int(self.points_price.data or 0),
            per_buyer_limit=int(self.per_buyer_limit.data or 0),
            starts_at=_utc(self.starts_at.data),
            ends_at=_utc(self.ends_at.data),
            cash_fen=int(self.cash.data or 0),
            eligibility=Eligibility(self.eligibility.data or Eligibility.EVERYONE.value),
            eligible_institution_id=self.institution.data,
        )


class BuyForm(AddressForm):
    """Buy one unit: where to deliver it, and how to pay a cash part (the CSRF token guards the click)."""

    method = RadioField(_l("Pay the cash part"), choices=[], validators=[Optional()])

    def load_methods(self) -> None:
        """The ways a cash part may be paid: online when Stripe is configured, bank transfer always."""
        methods = [(PaymentMethod.BANK_TRANSFER.value, _("Bank transfer to the platform's account"))]
        if current_app.config.get("STRIPE_SECRET_KEY"):
            methods.insert(0, (PaymentMethod.STRIPE.value, _("Online: card, Alipay or WeChat Pay")))
        self.method.choices = methods

    def payment_method(self) -> PaymentMethod | None:
        """The method chosen (None: none, or not one offered)."""
        offered = {value for value, _label in self.method.choices or []}
        return PaymentMethod(self.method.data) if self.method.data in offered else None
