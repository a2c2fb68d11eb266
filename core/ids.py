"""The one rule for database ids typed into URLs, query strings and forms.

Every primary key is an ``Integer`` column: 1 to 2³¹−1 on PostgreSQL, and SQLite cannot even bind a Python
int of 2⁶³ or more (``OverflowError``). So an id is ASCII digits without a leading zero, from 1 to
:data:`MAX_ID`; anything else — negative, zero, huge, full-width digits, letters — names nothing and is
answered like an id that does not exist (404 for a path, "no such thing" for a query or form value), never
passed to the database.

- Paths use the ``id`` converter (``/batches/<id:batch_id>``), registered by :func:`core.init_app` before
  any blueprint: a segment that breaks the rule does not match the route, so the answer is a 404.
- Query strings use :func:`query_id`; forms use :class:`core.forms.IdField`; other code uses
  :func:`parse_id`.
"""

from __future__ import annotations

import re
from typing import Any

from flask import request
from werkzeug.routing import BaseConverter, ValidationError

#: The largest value an ``Integer`` primary key can hold (PostgreSQL ``integer``).
MAX_ID = 2**31 - 1

_ID_PATTERN = r"[1-9][0-9]{0,9}"
_ID_RE = re.compile(_ID_PATTERN)


def is_id(value: Any) -> bool:
    """Whether ``value`` is an int that may be a database id (bools are not)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def parse_id(text: Any) -> int | None:
    """The id ``text`` names (ASCII digits, no leading zero, 1…MAX_ID), or None for anything else.

    Surrounding spaces are forgiven; an int that is a valid id passes through.
    """
    if isinstance(text, int) and not isinstance(text, bool):
        return text if is_id(text) else None
    if not isinstance(text, str):
        return None
    value = text.strip()
    if not _ID_RE.fullmatch(value):
        return None
    number = int(value)
    return number if number <= MAX_ID else None


def query_id(name: str) -> int | None:
    """The id in query-string (or form) parameter ``name`` of the current request, or None when it is
    missing or breaks the rule."""
    return parse_id(request.values.get(name))


class IdConverter(BaseConverter):
    """URL converter ``id``: a path segment that is a database id (see the module docstring), as an int."""

    regex = _ID_PATTERN
    weight = 50  # like werkzeug's int converter: static segments win, other converters lose
    part_isolating = True

    def to_python(self, value: str) -> int:
        """The id, or ValidationError (the route does not match: 404) when it is out of range."""
        number = parse_id(value)
        if number is None:
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        """The id as its digits."""
        return str(int(value))
