"""Property-based abuse of every form and upload: whatever is sent, the answer is never a 5xx.

The forms are found, not listed: every page of the access matrix is opened as a persona allowed to see it,
and each ``<form method="post">`` on it is collected with its field names, options and file inputs. Then
hypothesis fills them with wrong types, huge and negative numbers, odd Unicode (right-to-left marks,
astral characters, NUL), markup and SQL-looking text, repeated fields, extra fields, JSON bodies, and for
file inputs broken and malicious images (random bytes, truncated PNGs, decompression bombs, SVG with script,
polyglots). Valid-looking input may succeed; anything else must be refused with a clear 4xx.
"""

from __future__ import annotations

import io
import json
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.models import User
from tests.access_rows import World
from tests.support import examples
from tests.test_access_matrix import MATRIX

#: Personas tried, most capable first: a form only they see gets fuzzed as them.
PREFERENCE = ("producer", "admin", "reviewer", "institution", "consumer", "anonymous")
#: What an abused form may answer: done, redirected, refused, not found, conflict, too large, throttled.
ACCEPTABLE = {200, 201, 204, 302, 303, 400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 429}
EXAMPLES_PER_FORM = examples(2)


@dataclass
class Form:
    """A POST form found on a page: where it goes, its fields (name → sample values) and file inputs."""

    page: str
    action: str
    persona: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


class _FormParser(HTMLParser):
    """Collects POST forms with their inputs, textareas and selects (and the select's option values)."""

    def __init__(self, page: str, persona: str) -> None:
        super().__init__()
        self.page, self.persona = page, persona
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._form = Form(self.page, a.get("action") or self.page, self.persona)
        elif self._form is None or (not a.get("name") and tag != "option"):
            return
        elif tag == "input" and a.get("type") == "file":
            self._form.files.append(a["name"])
        elif tag in ("input", "textarea", "button"):
            self._form.fields.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "select":
            self._select = a["name"]
            self._form.fields.setdefault(a["name"], [])
        elif tag == "option" and self._select is not None:
            self._form.fields[self._select].append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def discover(
    world: World, as_user: Callable[[User | None], FlaskClient], share: int = 0, shares: int = 1
) -> list[Form]:
    """Every distinct POST form on the matrix's GET pages, as the first persona allowed to see each page;
    with ``shares``, only on the pages of one share (every ``shares``-th row of the matrix from ``share``)."""
    found: dict[tuple[str, tuple[str, ...]], Form] = {}
    for index, (_endpoint, (method, path, _data, expected)) in enumerate(sorted(MATRIX.items())):
        persona = next((p for p in PREFERENCE if expected.get(p) == 200), None)
        if method != "GET" or persona is None or index % shares != share:
            continue
        url = path(world) if callable(path) else path
        response = as_user(world.users[persona]).get(url)
        page = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        response.close()
        if response.status_code != 200 or not page:
            continue
        parser = _FormParser(url, persona)
        parser.feed(page)
        for form in parser.forms:
            if form.action.startswith("/language") or form.action.endswith("/logout"):
                continue  # on every page; covered once below by the matrix's own rows
            found.setdefault((form.action.split("?")[0], tuple(sorted(form.fields))), form)
    return list(found.values())


# --- what gets sent ------------------------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "\x00",
    "\t\r\n",
    "0",
    "-1",
    "-0",
    "1e309",
    "NaN",
    "inf",
    "9" * 40,
    "-" + "9" * 40,
    "2147483648",
    "12.345",
    "１２３",
    "٣٤",
    "¥12.50",
    "1,000",
    "0x1F",
    "true",
    "null",
    "[]",
    "{}",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR '1'='1' --",
    "%s%s%n",
    "{{7*7}}",
    "../../../etc/passwd",
    "\u202eevil\u202c",
    "\ufeffBOM",
    "𠜎𠜱𠝹",
    "🧧" * 40,
    "a" * 5000,
    "疏勒县" * 300,
    "2026-02-30",
    "9999-12-31",
    "1970-01-01T00:00:00",
    "2026-11-23T25:61",
    "653122",
    "999999",
    "jane@例子.中国",
    "@",
    "a@b",
]
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=120)
SCALAR = st.one_of(st.sampled_from(NASTY), TEXT, st.integers(-(2**70), 2**70).map(str))


def _png(width: int, height: int, body: bytes = b"") -> bytes:
    """A PNG whose header claims ``width`` × ``height`` (the pixel data may be missing or wrong)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def _tiny_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return buffer.getvalue()


BAD_FILES = [
    ("empty.png", b""),
    ("truncated.png", _tiny_png()[:40]),
    ("bomb.png", _png(100_000, 100_000, zlib.compress(b"\x00" * 1000))),
    ("wide.png", _png(2**31 - 1, 1)),
    ("zero.png", _png(0, 0)),
    ("script.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("polyglot.gif", b"GIF89a/*<html><script>alert(1)</script>*/=1;"),
    ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64),
    ("report.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n"),
    ("archive.zip", b"PK\x03\x04" + b"\x00" * 30),
    ("ok.exe", _tiny_png()),
    ("../../../etc/passwd.png", _tiny_png()),
    ("名字.png", _tiny_png()),
]
FILES = st.one_of(st.sampled_from(BAD_FILES), st.tuples(st.just("noise.png"), st.binary(max_size=2048)))


@st.composite
def submissions(draw: st.DrawFn, form: Form) -> tuple[str, dict[str, Any]]:
    """``("form", data)`` with abused field values (and files), or ``("json", body)``."""
    if draw(st.integers(0, 9)) == 0:
        body = draw(st.dictionaries(st.sampled_from([*form.fields, "x"]), SCALAR, max_size=5))
        return "json", body
    data: dict[str, Any] = {}
    for name, samples in form.fields.items():
        choice = draw(st.integers(0, 5))
        if choice == 0:
            continue  # missing
        if choice == 1 and samples:
            data[name] = draw(st.sampled_from(samples))  # what the page offered
        elif choice == 2:
            data[name] = draw(st.lists(SCALAR, min_size=2, max_size=3))  # the field repeated
        else:
            data[name] = draw(SCALAR)
    if draw(st.booleans()):
        data[draw(st.sampled_from(["id", "user_id", "is_admin", "producer_id", "status", "__proto__"]))] = (
            draw(SCALAR)
        )
    for name in form.files:
        filename, content = draw(FILES)
        data[name] = (io.BytesIO(content), filename)
    return "form", data


@settings(
    max_examples=EXAMPLES_PER_FORM,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def _abuse(client: FlaskClient, form: Form, data: st.DataObject) -> None:
    kind, payload = data.draw(submissions(form), label="submission")
    if kind == "json":
        response = client.post(form.action, data=json.dumps(payload), content_type="application/json")
    else:
        response = client.post(form.action, data=payload, content_type="multipart/form-data")
    assert response.status_code in ACCEPTABLE, (form.action, form.persona, response.status_code)
    response.close()


def test_every_form_refuses_abuse_with_a_4xx_never_a_500(
    world: World, as_user: Callable[[User | None], FlaskClient]
) -> None:
    forms = discover(world, as_user)
    assert len(forms) >= 10, [f.action for f in forms]  # the crawl really found the site's forms
    assert any(form.files for form in forms), "no upload form was found"
    for form in forms:
        _abuse(as_user(world.users[form.persona]), form)


def test_every_post_row_of_the_matrix_survives_abused_values(
    world: World, as_user: Callable[[User | None], FlaskClient]
) -> None:
    """The matrix's own POST rows (actions without a page of their own), with every value abused."""
    for endpoint, (method, path, row_data, expected) in sorted(MATRIX.items()):
        if method == "GET" or endpoint == "webhooks.stripe_webhook":  # the webhook has tests of its own
            continue
        persona = next((p for p in PREFERENCE if expected.get(p) in (200, 302)), "anonymous")
        url = path(world) if callable(path) else path
        form = Form(url, url, persona, {name: [str(value)] for name, value in (row_data or {}).items()})
        _abuse(as_user(world.users[persona]), form)
