"""A partner lists its own capture jobs, newest first, and runs a named query, both paged by keyset with
``perPage``, ``nextPageToken`` and ``Link`` headers."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.traceability.interop.conftest import Chain, bearer, document, shipping
from traceability.interop import query as querying
from traceability.interop.capture import jobs_statement, schema_problem
from traceability.interop.eventhash import document_events, document_hash_ids
from traceability.interop.query import EventQuery
from traceability.recall.services import recall_batch

YAK = "https://id.gs1.org/01/04012345123456/10/YAK001"


def _follow(app: Flask, client: FlaskClient, url: str, token: str) -> list[Any]:
    """Every page from ``url`` on, following ``Link: <…>; rel="next"``."""
    pages = []
    next_url: str | None = url
    while next_url:
        response = client.get(next_url, headers=bearer(token))
        assert response.status_code == 200, response.get_data(as_text=True)
        pages.append(response)
        link = response.headers.get("Link")
        assert link is None or link.endswith('; rel="next"')
        next_url = link[1 : link.index(">")].replace(app.config["PUBLIC_BASE_URL"], "") if link else None
    return pages


def test_a_partner_lists_its_own_capture_jobs_newest_first(
    app: Flask, client: FlaskClient, chain: Chain
) -> None:
    chain.make_lot("04012345123456", "YAK001")
    accepted = [chain.capture(client, document(shipping(YAK, minute=m))) for m in range(3)]
    refused = chain.capture(client, document(shipping("urn:epc:class:lgtin:4012345.012345.NOPE")))
    chain.capture(client, document(shipping(YAK, minute=9)), token=chain.carrier_token)  # not its lot
    locations = [r.headers["Location"] for r in [*accepted, refused]]

    pages = _follow(app, client, "/epcis/capture?perPage=2", chain.cold_store_token)
    assert len(pages) == 2
    assert pages[0].headers["GS1-EPCIS-Capture-Limit"] == "100"
    jobs = [job for page in pages for job in page.get_json()["captureJobs"]]
    assert [job["href"] for job in jobs] == [f"http://trace.test{loc}" for loc in reversed(locations)]
    assert [job["status"] for job in jobs] == ["refused", "accepted", "accepted", "accepted"]
    assert (
        jobs[0]["success"] is False and jobs[0]["errors"][0]["type"] == "epcisException:ValidationException"
    )
    assert all(len(job["acceptedEventIDs"]) == 1 for job in jobs[1:])
    # the carrier's refused job is its own; it never sees the cold store's
    carrier = client.get("/epcis/capture", headers=bearer(chain.carrier_token)).get_json()["captureJobs"]
    assert [job["status"] for job in carrier] == ["refused"]
    assert client.get("/epcis/capture").status_code == 401


@pytest.mark.parametrize("query", ["perPage=0", "perPage=101", "perPage=x", "nextPageToken=garbage",
                                   "nextPageToken=WyJqb2JzIiwgInR3byJd", "colour=red"])  # fmt: skip
def test_bad_job_list_parameters_are_a_query_parameter_exception(
    client: FlaskClient, chain: Chain, query: str
) -> None:
    response = client.get(f"/epcis/capture?{query}", headers=bearer(chain.cold_store_token))
    assert response.status_code == 400
    assert response.get_json()["type"] == "epcisException:QueryParameterException"


def test_a_named_query_runs_with_the_same_paging(
    app: Flask, client: FlaskClient, db: Session, chain: Chain
) -> None:
    lots = [chain.make_lot("04012345123456", f"YAK00{n}") for n in (1, 2, 3)]
    pork = chain.make_lot("06901234567892", "PORK01", producer=chain.pork)
    for batch in [*lots, pork]:
        recall_batch(db, batch.producer.members[0].user, batch, "冷链温度超标")
    db.commit()
    pages = _follow(app, client, "/epcis/queries/RecalledLots/events?perPage=2", chain.cold_store_token)
    assert len(pages) == 2
    events = []
    for page in pages:
        body = page.get_json()
        assert schema_problem(body) is None and page.mimetype == "application/ld+json"
        assert body["epcisBody"]["queryResults"]["queryName"] == "RecalledLots"
        assert [e["eventID"] for e in document_events(body)] == document_hash_ids(body)
        events += document_events(body)
    assert [e["disposition"] for e in events] == ["recalled"] * 3  # the cold store's three, not the pork
    assert [e["quantityList"][0]["epcClass"].rsplit("/", 1)[1] for e in events] == [
        "YAK001",
        "YAK002",
        "YAK003",
    ]
    carrier = client.get("/epcis/queries/RecalledLots/events", headers=bearer(chain.carrier_token))
    assert [e["quantityList"][0]["epcClass"] for e in document_events(carrier.get_json())] == [
        f"https://id.gs1.org/01/06901234567892/10/{pork.lot_code}"
    ]


@pytest.mark.parametrize(
    ("path", "status", "kind"),
    [
        ("/epcis/queries/Nope/events", 404, "NoSuchResourceException"),
        ("/epcis/queries/RecalledLots/events?EQ_bizStep=shipping", 400, "QueryParameterException"),
        ("/epcis/queries/RecalledLots/events?perPage=0", 400, "QueryParameterException"),
        ("/epcis/queries/RecalledLots/events?nextPageToken=garbage", 400, "QueryParameterException"),
    ],
)
def test_unknown_named_queries_and_other_filters_are_refused(
    client: FlaskClient, chain: Chain, path: str, status: int, kind: str
) -> None:
    response = client.get(path, headers=bearer(chain.cold_store_token))
    assert response.status_code == status
    assert response.get_json()["type"] == f"epcisException:{kind}"


def test_pages_read_along_their_indexes(db: Session, chain: Chain) -> None:
    """A page of events reads the lot index of each scope branch in order, a page of jobs the partner's job
    index: neither scans a table, so neither grows with the event table or the job table."""
    if db.get_bind().dialect.name != "sqlite":
        pytest.skip("the plan is read from SQLite")
    chain.make_lot("04012345123456", "YAK001")
    for query, index in (
        (querying._filtered(chain.cold_store, EventQuery()), "ix_traceability_epcis_event_lot_producer"),
        (querying._filtered(chain.carrier, EventQuery()), "ix_traceability_epcis_event_lot_county"),
        (jobs_statement(chain.cold_store, 1000, 31), "ix_traceability_epcis_capture_partner"),
    ):
        sql = str(query.compile(db.get_bind(), compile_kwargs={"literal_binds": True}))
        plan = " ".join(str(row[-1]) for row in db.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
        assert index in plan and "SCAN traceability_" not in plan, plan
