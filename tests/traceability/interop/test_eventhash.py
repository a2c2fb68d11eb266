"""The event hash id equals GS1's reference generator's for its published examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from traceability.interop.epc_uris import check_digit, normalise
from traceability.interop.eventhash import document_hash_ids, event_hash_id, utc_milliseconds

FIXTURES = Path(__file__).parent / "fixtures" / "hashes"
EXAMPLES = sorted(p.stem for p in FIXTURES.glob("*.jsonld"))


def test_every_example_is_checked() -> None:
    """The fixtures are there (a broken checkout would make the parametrised test vacuous)."""
    assert len(EXAMPLES) >= 18


@pytest.mark.parametrize("name", EXAMPLES)
def test_hash_ids_equal_the_reference_implementations(name: str) -> None:
    """Every event of every example gets exactly the id the reference computes."""
    document = json.loads((FIXTURES / f"{name}.jsonld").read_text(encoding="utf-8"))
    expected = (FIXTURES / f"{name}.hashes").read_text(encoding="utf-8").split()
    assert document_hash_ids(document) == expected


def test_the_same_event_written_differently_has_the_same_id() -> None:
    """Key order, time zone, EPC URI or Digital Link, bare word or URI: one event, one id."""
    one = {
        "type": "ObjectEvent",
        "eventTime": "2026-11-03T08:00:00+08:00",
        "eventTimeZoneOffset": "+08:00",
        "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.Lot987", "quantity": 10.0,
                          "uom": "KGM"}],
        "action": "OBSERVE",
        "bizStep": "shipping",
        "recordTime": "2026-11-04T00:00:00Z",
    }  # fmt: skip
    other = {
        "bizStep": "https://ref.gs1.org/cbv/BizStep-shipping",
        "action": "OBSERVE",
        "eventTimeZoneOffset": "+08:00",
        "eventTime": "2026-11-03T00:00:00.000Z",
        "quantityList": [
            {"uom": "KGM", "quantity": 10, "epcClass": "https://example.com/01/04012345123456/10/Lot987"}
        ],
        "type": "ObjectEvent",
        "eventID": "urn:uuid:anything",
    }
    assert event_hash_id(one) == event_hash_id(other)
    assert event_hash_id(one) != event_hash_id({**one, "disposition": "in_transit"})


@pytest.mark.parametrize(
    ("uri", "canonical"),
    [
        # from the reference project's tests/dl_normaliser_test.py (MIT)
        ("urn:epc:id:sgtin:4012345.011111.98%22", "https://id.gs1.org/01/04012345111118/21/98%22"),
        ("urn:epc:id:sscc:4012345.3111111111", "https://id.gs1.org/00/340123451111111111"),
        ("urn:epc:id:sgln:4012345.00005.0", "https://id.gs1.org/414/4012345000054"),
        ("urn:epc:id:sgln:4012345.00005.122", "https://id.gs1.org/414/4012345000054/254/122"),
        ("urn:epc:id:pgln:999999999999.", "https://id.gs1.org/417/9999999999994"),
        ("urn:epc:class:lgtin:4012345.012345.Lot987", "https://id.gs1.org/01/04012345123456/10/Lot987"),
        ("urn:epc:idpat:sgtin:4012345.012345.*", "https://id.gs1.org/01/04012345123456"),
        (
            "https://example.com/gtin/09780345418913/21/765tz?abc=211121",
            "https://id.gs1.org/01/09780345418913/21/765tz",
        ),
        ("http://example.de/01/040123451234/cpv/344/lot/ABD", "https://id.gs1.org/01/00040123451234/10/ABD"),
        (
            "https://id.gs1.org/01/9780345418913/22/344/10/1223/21/765tz",
            "https://id.gs1.org/01/09780345418913/21/765tz",
        ),
        ("urn:example:not-gs1.x", None),
        ("geo:47.506694,11.104301", None),
    ],
)
def test_identifiers_become_canonical_digital_link(uri: str, canonical: str | None) -> None:
    """EPC URIs and Digital Link URIs on any host become one canonical form; others are left alone."""
    assert normalise(uri) == canonical


def test_check_digit_and_times() -> None:
    """GS1 check digits; times to UTC milliseconds (half a millisecond rounds to even)."""
    assert check_digit("401234512345") == "6"
    assert utc_milliseconds("2026-11-03T08:00:00.0005+08:00") == "2026-11-03T00:00:00.000Z"
    assert utc_milliseconds("not a time") == "not a time"
