"""The password rule (NIST SP 800-63B): long enough, not a common or breached one, no composition rules.

A password is refused when it is shorter than :data:`MIN_LENGTH` characters, when it is on the list of the
most common passwords shipped with the app (``core/data/common-passwords.txt``, compared without regard to
case), when it is one character or a short block repeated (``aaaaaaaa``, ``abcabcabc``), a run of consecutive
characters or a keyboard row (``12345678``, ``87654321``, ``abcdefgh``, ``qwertyuiop``), or the account's
e-mail address or the part before its ``@``. Nothing asks for digits, capitals or symbols, and any printable
character (Chinese included) counts.
"""

from __future__ import annotations

from functools import cache
from itertools import pairwise
from pathlib import Path

from flask_babel import lazy_gettext as _l

from core.errors import DomainError

#: NIST SP 800-63B's floor for a password chosen by its user.
MIN_LENGTH = 8
#: Long passphrases are welcome; the limit only keeps hashing cheap.
MAX_LENGTH = 128

COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "data" / "common-passwords.txt"

#: Rows of the keyboards people type on, both ways, for "qwertyui" and "poiuytre".
KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")


class WeakPassword(DomainError):
    """The password would not protect an account."""

    message = _l("The password must have at least %(min)s characters.")


class CommonPassword(WeakPassword):
    """The password is on the list of common or breached passwords."""

    message = _l(
        "This password is one of the most commonly used ones, which attackers try first. Choose another one."
    )


class GuessablePassword(WeakPassword):
    """The password is a repetition or a simple sequence."""

    message = _l("This password is too easy to guess (repeated characters or a simple sequence).")


class PasswordIsEmail(WeakPassword):
    """The password is the account's own e-mail address."""

    message = _l("The password must not be your e-mail address.")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased (read once per process)."""
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8") as lines:
        return frozenset(line.rstrip("\n") for line in lines if line.strip() and not line.startswith("#"))


def _is_repetition(text: str) -> bool:
    """Whether ``text`` is a block of up to four characters repeated (``aaaa…``, ``abab…``, ``1231…``)."""
    return any(
        len(text) > size and all(text[i] == text[i % size] for i in range(len(text))) for size in range(1, 5)
    )


def _is_sequence(text: str) -> bool:
    """Whether ``text`` runs through consecutive characters or along a keyboard row, either way."""
    steps = {ord(b) - ord(a) for a, b in pairwise(text)}
    return steps in ({1}, {-1}) or any(text in row or text in row[::-1] for row in KEYBOARD_ROWS)


def check_password(password: str, *, email: str | None = None) -> None:
    """Raise a :class:`WeakPassword` (or subclass) unless ``password`` may protect an account."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(min=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise WeakPassword(_l("The password may have at most %(max)s characters."), max=MAX_LENGTH)
    folded = password.casefold()
    if folded in common_passwords():
        raise CommonPassword()
    if _is_repetition(folded) or _is_sequence(folded):
        raise GuessablePassword()
    if email:
        address = email.strip().casefold()
        if folded in (address, address.partition("@")[0]):
            raise PasswordIsEmail()
