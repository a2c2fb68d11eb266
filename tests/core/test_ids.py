"""One rule for ids in paths, query strings and forms (core.ids, core.forms): digits 1…2³¹−1 or nothing.

A test scans the code so that no route goes back to ``<int:…>``, no form to WTForms' own ``IntegerField`` or
``coerce=int``, and no view reads an id from the query string with ``type=int``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict
from wtforms import Form

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.forms import IdField, IntegerField, coerce_id, coerce_number, coerce_optional_id
from core.ids import MAX_ID, parse_id
from tests.test_architecture import LAYERS, ROOT

HOSTILE = [
    str(2**63),
    str(2**64),
    str(MAX_ID + 1),
    "9" * 400,
    "-1",
    "0",
    "007",
    "abc",
    "１２",
    "١٢",
    "1_000",
    "1e3",
    "12.0",
    "",
    " ",
    "\x00",
    "1\x00",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_parse_id_refuses_anything_but_an_id(text: str) -> None:
    assert parse_id(text) is None


def test_parse_id_reads_ids() -> None:
    assert parse_id("1") == 1
    assert parse_id(" 42 ") == 42
    assert parse_id(str(MAX_ID)) == MAX_ID
    assert parse_id(7) == 7
    assert parse_id(0) is None
    assert parse_id(True) is None
    assert parse_id(None) is None


def test_every_id_route_answers_404_for_a_hostile_id(app: Flask, client: FlaskClient) -> None:
    rules = [rule for rule in app.url_map.iter_rules() if "<id:" in rule.rule]
    assert len(rules) > 40
    for value in ("9223372036854775808", "18446744073709551616", str(MAX_ID + 1), "-1", "0", "１２", "abc"):
        response = client.get(f"/payments/orders/{value}")
        assert response.status_code in (302, 404), value  # anonymous: log in first, or not found
        response = client.get(f"/products/{value}")
        assert response.status_code == 404, value
        response = client.get(f"/api/v1/products/{value}")
        assert response.status_code == 404 and response.is_json, value


def test_an_existing_id_still_routes(
    client: FlaskClient, make_producer: Callable[..., Producer], make_product: Callable[..., Product]
) -> None:
    product = make_product(make_producer())
    assert client.get(f"/products/{product.id}").status_code == 200
    assert client.get(f"/products/0{product.id}").status_code == 404  # one id, one address


def _field(field: Any, value: str) -> Any:
    """``field`` bound to a bare form that received ``value``."""

    class Probe(Form):
        target = field

    return Probe(MultiDict({"target": value})).target


@pytest.mark.parametrize("text", [str(2**63), "9" * 400, "１２", "1_000", "abc", "1e3"])
def test_integer_field_refuses_what_int_would_take(text: str) -> None:
    field = _field(IntegerField(), text)
    assert field.data is None
    assert field.process_errors


def test_integer_field_reads_whole_numbers() -> None:
    assert _field(IntegerField(), " 12 ").data == 12
    assert _field(IntegerField(), "-3").data == -3
    assert _field(IntegerField(), str(MAX_ID)).data == MAX_ID


@pytest.mark.parametrize("text", HOSTILE)
def test_id_field_refuses_anything_but_an_id(text: str) -> None:
    field = _field(IdField(), text)
    assert field.data is None
    assert bool(field.process_errors) == bool(text.strip())  # blank is simply no id


def test_coerce_helpers() -> None:
    assert coerce_id("5") == 5
    assert coerce_optional_id("") is None
    assert coerce_number("12") == 12
    for text in (str(2**63), "-1", "１２", "x"):
        with pytest.raises(ValueError, match="valid choice"):
            coerce_id(text)
    with pytest.raises(ValueError, match="valid choice"):
        coerce_number("9" * 400)


#: What the one rule replaces: int path converters, WTForms' IntegerField, ``coerce=int``, and ids read from
#: the query string with ``type=int`` (``page``, ``year``, ``count`` and other plain numbers may).
FORBIDDEN = re.compile(
    r"<int:|from wtforms import[^\n]*\bIntegerField\b|^\s+IntegerField,$|coerce=int\b"
    r"|\.get\(\"(?:producer|institution|county|product|batch|order|quote|user|id|\w+_id)\", type=int\)",
    re.M,
)


def test_ids_are_read_by_the_one_rule_everywhere() -> None:
    offenders = []
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            if path == ROOT / "core" / "forms.py":
                text = text.replace("import wtforms", "")
            offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in FORBIDDEN.finditer(text)]
    assert offenders == []


def test_the_scan_catches_the_old_ways() -> None:
    for line in (
        '@bp.get("/<int:batch_id>")',
        "from wtforms import IntegerField, StringField",
        "    IntegerField,",
        "SelectField(coerce=int)",
        'request.args.get("producer", type=int)',
        'request.values.get("county", type=int)',
    ):
        assert FORBIDDEN.search(line), line
    assert not FORBIDDEN.search('request.args.get("page", type=int)')
