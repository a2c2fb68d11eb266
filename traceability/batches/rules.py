"""What a batch's facts and events must satisfy before anything is written, and who is named as recording
them.

Shared by the forms (a field-level message) and the services (the last word, for every caller: views, CLI,
demo data, other packages): quarantine certificate numbers, the four commitments of the 承诺达标合格证, text
free of control characters, and the public party that records an event.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from catalog.access import is_member
from catalog.producers.models import Producer
from core.access import can_review
from core.errors import PermissionDenied
from core.models import User
from core.text import code_point, forbidden_character, strings_in
from traceability.errors import (
    CommitmentsIncomplete,
    ControlCharacterInText,
    InvalidQuarantineNumber,
)
from traceability.models import RecorderRole

#: The four commitments printed on the national 承诺达标合格证 template; a certificate affirms all of them.
COMMITMENTS = (
    "不使用禁限用农药兽药",
    "不使用非法添加物",
    "遵守农药安全间隔期、兽药休药期规定",
    "销售的食用农产品符合农药兽药残留食品安全国家强制性标准",
)

#: 动物检疫合格证明 numbers (产地检疫 for live animals, 屠宰检疫 for the meat) are printed as a run of digits:
#: 10 on the paper forms (动物A/B, 产品A/B), longer on the electronic certificates that replaced them (the
#: issuing region's division code comes first). We accept 10 to 20 ASCII digits once an optional "No." and
#: the spaces or dashes people type between groups are removed; full-width digits count as digits. Letters,
#: such as "abc", never appear in a real number.
QUARANTINE_NUMBER = re.compile(r"\d{10,20}")
_QUARANTINE_PREFIX = re.compile(r"^(?:NO|№)\.?", re.IGNORECASE)
_QUARANTINE_GAPS = re.compile(r"[\s\-‐‑–—]+")

#: Event details whose text may span several lines (what was wrong, why a batch was recalled).
MULTILINE_DETAILS = frozenset({"problem", "reason"})

#: The public name of events recorded by the platform's administrator (an organisation, never a person).
PLATFORM_NAME = "消费帮扶平台"


def normal_quarantine_number(value: str | None) -> str | None:
    """The quarantine certificate number as stored (digits only), ``None`` when blank.

    Raises :class:`InvalidQuarantineNumber` when it cannot be one (see :data:`QUARANTINE_NUMBER`).
    """
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text:
        return None
    digits = _QUARANTINE_GAPS.sub("", _QUARANTINE_PREFIX.sub("", text))
    if not (digits.isascii() and QUARANTINE_NUMBER.fullmatch(digits)):
        raise InvalidQuarantineNumber()
    return digits


def ensure_all_commitments(commitments: Iterable[str]) -> None:
    """Raise :class:`CommitmentsIncomplete` unless every one of the four :data:`COMMITMENTS` is affirmed."""
    given = set(commitments)
    if not set(COMMITMENTS) <= given or not given <= set(COMMITMENTS):
        raise CommitmentsIncomplete()


def ensure_clean_text(
    *lines: str | None,
    paragraphs: Iterable[str | None] = (),
    details: Mapping[str, Any] | None = None,
) -> None:
    """Refuse control characters (core.text) in single-line text, multi-line ``paragraphs`` and every
    string of an event's ``details`` (keys included; multi-line only under :data:`MULTILINE_DETAILS`).

    Raises :class:`ControlCharacterInText` naming the first offending character.
    """
    checks: list[tuple[str, bool]] = [(text, False) for text in lines if text]
    checks += [(text, True) for text in paragraphs if text]
    for key, value in (details or {}).items():
        checks += [(text, False) for text in strings_in(key)]
        checks += [(text, key in MULTILINE_DETAILS) for text in strings_in(value)]
    for text, multiline in checks:
        char = forbidden_character(text, multiline=multiline)
        if char is not None:
            raise ControlCharacterInText(code=code_point(char))


def recorder(user: User, producer: Producer) -> tuple[RecorderRole, str]:
    """In which capacity ``user`` records an event on a batch of ``producer``, and the public name shown.

    A member records as the producer (its name); otherwise an administrator as the platform and a county
    reviewer as the county office (the county's name), so nobody else's step reads as the producer's own.
    Raises :class:`PermissionDenied` for anyone else.
    """
    if is_member(user, producer):
        return RecorderRole.PRODUCER, producer.name
    if user.is_admin:
        return RecorderRole.ADMINISTRATOR, PLATFORM_NAME
    if can_review(user, producer.county):
        return RecorderRole.REVIEWER, producer.county.name
    raise PermissionDenied()
