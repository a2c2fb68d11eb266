"""Validators for seller-entered identifiers: credit codes, GTINs, mobile numbers.

Each validator returns the normalised value or raises a :class:`CatalogValueError`
subclass (a ``ValueError``) with a stable ``code``, the problem's ``params`` and a
lazily translated ``message``, which ``str(exc)`` renders in the active locale.
"""

import re
import string
import unicodedata
from collections.abc import Mapping
from typing import ClassVar

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

#: GB 32100-2015 code alphabet; a character's value is its index (I, O, S, V, Z unused).
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUES = {char: value for value, char in enumerate(CREDIT_CODE_ALPHABET)}
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # 3**i mod 31
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714-1997, for the 8 body characters
_ORG_CHARS = frozenset(string.digits + string.ascii_uppercase)
_LOOKALIKES = {"I": "1", "O": "0"}  # letters GB 32100 leaves out because they look like digits
_GTIN_LENGTHS = (8, 12, 13, 14)
_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))  # copy-paste debris


def _render(template: LazyString, params: Mapping[str, object]) -> str:
    """Translate ``template`` in the active locale, then fill in ``params`` (if any)."""
    return str(template) % params if params else str(template)


class CatalogValueError(ValueError):
    """Base of the catalogue validation errors.

    Subclasses set a stable machine ``code`` and a ``template``: an ``_l()`` msgid with
    ``%(name)s`` placeholders that the keyword arguments given to the constructor fill in.
    """

    code: ClassVar[str] = "catalog.invalid"
    template: ClassVar[LazyString] = _l("This value is not valid.")

    def __init__(self, **params: object) -> None:
        self.params: dict[str, object] = params
        self.message: LazyString = LazyString(_render, self.template, params)
        super().__init__(self.message)

    def __str__(self) -> str:
        return str(self.message)


class CheckDigitBodyError(CatalogValueError):
    """A check-digit helper was given a body of the wrong length or alphabet."""

    code = "check_digit.body"
    template = _l("Cannot compute a check digit for %(body)s: expected %(expected)s.")


class CreditCodeError(CatalogValueError):
    """Base of the errors about a Unified Social Credit Code."""


class CreditCodeLengthError(CreditCodeError):
    """The code does not have exactly 18 characters (params: count)."""

    code = "credit_code.length"
    template = _l("A credit code must be exactly 18 characters long; you entered %(count)s.")


class CreditCodeCharacterError(CreditCodeError):
    """A character outside the GB 32100 alphabet, e.g. S, V or Z (params: position, char)."""

    code = "credit_code.character"
    template = _l('Character %(position)s ("%(char)s") is not allowed in a credit code.')


class CreditCodeLookalikeError(CreditCodeCharacterError):
    """The letter I or O was typed for the digit 1 or 0 (params: position, char, suggestion)."""

    template = _l(
        'Character %(position)s ("%(char)s") is not allowed in a credit code; did you mean "%(suggestion)s"?'
    )


class CreditCodeRegionError(CreditCodeError):
    """Positions 3-8, the region code, are not all digits (params: region, position, char)."""

    code = "credit_code.region"
    template = _l(
        "Characters 3 to 8 of a credit code (%(region)s) are a region code and must be digits, "
        'but character %(position)s is "%(char)s".'
    )


class CreditCodeOrgCheckDigitError(CreditCodeError):
    """The GB 11714 organisation code in positions 9-17 has a wrong check digit.

    Params: org_code, expected, actual.
    """

    code = "credit_code.org_check_digit"
    template = _l(
        "The organisation code in characters 9 to 17 (%(org_code)s) is invalid: character 17 "
        'should be "%(expected)s", not "%(actual)s". Please check the code for typos.'
    )


class CreditCodeCheckDigitError(CreditCodeError):
    """The 18th (check) character does not match the first 17 (params: expected, actual)."""

    code = "credit_code.check_digit"
    template = _l(
        'The last character of the credit code should be "%(expected)s", not "%(actual)s". '
        "Please check the code for typos."
    )


class GtinError(CatalogValueError):
    """Base of the errors about a GTIN (EAN/UPC barcode number)."""


class GtinCharacterError(GtinError):
    """The GTIN contains something other than digits (params: position, char)."""

    code = "gtin.character"
    template = _l('A barcode number may only contain digits, but character %(position)s is "%(char)s".')


class GtinLengthError(GtinError):
    """The GTIN does not have 8, 12, 13 or 14 digits (params: count)."""

    code = "gtin.length"
    template = _l("A barcode number must have 8, 12, 13 or 14 digits; you entered %(count)s.")


class GtinCheckDigitError(GtinError):
    """The GS1 mod-10 check digit, the last one, is wrong (params: expected, actual)."""

    code = "gtin.check_digit"
    template = _l(
        "The last digit of the barcode number should be %(expected)s, not %(actual)s. "
        "Please check the number for typos."
    )


class MobileError(CatalogValueError):
    """Base of the errors about a mainland-China mobile number."""


class MobileCountryCodeError(MobileError):
    """The number has an international prefix other than +86."""

    code = "mobile.country_code"
    template = _l("Only mainland China mobile numbers (+86) are accepted.")


class MobileCharacterError(MobileError):
    """The number contains something other than digits, spaces and dashes (params: char)."""

    code = "mobile.character"
    template = _l('A mobile number may only contain digits, but it contains "%(char)s".')


class MobileLengthError(MobileError):
    """The number, without +86, does not have 11 digits (params: count)."""

    code = "mobile.length"
    template = _l("A mobile number must have 11 digits; you entered %(count)s.")


class MobilePrefixError(MobileError):
    """The 11 digits do not start with 13-19 (params: prefix)."""

    code = "mobile.prefix"
    template = _l("A mobile number must start with 13 to 19, not %(prefix)s.")


def _visible(char: str) -> str:
    """Return ``char`` itself if printable, else its ``U+XXXX`` notation."""
    return char if char.isprintable() and not char.isspace() else f"U+{ord(char):04X}"


def _normalise(value: str) -> str:
    """NFKC-normalise (full-width to ASCII), drop whitespace and invisible characters."""
    text = unicodedata.normalize("NFKC", value).translate(_INVISIBLE)
    return "".join(text.split())


def compute_org_code_check_digit(body: str) -> str:
    """Return the GB 11714 check character ("0"-"9" or "X") for an 8-character body.

    Letters count as A=10 ... Z=35 (the Latin alphabet, unlike GB 32100).
    Raises CheckDigitBodyError if ``body`` is not 8 digits or upper-case letters.
    """
    if len(body) != 8 or not all(c in _ORG_CHARS for c in body):
        raise CheckDigitBodyError(body=body, expected="8 digits or letters")
    total = sum(int(c, 36) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    return "0123456789X0"[11 - total % 11]


def compute_credit_code_check_digit(first17: str) -> str:
    """Return the 18th character of a credit code from its first 17 characters.

    Raises CheckDigitBodyError if ``first17`` is not 17 characters of the GB 32100 alphabet.
    """
    if len(first17) != 17 or any(c not in _CREDIT_VALUES for c in first17):
        raise CheckDigitBodyError(body=first17, expected="17 characters of " + CREDIT_CODE_ALPHABET)
    total = sum(_CREDIT_VALUES[c] * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> str:
    """Validate a Unified Social Credit Code (GB 32100-2015) and return it normalised.

    Whitespace is removed, full-width characters folded and letters upper-cased.
    Positions 1-2 (registration authority, organisation type) are only checked
    against the alphabet, since the set of authority codes keeps growing.
    Raises CreditCodeLengthError, CreditCodeCharacterError (or its subclass
    CreditCodeLookalikeError), CreditCodeRegionError, CreditCodeOrgCheckDigitError
    or CreditCodeCheckDigitError, checked in that order.
    """
    code = _normalise(value).upper()
    if len(code) != 18:
        raise CreditCodeLengthError(count=len(code))
    for position, char in enumerate(code, start=1):
        if char in _LOOKALIKES:
            raise CreditCodeLookalikeError(position=position, char=char, suggestion=_LOOKALIKES[char])
        if char not in _CREDIT_VALUES:
            raise CreditCodeCharacterError(position=position, char=_visible(char))
    region = code[2:8]
    for position, char in enumerate(region, start=3):
        if not char.isdigit():
            raise CreditCodeRegionError(region=region, position=position, char=char)
    org_expected = compute_org_code_check_digit(code[8:16])
    if code[16] != org_expected:
        raise CreditCodeOrgCheckDigitError(org_code=code[8:17], expected=org_expected, actual=code[16])
    expected = compute_credit_code_check_digit(code[:17])
    if code[17] != expected:
        raise CreditCodeCheckDigitError(expected=expected, actual=code[17])
    return code


def compute_gtin_check_digit(body: str) -> str:
    """Return the GS1 mod-10 check digit for a GTIN body of 7, 11, 12 or 13 digits.

    Raises CheckDigitBodyError if ``body`` is not ASCII digits of one of those lengths.
    """
    if len(body) + 1 not in _GTIN_LENGTHS or not (body.isascii() and body.isdigit()):
        raise CheckDigitBodyError(body=body, expected="7, 11, 12 or 13 digits")
    # Weights alternate 3, 1, 3, ... starting from the digit next to the check digit.
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def validate_gtin14(value: str) -> str:
    """Validate a GTIN-8/12/13/14 (EAN/UPC) and return it left-padded to 14 digits.

    Whitespace is removed and full-width digits folded. Raises GtinCharacterError,
    GtinLengthError or GtinCheckDigitError.
    """
    digits = _normalise(value)
    for position, char in enumerate(digits, start=1):
        if not ("0" <= char <= "9"):
            raise GtinCharacterError(position=position, char=_visible(char))
    if len(digits) not in _GTIN_LENGTHS:
        raise GtinLengthError(count=len(digits))
    expected = compute_gtin_check_digit(digits[:-1])
    if digits[-1] != expected:
        raise GtinCheckDigitError(expected=expected, actual=digits[-1])
    return digits.rjust(14, "0")


def validate_cn_mobile(value: str) -> str:
    """Validate a mainland-China mobile number and return its 11 digits.

    An optional +86, 0086 or 86 prefix, whitespace and dashes are removed. Raises
    MobileCountryCodeError, MobileCharacterError, MobileLengthError or MobilePrefixError.
    """
    number = _normalise(value).replace("-", "")
    if number.startswith("+"):
        if not number.startswith("+86"):
            raise MobileCountryCodeError()
        number = number[3:]
    elif number.startswith("0086"):
        number = number[4:]
    elif number.startswith("86") and len(number) == 13:
        number = number[2:]
    for char in number:
        if not ("0" <= char <= "9"):
            raise MobileCharacterError(char=_visible(char))
    if len(number) != 11:
        raise MobileLengthError(count=len(number))
    if not _MOBILE_RE.fullmatch(number):
        raise MobilePrefixError(prefix=number[:2])
    return number
