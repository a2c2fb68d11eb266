"""What an institution's receipt request did not agree is owed to the producer after all.

The institution paid (or will pay) only the units it received; its request claimed the value of the units
missing or refused. When the request ends with less agreed than claimed (the producer's refusal upheld by
arbitration or left standing, a lower amount arbitrated or taken, the request withdrawn), the difference is
split over the request's lines in proportion to their claimed value and handed to procurement
(:func:`procurement.receiving.balance.concede`), which adds it to the delivery's amount due or asks for a
balance transfer. Procurement records it once, so deciding twice never doubles it. Functions flush, never
commit.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from oversight.aftersales.models import AftersalesRequest
from procurement.receiving.balance import concede


def owed_per_line(request: AftersalesRequest) -> dict[int, int]:
    """Supplier line id → the money owed to the producer for it: the claimed amount not agreed, split in
    proportion to each line's claimed value (the remainder on the first lines, never above a line's value)."""
    values = {
        line.supplier_line_id: line.quantity * line.supplier_line.unit_price_fen
        for line in request.lines
        if line.supplier_line_id is not None and line.supplier_line is not None
    }
    claimed = sum(values.values())
    owed = max(min(request.claimed_fen, claimed) - (request.agreed_fen or 0), 0)
    if not claimed or not owed:
        return {}
    shares = {line_id: owed * value // claimed for line_id, value in values.items()}
    left = owed - sum(shares.values())
    for line_id, value in values.items():
        extra = min(left, value - shares[line_id])
        shares[line_id] += extra
        left -= extra
    return {line_id: fen for line_id, fen in shares.items() if fen > 0}


def concede_unagreed(session: Session, request: AftersalesRequest) -> int:
    """For an ended receipt request: hand what was not agreed to procurement (the money recorded; 0 for a
    consumer's request, a full acceptance, or a concession already recorded). Does not commit."""
    order = request.supplier_order
    if order is None:
        return 0
    owed = owed_per_line(request)
    return concede(session, order, owed) if owed else 0
