"""Forms of the institution pages (Flask-WTF: CSRF included).

Amounts are typed in yuan ("20000", "1,200,000.50") and parsed with Decimal into integer fen; the reserved
share is typed in percent with at most one decimal and stored in ‰. Floats never touch either.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Email, Length, Optional, ValidationError

from core.forms import strip_text
from core.models import Region, RegionLevel
from procurement.institutions.members import MAX_FEN, InstitutionSettings
from procurement.institutions.models import AnnualPlan, Institution, InstitutionStatus
from procurement.institutions.plans import DEFAULT_SHARE_PERMILLE, PlanData
from procurement.institutions.services import (
    DECISIONS,
    INSTITUTION_LEVELS,
    InstitutionFieldError,
    InstitutionRegistration,
)
from procurement.labels import procurement_choices

_NUMBER_RE = re.compile(r"\d+(?:\.\d*)?|\.\d+")


def _number(text: str | None) -> Decimal | None:
    """A non-negative decimal typed by a person ("１２,０００.５" too); None if blank; else ValueError."""
    value = unicodedata.normalize("NFKC", text or "").strip().replace(",", "").removeprefix("¥").strip()
    if not value:
        return None
    if not _NUMBER_RE.fullmatch(value):
        raise ValueError
    try:
        return Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already rules this out
        raise ValueError from exc


def yuan_to_fen(text: str | None) -> int | None:
    """Parse an amount in yuan into integer fen (None when blank); ValidationError with a clear message."""
    try:
        amount = _number(text)
    except ValueError as exc:
        raise ValidationError(_l("Enter an amount in yuan using digits, e.g. 20000 or 20000.50.")) from exc
    if amount is None:
        return None
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValidationError(_l("Use at most two decimal places (whole fen)."))
    if fen > MAX_FEN:
        raise ValidationError(_l("Enter an amount from ¥0 to ¥%(max)s.", max=f"{MAX_FEN // 100:,}"))
    return int(fen)


def percent_to_permille(text: str | None) -> int | None:
    """Parse a share in percent ("30", "27.5") into ‰ (None when blank); ValidationError if not 0–100."""
    try:
        percent = _number(text)
    except ValueError as exc:
        raise ValidationError(_l("Enter a share from 0 to 100 %.")) from exc
    if percent is None:
        return None
    permille = percent * 10
    if permille != permille.to_integral_value():
        raise ValidationError(_l("Use at most one decimal place, e.g. 27.5."))
    if not 0 <= permille <= 1000:
        raise ValidationError(_l("Enter a share from 0 to 100 %."))
    return int(permille)


def fen_text(fen: int | None) -> str:
    """Integer fen as a form shows it in yuan: 2000000 → "20000", 2000050 → "20000.50"."""
    if fen is None:
        return ""
    yuan, rest = divmod(int(fen), 100)
    return f"{yuan}.{rest:02d}" if rest else str(yuan)


def permille_text(permille: int) -> str:
    """‰ as a form shows it in percent: 300 → "30", 275 → "27.5"."""
    whole, tenth = divmod(int(permille), 10)
    return f"{whole}.{tenth}" if tenth else str(whole)


def place_name(region: Region) -> str:
    """A prefecture or county as people name it: "喀什地区 疏勒县", "城口县"."""
    parent = region.parent
    if region.level is RegionLevel.COUNTY and parent is not None and parent.level is RegionLevel.PREFECTURE:
        return f"{parent.name} {region.name}"
    return region.name


def place_choices(session: Session) -> dict[str, list[tuple[str, str]]]:
    """Prefectures and counties grouped by province, for the institution's location."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    query = select(Region).where(Region.level.in_(INSTITUTION_LEVELS)).order_by(Region.code)
    for region in session.scalars(query):
        province = region.ancestors()[0]
        grouped.setdefault(province.name, []).append((region.code or "", place_name(region)))
    return grouped


def county_choices(session: Session) -> list[tuple[str, str]]:
    """Every county, for pairing and featuring."""
    query = select(Region).where(Region.level == RegionLevel.COUNTY).order_by(Region.code)
    return [(region.code or "", place_name(region)) for region in session.scalars(query)]


def _show(form: FlaskForm, exc: InstitutionFieldError, default: Field) -> None:
    """Attach a service's field error to the field it names (or to ``default``)."""
    target: Field = getattr(form, exc.field, None) or default
    target.errors = [*target.errors, str(exc)]


class RegistrationForm(FlaskForm):
    """A new institution: who it is, where, and whom to contact."""

    name = StringField(
        _l("Name of the institution"), filters=[strip_text], validators=[DataRequired(), Length(max=120)]
    )
    kind = SelectField(_l("Kind"), choices=[], validators=[DataRequired()])
    credit_code = StringField(
        _l("Unified social credit code (统一社会信用代码)"),
        filters=[strip_text],
        validators=[DataRequired(), Length(max=40)],
        description=_l("18 characters, printed on the registration certificate or business licence."),
    )
    region = SelectField(
        _l("City or county"),
        choices=[],
        validate_choice=False,
        description=_l("Leave empty if your city is not in the list yet."),
    )
    address = StringField(_l("Address"), filters=[strip_text], validators=[DataRequired(), Length(max=200)])
    contact_name = StringField(
        _l("Contact person"), filters=[strip_text], validators=[DataRequired(), Length(max=60)]
    )
    contact_phone = TelField(
        _l("Contact mobile number"),
        filters=[strip_text],
        validators=[DataRequired(), Length(max=20)],
        description=_l("11 digits, e.g. 13912345678."),
    )
    paired_counties = SelectMultipleField(_l("Paired counties (对口帮扶)"), choices=[], validate_choice=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [("", str(_l("Choose a kind"))), *procurement_choices("institution_kind")]

    def load_regions(self, session: Session) -> None:
        """Offer prefectures and counties as the location, and counties to pair with."""
        self.region.choices = place_choices(session)
        self.paired_counties.choices = county_choices(session)

    def registration(self) -> InstitutionRegistration:
        """The submitted registration, for :func:`procurement.institutions.services.register_institution`."""
        return InstitutionRegistration(
            name=self.name.data or "",
            kind=self.kind.data or "",
            credit_code=self.credit_code.data or "",
            region_code=self.region.data or None,
            address=self.address.data or "",
            contact_name=self.contact_name.data or "",
            contact_phone=self.contact_phone.data or "",
            paired_county_codes=tuple(self.paired_counties.data or ()),
        )

    def show_error(self, exc: InstitutionFieldError) -> None:
        """Attach a service's field error to the field it names."""
        _show(self, exc, self.name)


class DecisionForm(FlaskForm):
    """An administrator's decision on an institution; the buttons carry the action."""

    action = StringField(validators=[DataRequired(), AnyOf(list(DECISIONS))])
    reason = TextAreaField(
        _l("Reason"),
        filters=[strip_text],
        validators=[Optional(), Length(max=500)],
        description=_l("Required to reject or suspend; the institution sees it."),
    )


class StatusFilterForm(FlaskForm):
    """The administrator's queue filter, read from the query string."""

    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField(_l("State"), choices=[], validate_choice=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = [("", str(_l("All states"))), *procurement_choices("institution_status")]

    def chosen(self) -> InstitutionStatus | None:
        """The state asked for, or None for all."""
        try:
            return InstitutionStatus(self.status.data)
        except ValueError:
            return None


class MemberForm(FlaskForm):
    """An approver adds an existing account in one or more roles."""

    email = EmailField(
        _l("E-mail of their account"),
        filters=[strip_text],
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    roles = SelectMultipleField(
        _l("Roles"), choices=[], validators=[DataRequired(_l("Choose at least one role."))]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.roles.choices = procurement_choices("institution_role")


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token."""


class SettingsForm(FlaskForm):
    """Spending limit, approval rule and paired counties, set by approvers."""

    spending_limit = StringField(
        _l("Monthly spending limit per buyer (yuan)"),
        filters=[strip_text],
        validators=[Optional(), Length(max=20)],
        description=_l(
            "What one buyer may order in a calendar month (Beijing time) without an approver: their orders "
            "that went straight to the producers this month plus the new one. An order that would pass it "
            "waits for an approver. Leave empty for no limit."
        ),
    )
    requires_approval = BooleanField(_l("Every purchase order needs an approver"))
    paired_counties = SelectMultipleField(_l("Paired counties (对口帮扶)"), choices=[], validate_choice=False)

    def load_regions(self, session: Session) -> None:
        """Offer every county to pair with."""
        self.paired_counties.choices = county_choices(session)

    def validate_spending_limit(self, field: Field) -> None:
        """The limit must be an amount in yuan (or empty)."""
        yuan_to_fen(field.data)

    @classmethod
    def data_of(cls, institution: Institution) -> dict[str, Any]:
        """The institution's current settings under the form's field names."""
        return {
            "spending_limit": fen_text(institution.spending_limit_fen),
            "requires_approval": institution.requires_approval,
            "paired_counties": [c.code for c in institution.paired_counties],
        }

    def settings(self) -> InstitutionSettings:
        """The submitted settings, for :func:`procurement.institutions.members.update_settings`."""
        return InstitutionSettings(
            spending_limit_fen=yuan_to_fen(self.spending_limit.data),
            requires_approval=bool(self.requires_approval.data),
            paired_county_codes=tuple(self.paired_counties.data or ()),
        )

    def show_error(self, exc: InstitutionFieldError) -> None:
        """Attach a service's field error to the field it names."""
        _show(self, exc, self.spending_limit)


class PlanForm(FlaskForm):
    """One year's plan: budget, reserved share, canteen flags, featured counties."""

    canteen_budget = StringField(
        _l("Canteen farm-product budget for the year (yuan)"),
        filters=[strip_text],
        validators=[DataRequired(_l("Enter the budget; 0 if there is none.")), Length(max=20)],
    )
    reserved_share = StringField(
        _l("Share reserved for products of formerly poor areas (%)"),
        filters=[strip_text],
        default="30",
        validators=[DataRequired(_l("Enter a share from 0 to 100 %.")), Length(max=8)],
        description=_l("National policy commonly asks for 30 %. At most one decimal place."),
    )
    has_no_canteen = BooleanField(_l("No canteen"))
    canteen_outsourced = BooleanField(_l("The canteen is outsourced"))
    canteen_shared = BooleanField(_l("The canteen is shared with other units"))
    featured_counties = SelectMultipleField(
        _l("Counties to feature on our ordering pages"), choices=[], validate_choice=False
    )

    def load_regions(self, session: Session) -> None:
        """Offer every county to feature."""
        self.featured_counties.choices = county_choices(session)

    def validate_canteen_budget(self, field: Field) -> None:
        """The budget must be an amount in yuan."""
        yuan_to_fen(field.data)

    def validate_reserved_share(self, field: Field) -> None:
        """The share must be a percentage with at most one decimal."""
        percent_to_permille(field.data)

    @classmethod
    def data_of(cls, plan: AnnualPlan | None, featured: list[Region]) -> dict[str, Any]:
        """A saved plan under the form's field names (the policy default when there is none)."""
        if plan is None:
            return {"reserved_share": permille_text(DEFAULT_SHARE_PERMILLE)}
        return {
            "canteen_budget": fen_text(plan.canteen_budget_fen),
            "reserved_share": permille_text(plan.reserved_share_permille),
            "has_no_canteen": plan.has_no_canteen,
            "canteen_outsourced": plan.canteen_outsourced,
            "canteen_shared": plan.canteen_shared,
            "featured_counties": [c.code for c in featured],
        }

    def plan(self) -> PlanData:
        """The submitted plan, for :func:`procurement.institutions.plans.save_plan`."""
        share = percent_to_permille(self.reserved_share.data)
        return PlanData(
            canteen_budget_fen=yuan_to_fen(self.canteen_budget.data) or 0,
            reserved_share_permille=DEFAULT_SHARE_PERMILLE if share is None else share,
            has_no_canteen=bool(self.has_no_canteen.data),
            canteen_outsourced=bool(self.canteen_outsourced.data),
            canteen_shared=bool(self.canteen_shared.data),
            featured_county_codes=tuple(self.featured_counties.data or ()),
        )

    def show_error(self, exc: InstitutionFieldError) -> None:
        """Attach a service's field error to the field it names."""
        _show(self, exc, self.canteen_budget)


class StaffLinkForm(FlaskForm):
    """A consumer names their employer by its credit code."""

    credit_code = StringField(
        _l("Your employer's unified social credit code"),
        filters=[strip_text],
        validators=[DataRequired(), Length(max=40)],
        description=_l("18 characters; your employer's office can tell you."),
    )
