"""The delivery address fields every order form shares: consumer checkout, bulk review, accepting a quote."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length

from core.forms import strip_text
from core.i18n import current_language
from orders.addresses import Address, province_choices


class AddressForm(FlaskForm):
    """Recipient, mobile number and a Chinese delivery address; validated by :func:`validate_address` in
    the service that uses it (so the rule lives in one place, also for callers without a form)."""

    recipient = StringField(_l("Recipient"), filters=[strip_text], validators=[Length(max=60)])
    mobile = StringField(
        _l("Mobile number"), filters=[strip_text], validators=[Length(max=20)], description=_l("11 digits.")
    )
    province = SelectField(_l("Province"), choices=[], validate_choice=False)
    city = StringField(_l("City"), filters=[strip_text], validators=[Length(max=40)])
    district = StringField(_l("District or county"), filters=[strip_text], validators=[Length(max=40)])
    detail = TextAreaField(
        _l("Street address"),
        filters=[strip_text],
        validators=[Length(max=200)],
        description=_l("Street, building and room, e.g. 幸福路 18 号 3 栋 201 室."),
    )

    def load_provinces(self) -> None:
        """Offer the 34 province-level divisions, named in the request's language."""
        self.province.choices = [
            ("", _("Choose a province")),
            *province_choices(current_language() != "zh_CN"),
        ]

    def address(self) -> Address:
        """The submitted address as the services take it (blank fields as empty text)."""
        return Address(
            recipient=self.recipient.data or "",
            mobile=self.mobile.data or "",
            province_code=self.province.data or "",
            city=self.city.data or "",
            district=self.district.data or "",
            detail=self.detail.data or "",
        )
