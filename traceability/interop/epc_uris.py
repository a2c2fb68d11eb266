"""Identifiers of EPCIS events in one canonical form: a constrained GS1 Digital Link URI on ``id.gs1.org``.

The event hash (see :mod:`traceability.interop.eventhash`) must give the same id whether a party wrote an EPC
URI (``urn:epc:id:sgtin:…``), an EPC class URI (``urn:epc:class:lgtin:…``), a pattern or a Digital Link URI
on any host. This follows the normalisation rules described by GS1's reference event-hash generator
(RalphTro/epcis-event-hash-generator, ``dl_normaliser``): the canonical domain, the numeric application
identifiers, GTINs padded to 14 digits, the finest level only (a serial drops the lot), no CPV, no query.
Written from that description, not copied; the schemes our partners use are covered (see ``_EPC_SCHEMES``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

CANONICAL_HOST = "https://id.gs1.org"

_CHARS = r"(?:%[0-9A-Fa-f]{2}|[!')(*+,.0-9:;=A-Za-z_-])"


def check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit of a key given without it (weights 3, 1, 3… from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def _percent(text: str) -> str:
    """Percent-encode the characters GS1 Digital Link does not allow bare in a path segment."""
    for char, code in (("!", "%21"), ("(", "%28"), (")", "%29"), ("*", "%2A"), ("+", "%2B"), (",", "%2C")):
        text = text.replace(char, code)
    return text.replace(":", "%3A")


def _gtin(prefix: str, item_ref: str) -> str:
    """GTIN-14 from an EPC's company prefix and item reference (indicator digit first)."""
    raw = item_ref[:1] + prefix + item_ref[1:]
    return raw + check_digit(raw)


def _key12(prefix: str, ref: str) -> str:
    """A 13-digit key (GLN, GDTI, SGCN) from a company prefix and reference, with its check digit."""
    raw = prefix + ref
    return raw + check_digit(raw)


def _sgtin(m: re.Match[str]) -> str:
    return f"{CANONICAL_HOST}/01/{_gtin(m['p'], m['r'])}/21/{_percent(m['s'])}"


def _lgtin(m: re.Match[str]) -> str:
    return f"{CANONICAL_HOST}/01/{_gtin(m['p'], m['r'])}/10/{_percent(m['s'])}"


def _gtin_pattern(m: re.Match[str]) -> str:
    return f"{CANONICAL_HOST}/01/{_gtin(m['p'], m['r'])}"


def _sscc(m: re.Match[str]) -> str:
    raw = m["r"][:1] + m["p"] + m["r"][1:]
    return f"{CANONICAL_HOST}/00/{raw}{check_digit(raw)}"


def _sgln(m: re.Match[str]) -> str:
    gln = _key12(m["p"], m["r"])
    return f"{CANONICAL_HOST}/414/{gln}" + ("" if m["s"] == "0" else f"/254/{_percent(m['s'])}")


def _pgln(m: re.Match[str]) -> str:
    return f"{CANONICAL_HOST}/417/{_key12(m['p'], m['r'])}"


def _grai(m: re.Match[str]) -> str:
    raw = "0" + m["p"] + m["r"]
    return f"{CANONICAL_HOST}/8003/{raw}{check_digit(raw)}{_percent(m['s'])}"


def _giai(m: re.Match[str]) -> str:
    return f"{CANONICAL_HOST}/8004/{m['p']}{_percent(m['s'])}"


def _gsrn(ai: str) -> Callable[[re.Match[str]], str]:
    def build(m: re.Match[str]) -> str:
        return f"{CANONICAL_HOST}/{ai}/{_key12(m['p'], m['r'])}"

    return build


def _gdti(m: re.Match[str]) -> str:
    return f"{CANONICAL_HOST}/253/{_key12(m['p'], m['r'])}{_percent(m['s'])}"


def _sgcn(m: re.Match[str]) -> str:
    return f"{CANONICAL_HOST}/255/{_key12(m['p'], m['r'])}{m['s']}"


def _ginc(m: re.Match[str]) -> str:
    return f"{CANONICAL_HOST}/401/{m['p']}{_percent(m['s'])}"


def _gsin(m: re.Match[str]) -> str:
    return f"{CANONICAL_HOST}/402/{_key12(m['p'], m['r'])}"


#: EPC scheme → (pattern of the part after the scheme, digits of prefix + reference, builder).
_EPC_SCHEMES: list[tuple[str, str, tuple[int, Callable[[re.Match[str]], str]]]] = [
    ("urn:epc:id:sgtin:", r"{pr}\.(?P<s>" + _CHARS + "{1,20})", (13, _sgtin)),
    ("urn:epc:class:lgtin:", r"{pr}\.(?P<s>" + _CHARS + "{1,20})", (13, _lgtin)),
    ("urn:epc:idpat:sgtin:", r"{pr}\.\*", (13, _gtin_pattern)),
    ("urn:epc:id:sscc:", r"{pr}", (17, _sscc)),
    ("urn:epc:id:sgln:", r"{pr}\.(?P<s>" + _CHARS + "{1,20})", (12, _sgln)),
    ("urn:epc:id:pgln:", r"{pr}", (12, _pgln)),
    ("urn:epc:id:grai:", r"{pr}\.(?P<s>" + _CHARS + "{1,16})", (12, _grai)),
    ("urn:epc:id:gsrn:", r"{pr}", (17, _gsrn("8018"))),
    ("urn:epc:id:gsrnp:", r"{pr}", (17, _gsrn("8017"))),
    ("urn:epc:id:gdti:", r"{pr}\.(?P<s>" + _CHARS + "{1,17})", (12, _gdti)),
    ("urn:epc:id:sgcn:", r"{pr}\.(?P<s>\d{1,12})", (12, _sgcn)),
    ("urn:epc:id:gsin:", r"{pr}", (16, _gsin)),
]


def _epc_to_dl(uri: str) -> str | None:
    """An EPC (class, pattern) URI of a scheme we know as a canonical Digital Link URI, else ``None``."""
    for scheme, body, (total, build) in _EPC_SCHEMES:
        if not uri.startswith(scheme):
            continue
        rest = uri[len(scheme) :]
        for n in range(6, 13):
            if total - n < 0:
                continue
            ref = r"\d{" + str(total - n) + "}" if total - n else ""
            pattern = body.replace("{pr}", rf"(?P<p>\d{{{n}}})\.(?P<r>{ref})")
            match = re.fullmatch(pattern, rest)
            if match:
                return build(match)
        return None
    for scheme, key_length in (("urn:epc:id:giai:", 30), ("urn:epc:id:ginc:", 30)):
        if uri.startswith(scheme):
            match = re.fullmatch(r"(?P<p>\d{6,12})\.(?P<s>" + _CHARS + "+)", uri[len(scheme) :])
            if match and len(match["p"]) + len(match["s"]) <= key_length:
                return _giai(match) if "giai" in scheme else _ginc(match)
    return None


_SHORT_NAMES = {
    "gtin": "01", "itip": "8006", "cpid": "8010", "gln": "414", "party": "417", "gsrnp": "8017",
    "gsrn": "8018", "gcn": "255", "sscc": "00", "gdti": "253", "ginc": "401", "gsin": "402",
    "grai": "8003", "giai": "8004", "cpv": "22", "lot": "10", "ser": "21",
}  # fmt: skip
_PRIMARY = "01|8006|8010|414|417|8017|8018|255|00|253|401|402|8003|8004"
_PRIMARY_NAMES = "|".join(name for name, ai in _SHORT_NAMES.items() if ai in _PRIMARY.split("|"))
_DL = re.compile(
    r"^https?://[^/?#]+(?:/[^?#]*?)?/(?P<key>" + _PRIMARY + "|" + _PRIMARY_NAMES + r")/(?P<rest>\d{4}[^?#]*)"
)
_VALUE = r"[\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]"
_VALID_DL = [
    r"00/\d{18}",
    rf"01/\d{{14}}(?:/(?:21|10)/{_VALUE}{{0,20}})?",
    rf"01/\d{{14}}/235/{_VALUE}{{0,28}}",
    rf"253/\d{{13}}{_VALUE}{{0,17}}",
    r"255/\d{13}\d{0,12}",
    rf"401/{_VALUE}{{0,30}}",
    r"402/\d{17}",
    rf"414/\d{{13}}(?:/254/{_VALUE}{{0,20}})?",
    r"417/\d{13}",
    rf"8003/\d{{14}}{_VALUE}{{0,16}}",
    rf"8004/{_VALUE}{{0,30}}",
    rf"8006/\d{{18}}(?:/(?:21|10)/{_VALUE}{{0,20}})?",
    r"8010/[\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30}(?:/8011/\d{0,12})?",
    r"8017/\d{18}",
    r"8018/\d{18}",
]
_VALID = re.compile(r"https://id\.gs1\.org/(?:" + "|".join(_VALID_DL) + ")")


def _dl_to_canonical(uri: str) -> str | None:
    """A Digital Link URI on any host, with short names or extra qualifiers, in canonical constrained form."""
    match = _DL.match(uri)
    if match is None:
        return None
    key = _SHORT_NAMES.get(match["key"], match["key"])
    segments = [key, *match["rest"].rstrip("/").split("/")]
    segments = [_SHORT_NAMES.get(s, s) if i % 2 == 0 else s for i, s in enumerate(segments)]
    pairs = list(zip(segments[::2], segments[1::2], strict=False))
    if key == "01" and len(pairs[0][1]) in (8, 12, 13):
        pairs[0] = ("01", pairs[0][1].zfill(14))
    qualifiers = dict(pairs[1:])
    qualifiers.pop("22", None)  # the consumer product variant is not an identifier level of its own
    if "21" in qualifiers:
        qualifiers.pop("10", None)  # only the finest level: a serial makes the lot redundant
    path = "/".join(f"{ai}/{value}" for ai, value in [pairs[0], *qualifiers.items()])
    canonical = f"{CANONICAL_HOST}/{path}"
    return canonical if _VALID.fullmatch(canonical) else None


def normalise(uri: str) -> str | None:
    """The canonical GS1 Digital Link URI of an EPC, EPC class, EPC pattern or Digital Link URI, or ``None``
    when ``uri`` names nothing GS1 knows (a URN of one's own, a geo: URI, a word)."""
    if "." not in uri:
        return None
    if uri.startswith("urn:epc:"):
        return _epc_to_dl(uri)
    if uri.startswith(("http://", "https://")):
        return _dl_to_canonical(uri.split("?", 1)[0].split("#", 1)[0])
    return None
