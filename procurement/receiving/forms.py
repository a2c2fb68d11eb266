"""Forms of the institution's delivery page: receipt line by line with the invoice, invoice later, payment."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import FieldList, Form, FormField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from core.forms import IdField, IntegerField, strip_text
from procurement.ordering.models import SupplierOrder
from procurement.ordering.services import MAX_LINES
from procurement.receiving.services import MAX_NOTE, MAX_REFERENCE, ReceiptLineInput


class ReceiptEntry(Form):
    """What arrived of one line and how it looked."""

    line_id = IdField(validators=[InputRequired()])
    quantity = IntegerField(
        _l("Received quantity"),
        validators=[
            InputRequired(_l("Enter the quantity received (0 if nothing usable arrived).")),
            NumberRange(min=0),
        ],
    )
    rejected = IntegerField(
        _l("Rejected at inspection"),
        validators=[Optional(), NumberRange(min=0)],
        description=_l("Units that arrived but were refused; leave empty when none."),
    )
    note = TextAreaField(
        _l("Inspection note"),
        filters=[strip_text],
        validators=[Optional(), Length(max=MAX_NOTE)],
        description=_l("Condition on arrival; shown on the public trace page of the batch."),
    )


def invoice_field() -> Any:
    """The invoice file input (checked by content in :mod:`procurement.receiving.invoices`, not by name)."""
    return FileField(
        _l("Invoice (PDF or photo)"),
        description=_l("A PDF file or a JPEG, PNG or WebP photo of the invoice, at most 10 MB."),
        render_kw={"accept": "application/pdf,image/jpeg,image/png,image/webp"},
    )


def chosen_file(field: Any) -> Any:
    """The file uploaded through ``field``, or None when none was chosen."""
    upload: Any = field.data
    return upload if upload is not None and getattr(upload, "filename", None) else None


class ReceiptForm(FlaskForm):
    """Receipt of a delivery: a quantity and note per line, and the invoice when it came with the goods."""

    lines = FieldList(FormField(ReceiptEntry), max_entries=MAX_LINES)
    invoice = invoice_field()

    @classmethod
    def for_order(cls, order: SupplierOrder) -> ReceiptForm:
        """A blank form: every line received in full (the confirmed quantity, less units of recalled lots)."""
        data = [
            {"line_id": line.id, "quantity": line.receivable_quantity, "note": ""}
            for line in order.lines
            if (line.confirmed_quantity or 0) > 0
        ]
        return cls(formdata=None, data={"lines": data})

    def line_inputs(self) -> list[ReceiptLineInput]:
        """The lines for :func:`procurement.receiving.services.confirm_receipt`."""
        return [
            ReceiptLineInput(e.line_id.data, e.quantity.data, e.note.data, e.rejected.data or 0)
            for e in self.lines
        ]

    def entries_by_line(self) -> dict[int, Any]:
        """The sub-form of each line id (for rendering next to the line)."""
        return {entry.line_id.data: entry for entry in self.lines if entry.line_id.data is not None}

    def invoice_upload(self) -> Any:
        """The uploaded file, or None when no file was chosen."""
        return chosen_file(self.invoice)


class InvoiceForm(FlaskForm):
    """The invoice, uploaded after receipt."""

    invoice = invoice_field()

    def invoice_upload(self) -> Any:
        """The uploaded file, or None when no file was chosen."""
        return chosen_file(self.invoice)


class TransferForm(FlaskForm):
    """The bank-transfer reference of the payment (交易流水号)."""

    reference = StringField(
        _l("Bank transfer reference"),
        filters=[strip_text],
        validators=[InputRequired(), Length(max=MAX_REFERENCE)],
        description=_l("The transaction serial number on your bank's payment receipt."),
    )
