"""Quantities of several products, never added across kinds of unit (the rule the dashboards and their
exports keep: a quantity column only where each row is one product, with its unit): weights in kilograms
(kg and 斤 turned into grams), pieces and boxes each on their own."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from catalog.products.models import Unit
from stats.dashboards import Row

#: Grams in one unit of the products sold by weight (斤 is 500 g).
GRAMS_PER_UNIT = {Unit.KG: 1000, Unit.JIN: 500}


@dataclass(frozen=True)
class UnitQuantities:
    """Quantities of several products, never added across kinds of unit: weights in grams (shown in kg),
    pieces and boxes each counted on their own."""

    weight_g: int = 0
    pieces: int = 0
    boxes: int = 0

    @property
    def weight_kg(self) -> Decimal:
        """The weight in kilograms, exact (three decimals)."""
        return Decimal(self.weight_g).scaleb(-3)


def quantities_by_unit(rows: list[Row]) -> UnitQuantities:
    """The quantities of ``rows`` of one product each (:meth:`Sales.by_product`: ``unit`` in their extra),
    kilograms and 斤 turned into grams, pieces and boxes apart."""
    grams = pieces = boxes = 0
    for row in rows:
        unit = Unit(row.extra["unit"])
        if unit in GRAMS_PER_UNIT:
            grams += row.figures.quantity * GRAMS_PER_UNIT[unit]
        elif unit is Unit.PIECE:
            pieces += row.figures.quantity
        else:
            boxes += row.figures.quantity
    return UnitQuantities(grams, pieces, boxes)
