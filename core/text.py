"""One rule for text that people type and the platform shows or keeps: no invisible control characters.

NUL, the other C0 and C1 control characters, DEL and the Unicode bidirectional controls (U+202A–U+202E,
U+2066–U+2069, U+200E/U+200F, U+061C) make text that displays differently from what it is: a name that reads
backwards, a line that hides what follows it, a byte that truncates it in other programs. They are refused,
never silently removed, so what is kept (for ever, in an append-only record) is what the person saw. Tab and
line breaks are allowed only in fields that are several lines long (notes, reasons).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

#: Bidirectional formatting characters: embeddings, overrides, isolates and the implicit marks.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
#: Allowed in multi-line text only (browsers send a textarea's line breaks as CR LF).
MULTILINE_WHITESPACE = frozenset("\t\n\r")
#: Also refused: the line and paragraph separators (they break lines where no line break is allowed).
_SEPARATORS = frozenset("\u2028\u2029")

CONTROL_CHARACTER_MESSAGE = _l(
    "This text contains an invisible control character (%(code)s). Type it again without copying it from "
    "elsewhere."
)


def forbidden_character(text: str, *, multiline: bool = False) -> str | None:
    """The first character of ``text`` that the rule refuses, or ``None`` when the text is clean."""
    for char in text:
        if char in BIDI_CONTROLS or char in _SEPARATORS:
            return char
        if unicodedata.category(char) == "Cc" and not (multiline and char in MULTILINE_WHITESPACE):
            return char
    return None


def code_point(char: str) -> str:
    """How a refused character is named in messages: ``U+202E``."""
    return f"U+{ord(char):04X}"


def strings_in(value: Any) -> Iterator[str]:
    """Every string inside ``value``: itself, or the keys and values of nested dicts, lists and tuples."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(key)
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)


def _check(multiline: bool) -> Any:
    def check(_form: Any, field: Any) -> None:
        char = forbidden_character(field.data, multiline=multiline) if isinstance(field.data, str) else None
        if char is not None:
            raise ValidationError(str(CONTROL_CHARACTER_MESSAGE) % {"code": code_point(char)})

    return check


#: WTForms validators: single-line fields refuse tabs and line breaks too; multi-line fields allow them.
no_control_characters = _check(multiline=False)
no_control_characters_multiline = _check(multiline=True)


def mask_person(name: str | None, email: str | None = None) -> str:
    """A person (a buyer, an asker) as public pages name them: the first character of the name and ``**``
    ("王**", "Z**"), or of an e-mail address the first character, ``***`` and the domain's first label
    ("z***@example").

    The stars never tell the name's length, and nothing else of it is shown. A name that is an e-mail address
    is masked as one; with neither, an anonymous "**".
    """
    text = (name or "").strip() or (email or "").strip()
    if "@" in text:
        local, _at, domain = text.partition("@")
        first_label = domain.split(".", 1)[0]
        return f"{local[:1] or '*'}***@{first_label}" if first_label else f"{local[:1] or '*'}***"
    return f"{text[:1]}**" if text else "**"
