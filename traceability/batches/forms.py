"""Forms of the producer's batch workbench and of recalls (Flask-WTF: CSRF included), and their labels.

Times typed into ``datetime-local`` inputs are Asia/Shanghai wall-clock times; :func:`shanghai_to_utc`
turns them into the UTC instants the database stores.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from catalog.products.models import Product
from catalog.validators import MobileError, validate_cn_mobile
from core.forms import IntegerField, coerce_id, strip_text
from core.models import Region
from core.text import no_control_characters, no_control_characters_multiline
from traceability.batches.fields import (
    MultiCheckboxField,
    optional_int,
    paragraph_field,
    quarantine_number,
    text_field,
    when_field,
)
from traceability.batches.rules import COMMITMENTS
from traceability.batches.services import MANUAL_EVENT_KINDS, BatchData, ComplianceData
from traceability.display import BASIS_LABELS, COMMITMENT_LABELS  # one wording for workbench and trace page
from traceability.models import ComplianceBasis, EventKind
from traceability.serials import MAX_SERIALS_PER_REQUEST

MAX_BATCH_QUANTITY = 10_000_000
REPORT_EXTENSIONS = ("jpg", "jpeg", "png", "webp")

#: Manual kinds in the order a producer meets them.
MANUAL_KINDS_IN_ORDER = [
    k for k in (EventKind.PACKING, EventKind.SHIPPING, EventKind.RECEIVING, EventKind.INSPECTION,
                EventKind.CORRECTION) if k in MANUAL_EVENT_KINDS
]  # fmt: skip


def product_choices(products: list[Product]) -> list[tuple[int, str]]:
    """Select options for products, naming the producer when the member acts for several."""
    several = len({p.producer_id for p in products}) > 1
    return [(p.id, f"{p.name} · {p.producer.name}" if several else p.name) for p in products]


def origin_choices(products: list[Product]) -> list[SelectChoice]:
    """Townships and villages of the products' counties, grouped by county."""
    options = [SelectChoice("", _("Choose the township or village"))]
    counties = {p.producer.county.id: p.producer.county for p in products}
    for county in counties.values():
        for town in county.children:
            options.append(SelectChoice(str(town.id), town.name, optgroup=county.name))
            options += [SelectChoice(str(v.id), f"{town.name} · {v.name}", optgroup=county.name)
                        for v in town.children]  # fmt: skip
    return options


class ComplianceFields:
    """The 承诺达标合格证 fields, shared by the new-batch form and the issue-later form."""

    basis = SelectField(_l("The certificate rests on"), default=ComplianceBasis.QUALITY_CONTROL.value)
    contact_phone = TelField(
        _l("Contact mobile number"),
        filters=[strip_text],
        validators=[Optional(), Length(max=20)],
        description=_l("Printed on the certificate, 11 digits."),
    )
    issued_on = DateField(_l("Issue date"), validators=[Optional()])
    commitments = MultiCheckboxField(
        _l("We commit to"),
        choices=[SelectChoice(c, COMMITMENT_LABELS[c]) for c in COMMITMENTS],
        default=list(COMMITMENTS),
        description=_l("A compliance certificate affirms all four commitments."),
    )
    test_report = FileField(
        _l("Test report (photo)"),
        validators=[FileAllowed(REPORT_EXTENSIONS, _l("Upload a JPEG, PNG or WebP photo."))],
        description=_l("Needed when the certificate rests on a test. JPEG, PNG or WebP, up to 8 MB."),
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )

    def setup_compliance(self) -> None:
        """Fill the basis choices (labels are translated per request)."""
        self.basis.choices = [(b.value, str(text)) for b, text in BASIS_LABELS.items()]

    def check_compliance(self) -> bool:
        """Require the phone (a valid mainland mobile), the date and all four commitments; normalise the
        phone."""
        ok = True
        phone = self.contact_phone
        if not phone.data:
            phone.errors.append(_("Enter the contact mobile number."))
            ok = False
        else:
            try:
                phone.data = validate_cn_mobile(phone.data)
            except MobileError as exc:
                phone.errors.append(str(exc))
                ok = False
        if self.issued_on.data is None:
            self.issued_on.errors.append(_("Enter the issue date."))
            ok = False
        if set(self.commitments.data or []) != set(COMMITMENTS):
            self.commitments.errors.append(
                _("A compliance certificate (承诺达标合格证) affirms all four commitments: tick every one.")
            )
            ok = False
        return ok

    @property
    def report_upload(self) -> Any:
        """The uploaded report file when the basis needs one and a file was sent, else None."""
        basis = ComplianceBasis(self.basis.data)
        upload = self.test_report.data
        return upload if basis.needs_report and upload and getattr(upload, "filename", "") else None

    def to_compliance(self, report_key: str | None) -> ComplianceData:
        """The validated certificate fields as service input."""
        return ComplianceData(
            basis=ComplianceBasis(self.basis.data),
            contact_phone=self.contact_phone.data,
            issued_on=self.issued_on.data,
            commitments=list(self.commitments.data),
            test_report_key=report_key,
        )


#: What the − / + buttons of the quantity send (they work without JavaScript: the form comes back stepped).
QUANTITY_STEPS = {"-1": -1, "+1": 1}


class NewBatchForm(ComplianceFields, FlaskForm):
    """A new batch of one of the member's products, with its compliance certificate on the same page.

    Photo first, the product picked by its picture; a blank best-before date takes the product's usual shelf
    life (the form fills it in), and the origin and contact come prefilled.
    """

    photo = FileField(
        _l("Photo of the batch"),
        validators=[FileAllowed(REPORT_EXTENSIONS, _l("Upload a JPEG, PNG or WebP photo."))],
        description=_l("Take it with the phone camera or choose one. JPEG, PNG or WebP, up to 8 MB."),
        render_kw={"accept": "image/*", "capture": "environment"},
    )
    product_id = RadioField(
        _l("Product"), coerce=coerce_id, validators=[InputRequired(_l("Choose the product."))]
    )
    quantity = IntegerField(
        _l("Quantity"),
        validators=[
            InputRequired(),
            NumberRange(min=1, max=MAX_BATCH_QUANTITY, message=_l("Enter a quantity of at least 1.")),
        ],
        description=_l("In the product's selling unit (kg, jin, piece or box)."),
    )
    produced_on = DateField(_l("Harvest or slaughter date"), validators=[InputRequired()])
    best_before = DateField(
        _l("Best before"),
        validators=[Optional()],
        description=_l("Leave it blank to use the product's usual shelf life (from its last batch)."),
    )
    # The service decides whether the origin lies in the product's county; the choices are a convenience.
    origin_id = SelectField(
        _l("Origin (township or village)"),
        coerce=optional_int,
        validate_choice=False,
        validators=[InputRequired(_l("Choose where the batch comes from."))],
    )
    slaughterhouse = StringField(
        _l("Designated slaughterhouse"),
        filters=[strip_text],
        validators=[Optional(), Length(max=120), no_control_characters],
    )
    origin_quarantine_no = StringField(
        _l("Animal quarantine certificate no. (产地检疫)"),
        filters=[strip_text],
        validators=[Optional(), Length(max=60), quarantine_number],
        description=_l("The 10 to 20 digits printed on the 动物检疫合格证明."),
        render_kw={"inputmode": "numeric"},
    )
    slaughter_quarantine_no = StringField(
        _l("Meat quarantine certificate no. (屠宰检疫)"),
        filters=[strip_text],
        validators=[Optional(), Length(max=60), quarantine_number],
        description=_l("The 10 to 20 digits printed on the 动物检疫合格证明."),
        render_kw={"inputmode": "numeric"},
    )
    note = paragraph_field(_l("Note"))
    with_certificate = BooleanField(_l("Issue the compliance certificate (承诺达标合格证) now"), default=True)
    #: Set by the − / + buttons (see :data:`QUANTITY_STEPS`), never rendered as an input of its own.
    adjust = StringField()
    #: The signed key of a photo sent with an earlier round of this form (``traceability.batches.photos``).
    photo_kept = HiddenField()

    def __init__(self, *args: Any, shelf_days: dict[int, int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_compliance()
        #: Per product id, the days from production to best-before of its last batch.
        self.shelf_days = shelf_days or {}

    def apply_stepper(self) -> bool:
        """When a − / + button sent the form, step the quantity (never below 1) and say so; else False."""
        step = QUANTITY_STEPS.get(self.adjust.data or "")
        if step is None:
            return False
        current = self.quantity.data if isinstance(self.quantity.data, int) else 0
        stepped = min(max(1, current + step), MAX_BATCH_QUANTITY)
        self.quantity.data, self.quantity.raw_data = stepped, [str(stepped)]
        self.quantity.process_errors = []
        return True

    @property
    def photo_upload(self) -> Any:
        """The uploaded photo when one was sent, else None."""
        upload = self.photo.data
        return upload if upload and getattr(upload, "filename", "") else None

    def to_batch_data(self, origin: Region, photo_key: str | None = None) -> BatchData:
        """The batch facts as service input (``origin`` loaded from ``origin_id``, ``photo_key`` of the stored
        photo)."""
        return BatchData(
            quantity=self.quantity.data,
            produced_on=self.produced_on.data,
            best_before=self.best_before.data,
            origin=origin,
            slaughterhouse=self.slaughterhouse.data,
            origin_quarantine_no=self.origin_quarantine_no.data,
            slaughter_quarantine_no=self.slaughter_quarantine_no.data,
            note=self.note.data,
            photo_key=photo_key,
        )

    def _fill_best_before(self) -> bool:
        """A blank best-before date becomes the production date plus the chosen product's usual shelf life;
        without one it is refused."""
        if self.best_before.data is not None or self.best_before.errors or self.produced_on.data is None:
            return True  # a date typed, or refused already
        days = self.shelf_days.get(self.product_id.data) if isinstance(self.product_id.data, int) else None
        if days is None:
            self.best_before.errors = [*self.best_before.errors, _("Enter the best-before date.")]
            return False
        self.best_before.data = self.produced_on.data + timedelta(days=days)
        return True

    def validate(self, extra_validators: Any = None) -> bool:
        """Check the certificate fields only when the certificate is issued now; fill a blank best-before
        date from the product's usual shelf life."""
        valid = super().validate(extra_validators)
        valid = self._fill_best_before() and valid
        return (self.check_compliance() if self.with_certificate.data else True) and valid


class IssueCertificateForm(ComplianceFields, FlaskForm):
    """The compliance certificate for a batch recorded without one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_compliance()

    def validate(self, extra_validators: Any = None) -> bool:
        """All certificate fields are needed."""
        valid = super().validate(extra_validators)
        return self.check_compliance() and valid


#: Per manual kind: the structured fields (form field → details key) and which of them are required.
KIND_FIELDS: dict[EventKind, list[tuple[str, str, bool]]] = {
    EventKind.SHIPPING: [
        ("ship_from", "from", False),
        ("ship_to", "to", True),
        ("carrier", "carrier", False),
        ("waybill", "waybill", False),
    ],
    EventKind.RECEIVING: [("receiver", "receiver", True), ("condition", "condition", False)],
    EventKind.PACKING: [("container_id", "container_id", False), ("count", "count", True)],
    EventKind.INSPECTION: [("inspector", "inspector", True), ("result", "result", True)],
    EventKind.CORRECTION: [("corrects_seq", "corrects_seq", True), ("problem", "problem", True)],
}


class EventForm(FlaskForm):
    """One manual step of a batch; only the fields of the chosen kind are used."""

    kind = SelectField(_l("Step"), choices=[SelectChoice(k.value) for k in MANUAL_KINDS_IN_ORDER])
    occurred_at = when_field(_l("When"))
    place = text_field(_l("Place"), 200, description=_l("Leave blank for the batch's origin."))
    ship_from = text_field(_l("From"))
    ship_to = text_field(_l("To"))
    carrier = text_field(_l("Carrier"))
    waybill = text_field(_l("Waybill number"), 60)
    receiver = text_field(_l("Received by"))
    condition = text_field(_l("Condition on arrival"), 200)
    container_id = text_field(_l("Container or pallet ID"), 60)
    count = IntegerField(
        _l("Number of packages"), validators=[Optional(), NumberRange(min=1, max=MAX_BATCH_QUANTITY)]
    )
    inspector = text_field(_l("Inspected by"))
    result = text_field(_l("Result"), 200)
    corrects_seq = IntegerField(_l("Step no. to correct"), validators=[Optional(), NumberRange(min=1)])
    problem = paragraph_field(_l("What was wrong, and what is right"))
    note = paragraph_field(_l("Note"))

    def __init__(self, *args: Any, event_count: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event_count = event_count

    @property
    def chosen_kind(self) -> EventKind:
        """The kind of step chosen (valid after validation)."""
        return EventKind(self.kind.data)

    def fields_of(self, kind: EventKind) -> list[Any]:
        """The form fields a step of ``kind`` shows, in order."""
        return [self[name] for name, _key, _required in KIND_FIELDS.get(kind, [])]

    def validate(self, extra_validators: Any = None) -> bool:
        """Require the chosen kind's own fields; a correction must name an existing step."""
        if not super().validate(extra_validators):
            return False
        valid = True
        for name, _key, required in KIND_FIELDS.get(self.chosen_kind, []):
            if required and self[name].data in (None, ""):
                self[name].errors.append(_("This field is required."))
                valid = False
        seq = self.corrects_seq.data
        if self.chosen_kind is EventKind.CORRECTION and seq is not None and seq > self.event_count:
            self.corrects_seq.errors.append(_("This batch has no step no. %(seq)s.", seq=seq))
            valid = False
        return valid

    def to_details(self) -> dict[str, Any]:
        """The chosen kind's filled fields as the event's structured details."""
        details = {}
        for name, key, _required in KIND_FIELDS.get(self.chosen_kind, []):
            value = self[name].data
            if value not in (None, ""):
                details[key] = value
        return details


class SerialsForm(FlaskForm):
    """Issue serialized unit codes, one per label."""

    count = IntegerField(
        _l("Number of unit codes"),
        validators=[InputRequired(), NumberRange(min=1, max=MAX_SERIALS_PER_REQUEST)],
        description=_l("Up to %(max)s at a time, never more than the batch quantity.",
                       max=MAX_SERIALS_PER_REQUEST),
    )  # fmt: skip

    def __init__(self, *args: Any, remaining: int = MAX_SERIALS_PER_REQUEST, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.remaining = remaining

    def validate(self, extra_validators: Any = None) -> bool:
        """One code per unit: never more codes than the batch has units."""
        if not super().validate(extra_validators):
            return False
        if self.count.data > self.remaining:
            self.count.errors.append(
                _("Only %(remaining)s more unit codes fit this batch.", remaining=self.remaining)
            )
            return False
        return True


class RecallForm(FlaskForm):
    """Recall a batch (and everything made from it), saying why."""

    reason = TextAreaField(
        _l("Reason for the recall"),
        filters=[strip_text],
        validators=[DataRequired(), Length(max=500), no_control_characters_multiline],
        description=_l("Shown on the public trace page and to the buyers."),
    )
    next = HiddenField()
