"""Query: GS1's example documents come back out as they went in; filters, scope and keyset paging."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.interop.conftest import Chain, bearer, document, gs1_example, shipping
from traceability.interop.capture import schema_problem
from traceability.interop.eventhash import document_events, document_hash_ids

#: GS1 example → the lots of ours it names (GTIN-14, lot number).
EXAMPLES = {
    "Example_9.6.2-ObjectEvent.jsonld": [("04012345123456", "998877")],
    "Example_9.6.3-AggregationEvent.jsonld": [("04012345123456", "998877")],
    "Example_9.6.4-TransformationEvent.jsonld": [("04012345111118", "4444"), ("00614141777778", "987")],
    "SensorDataExample4.jsonld": [("04023333020008", "2019-10-07")],
    "SensorDataExample8.jsonld": [("04012345111118", "1234")],
}
YAK = "https://id.gs1.org/01/04012345123456/10/YAK001"


def _normalised(event: dict[str, Any]) -> dict[str, Any]:
    """An event without what the repository sets (its id and record time)."""
    return {k: v for k, v in event.items() if k not in ("eventID", "recordTime")}


def _get(client: FlaskClient, chain: Chain, url: str, token: str | None = None) -> Any:
    response = client.get(url, headers=bearer(token or chain.cold_store_token))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def _ids(response: Any) -> list[str]:
    return [e["eventID"] for e in document_events(response.get_json())]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_gs1_examples_come_back_out_as_they_went_in(client: FlaskClient, chain: Chain, name: str) -> None:
    for gtin, lot in EXAMPLES[name]:
        chain.make_lot(gtin, lot)
    sent = gs1_example(name)
    assert schema_problem(sent) is None
    job = chain.job(client, chain.capture(client, copy.deepcopy(sent)))
    assert job["success"] is True, job
    gtin, lot = EXAMPLES[name][0]
    response = _get(
        client, chain, f"/epcis/epcs/{quote(f'https://id.gs1.org/01/{gtin}/10/{lot}', safe='')}/events"
    )
    got = response.get_json()
    assert response.mimetype == "application/ld+json"
    assert got["type"] == "EPCISQueryDocument" and schema_problem(got) is None
    # the lot's own events (recorded on our pages when it was made) come first, then the captured ones
    captured = [e for e in document_events(got) if "bangfu:seq" not in e]
    assert [_normalised(e) for e in captured] == [_normalised(e) for e in document_events(sent)]
    # every event carries its canonical hash id, which anyone can recompute from what we return
    assert [e["eventID"] for e in captured] == job["acceptedEventIDs"]
    assert _ids(response) == document_hash_ids(got)
    one = _get(client, chain, f"/epcis/events/{quote(job['acceptedEventIDs'][0], safe='')}")
    assert document_events(one.get_json()) == captured[:1]


def test_filters(client: FlaskClient, chain: Chain) -> None:
    chain.make_lot("04012345123456", "YAK001")
    store = {"id": "urn:epc:id:sgln:4012345.00001.0"}
    events = [
        shipping(YAK, minute=1, bizLocation=store),
        shipping(YAK, minute=2, bizStep="receiving", disposition="in_progress"),
        shipping(YAK, minute=3, bizStep="https://ref.gs1.org/cbv/BizStep-storing", disposition="in_progress"),
    ]
    ids = chain.job(client, chain.capture(client, document(*events)))["acceptedEventIDs"]

    def found(query: str) -> list[str]:
        return _ids(_get(client, chain, f"/epcis/events?{query}"))

    own = found("")[: -len(ids)]  # the lot's commissioning and inspection, recorded on our pages
    assert found("") == own + ids and found("EQ_bizStep=commissioning,inspecting") == own
    assert found("EQ_bizStep=receiving,storing") == ids[1:]
    assert found("EQ_bizStep=urn:epcglobal:cbv:bizstep:shipping") == ids[:1]
    assert found("EQ_disposition=in_progress") == ids[1:]
    assert found("EQ_bizLocation=https://id.gs1.org/414/4012345000016") == ids[:1]
    assert found("eventType=AggregationEvent") == []
    assert found(
        "eventType=ObjectEvent&GE_eventTime=2026-11-03T00:02:00Z&LT_eventTime=2026-11-03T08:03:00%2B08:00"
    ) == [ids[1]]
    assert found("GE_recordTime=2000-01-01T00:00:00Z&LT_recordTime=2000-01-02T00:00:00Z") == []
    assert found("MATCH_anyEPCClass=urn:epc:class:lgtin:4012345.012345.YAK001") == own + ids
    assert found("MATCH_epc=https://id.gs1.org/01/04012345123456/10/OTHER") == []


def test_partners_see_only_events_of_lots_they_serve(client: FlaskClient, chain: Chain) -> None:
    chain.make_lot("04012345123456", "YAK001")
    chain.make_lot("06901234567892", "PORK01", producer=chain.pork)
    pork = "https://id.gs1.org/01/06901234567892/10/PORK01"
    yak_ids = chain.job(client, chain.capture(client, document(shipping(YAK))))["acceptedEventIDs"]
    pork_job = chain.capture(client, document(shipping(pork)), token=chain.carrier_token)
    pork_ids = chain.job(client, pork_job, token=chain.carrier_token)["acceptedEventIDs"]
    assert _ids(_get(client, chain, "/epcis/events?EQ_bizStep=shipping")) == yak_ids
    assert (
        _ids(_get(client, chain, "/epcis/events?EQ_bizStep=shipping", token=chain.carrier_token)) == pork_ids
    )
    hidden = client.get(f"/epcis/events/{quote(yak_ids[0], safe='')}", headers=bearer(chain.carrier_token))
    assert hidden.status_code == 404
    assert hidden.get_json()["type"] == "epcisException:NoSuchResourceException"
    assert client.get("/epcis/events").status_code == 401


def test_paging_is_keyset_and_stable_while_events_are_captured(
    app: Flask, client: FlaskClient, chain: Chain
) -> None:
    chain.make_lot("04012345123456", "YAK001")
    first_ids = chain.job(
        client, chain.capture(client, document(*[shipping(YAK, minute=m) for m in range(5)]))
    )["acceptedEventIDs"]
    seen: list[str] = []
    url: str | None = "/epcis/events?perPage=2&EQ_bizStep=shipping"
    pages = 0
    while url:
        response = _get(client, chain, url)
        seen += _ids(response)
        link = response.headers.get("Link")
        url = link[1 : link.index(">")].replace(app.config["PUBLIC_BASE_URL"], "") if link else None
        assert link is None or link.endswith('; rel="next"')
        if pages == 0:  # another capture lands while the client pages
            later = chain.capture(client, document(shipping(YAK, minute=30), shipping(YAK, minute=31)))
            first_ids += chain.job(client, later)["acceptedEventIDs"]
        pages += 1
    assert seen == first_ids  # nothing skipped, nothing twice, the new ones at the end
    assert pages == 4


@pytest.mark.parametrize(
    "query",
    ["perPage=0", "perPage=101", "perPage=x", "colour=red", "eventType=Banana", "GE_eventTime=yesterday",
     "GE_eventTime=2026-11-03T00:00:00", "nextPageToken=garbage", "EQ_bizStep="],
)  # fmt: skip
def test_bad_query_parameters_are_a_query_parameter_exception(
    client: FlaskClient, chain: Chain, query: str
) -> None:
    response = client.get(f"/epcis/events?{query}", headers=bearer(chain.cold_store_token))
    assert response.status_code == 400
    assert response.get_json()["type"] == "epcisException:QueryParameterException"


def test_a_page_token_only_works_with_its_own_filters(client: FlaskClient, chain: Chain) -> None:
    chain.make_lot("04012345123456", "YAK001")
    chain.capture(client, document(shipping(YAK, minute=1), shipping(YAK, minute=2)))
    link = _get(client, chain, "/epcis/events?perPage=1").headers["Link"]
    token = link.split("nextPageToken=")[1].split(">")[0].split("&")[0]
    response = client.get(f"/epcis/events?perPage=1&EQ_bizStep=receiving&nextPageToken={token}",
                          headers=bearer(chain.cold_store_token))  # fmt: skip
    assert response.status_code == 400


def test_options_discovery_on_the_query_endpoints(client: FlaskClient) -> None:
    for path in ("/epcis/events", "/epcis/events/abc", "/epcis/epcs/urn:epc:id:sgtin:1.2.3/events"):
        response = client.open(path, method="OPTIONS")
        assert response.status_code == 200
        assert "GET" in response.headers["Allow"]
        assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
        assert response.headers["GS1-CBV-Version"] == "2.0.0"
        assert "GS1-Extensions" in response.headers


def test_sensor_filters(client: FlaskClient, chain: Chain) -> None:
    """``EQ_type`` and the value filters with their unit (``GE_maxValue_CEL``…) match one report at once."""
    chain.make_lot("04012345123456", "YAK001")

    def with_report(minute: int, **report: Any) -> dict[str, Any]:
        element = {"sensorMetadata": {"time": "2026-11-03T07:00:00+08:00"}, "sensorReport": [report]}
        return shipping(YAK, minute=minute, sensorElementList=[element])

    events = [
        with_report(1, type="Temperature", minValue=-21.0, maxValue=-18.5, meanValue=-19.6, uom="CEL"),
        with_report(2, type="Temperature", minValue=-19.0, maxValue=-9.0, meanValue=-15.1, uom="CEL"),
        with_report(3, type="RelativeHumidity", value=85, uom="P1"),
        shipping(YAK, minute=4),
    ]
    ids = chain.job(client, chain.capture(client, document(*events)))["acceptedEventIDs"]

    def found(query: str) -> list[str]:
        return _ids(_get(client, chain, f"/epcis/events?{query}"))

    assert found("EQ_type=Temperature") == ids[:2]
    assert found("EQ_type=gs1:RelativeHumidity") == [ids[2]]
    assert found("GT_maxValue_CEL=-18") == [ids[1]]  # an excursion above −18 °C
    assert found("LE_maxValue_CEL=-18") == [ids[0]]
    assert found("EQ_type=Temperature&GE_minValue_CEL=-20&LT_meanValue_CEL=-15") == [ids[1]]
    assert found("GE_maxValue_FAH=0") == []  # another unit
    assert found("EQ_value_P1=85") == [ids[2]]
    for bad in ("GE_maxValue_CEL=warm", "GE_maxValue_CEL=nan", "EQ_minValue_CEL=1", "GE_colour_CEL=1"):
        response = client.get(f"/epcis/events?{bad}", headers=bearer(chain.cold_store_token))
        assert response.status_code == 400, bad
