"""Rows of the access matrix, one module per area (see tests/test_access_matrix.py).

Each module defines ``ROWS``: endpoint → (method, path, form data, expected status per persona).
``path`` is a string, or a callable taking the :class:`tests.access_rows.World` (personas and factories)
and returning the URL; it may create the objects it needs through the world's factories.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

PERSONAS = ("anonymous", "consumer", "producer", "institution", "reviewer", "admin")
A, C, P, I, R, ADM = PERSONAS  # noqa: E741 (one-letter column names keep the tables readable)
SIGNED_IN = tuple(p for p in PERSONAS if p != A)


@dataclass
class World:
    """What path builders may use: the persona users (``users["producer"]``…), the session and factories.

    ``objects`` holds the producer persona's approved 疏勒县 producer (``"producer"``), a pending producer in
    城口县 that the 疏勒县 reviewer must not decide (``"other_county_producer"``) and a product of the first
    (``"product"``).
    """

    users: dict[str, Any]
    db: Session
    factories: dict[str, Any]
    objects: dict[str, Any]


def everyone(status: int) -> dict[str, int]:
    """The same status for every persona."""
    return dict.fromkeys(PERSONAS, status)


def only(allowed: tuple[str, ...], ok: int = 200) -> dict[str, int]:
    """``ok`` for the allowed personas, 302 (to log in) for anonymous, 403 for the others."""
    return {p: ok if p in allowed else (302 if p == A else 403) for p in PERSONAS}
