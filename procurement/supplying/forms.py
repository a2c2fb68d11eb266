"""Forms of the producer's procurement pages: the line decisions, shipping with batches, payment confirmation.

Per-line and per-batch inputs are lists of small sub-forms (``lines-0-decision``, ``allocations-3-quantity``);
the service checks that they name exactly the order's lines and batches of the right product.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from core.forms import IdField, IntegerField, strip_text
from orders.fulfilment.services import MAX_SHIPPING_FIELD
from procurement.ordering.models import LineDecision, SupplierOrder
from procurement.ordering.services import MAX_LINES, MAX_QUANTITY
from procurement.supplying.services import MAX_REASON, AllocationInput, LineDecisionInput
from traceability.models import Batch

#: Most batch rows a shipping form may carry.
MAX_ALLOCATION_ROWS = 1000


class LineDecisionEntry(Form):
    """One line's answer: confirm, adjust (with the quantity) or decline; a reason for the last two."""

    line_id = IdField(validators=[InputRequired()])
    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice(LineDecision.CONFIRMED.value, _l("Confirm in full")),
            SelectChoice(LineDecision.ADJUSTED.value, _l("Adjust the quantity")),
            SelectChoice(LineDecision.DECLINED.value, _l("Decline (cannot supply)")),
        ],
        validators=[InputRequired(_l("Choose confirm, adjust or decline."))],
    )
    quantity = IntegerField(
        _l("Quantity you can supply"),
        validators=[Optional(), NumberRange(min=1, max=MAX_QUANTITY)],
        description=_l("Only when adjusting: less than ordered."),
    )
    reason = StringField(
        _l("Reason"),
        filters=[strip_text],
        validators=[Optional(), Length(max=MAX_REASON)],
        description=_l("Needed when adjusting or declining; the buyer reads it."),
    )


class DecisionForm(FlaskForm):
    """Every line of a supplier order decided in one go."""

    lines = FieldList(FormField(LineDecisionEntry), max_entries=MAX_LINES)

    @classmethod
    def for_order(cls, order: SupplierOrder) -> DecisionForm:
        """A blank form: every line confirmed in full."""
        data = [
            {"line_id": line.id, "decision": LineDecision.CONFIRMED.value, "quantity": None, "reason": ""}
            for line in order.lines
        ]
        return cls(formdata=None, data={"lines": data})

    def answers(self) -> list[LineDecisionInput]:
        """The answers for :func:`procurement.supplying.services.decide_lines`."""
        return [
            LineDecisionInput(
                line_id=entry.line_id.data,
                decision=entry.decision.data or "",
                quantity=entry.quantity.data,
                reason=entry.reason.data,
            )
            for entry in self.lines
        ]

    def entries_by_line(self) -> dict[int, Any]:
        """The sub-form of each line id (for rendering next to the line)."""
        return {entry.line_id.data: entry for entry in self.lines if entry.line_id.data is not None}


class AllocationEntry(Form):
    """Units of one line shipped from one batch."""

    line_id = IdField(validators=[InputRequired()])
    batch_id = IdField(validators=[InputRequired()])
    quantity = IntegerField(_l("Units from this batch"), validators=[Optional(), NumberRange(min=0)])


class ShipForm(FlaskForm):
    """Batches for each line, carrier and tracking number."""

    allocations = FieldList(FormField(AllocationEntry), max_entries=MAX_ALLOCATION_ROWS)
    carrier = StringField(
        _l("Carrier"),
        filters=[strip_text],
        validators=[InputRequired(), Length(max=MAX_SHIPPING_FIELD)],
        description=_l("For example 顺丰速运, 中国邮政 EMS, 京东物流, or your own truck."),
    )
    tracking_number = StringField(
        _l("Tracking number"),
        filters=[strip_text],
        validators=[InputRequired(), Length(max=MAX_SHIPPING_FIELD)],
        description=_l("The waybill number, or the vehicle plate for your own delivery."),
    )

    @classmethod
    def proposed(cls, proposal: dict[int, list[tuple[Batch, int]]]) -> ShipForm:
        """A form filled with the proposed allocation (earliest best-before first)."""
        rows = [
            {"line_id": line_id, "batch_id": batch.id, "quantity": quantity}
            for line_id, batches in proposal.items()
            for batch, quantity in batches
        ]
        return cls(formdata=None, data={"allocations": rows})

    def allocation_inputs(self) -> list[AllocationInput]:
        """The allocations for :func:`procurement.supplying.services.ship_supplier_order` (blank = 0)."""
        return [
            AllocationInput(entry.line_id.data, entry.batch_id.data, entry.quantity.data or 0)
            for entry in self.allocations
        ]

    def entries_by_line(self) -> dict[int, list[Any]]:
        """The batch rows of each line id, in the order they were given."""
        rows: dict[int, list[Any]] = {}
        for entry in self.allocations:
            rows.setdefault(entry.line_id.data, []).append(entry)
        return rows


class ActionForm(FlaskForm):
    """A button that only carries the CSRF token (payment received)."""
