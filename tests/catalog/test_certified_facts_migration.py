"""The migration adding the certified facts to certificates fills them in for those already issued."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import MetaData, insert, select

from core.db import make_engine
from core.migrate import upgrade
from tests.support import database_url, reset_database

BEFORE = "efcfc52434b5"


def test_issued_certificates_get_their_products_facts(tmp_path: Path) -> None:
    url = database_url(tmp_path / "facts.sqlite3", suffix="_facts")
    reset_database(url)
    engine = make_engine(url)
    try:
        upgrade(engine, BEFORE)
        tables = MetaData()
        tables.reflect(engine)
        region, producer = tables.tables["core_region"], tables.tables["catalog_producer"]
        product, certification = tables.tables["catalog_product"], tables.tables["catalog_certification"]
        now = datetime(2026, 1, 5, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(
                insert(region),
                [
                    {
                        "id": 1,
                        "code": "650000",
                        "name": "新疆维吾尔自治区",
                        "level": "province",
                        "parent_id": None,
                    },
                    {"id": 2, "code": "653100", "name": "喀什地区", "level": "prefecture", "parent_id": 1},
                    {"id": 3, "code": "653122", "name": "疏勒县", "level": "county", "parent_id": 2},
                ],
            )
            conn.execute(
                insert(producer).values(
                    id=1,
                    name="疏勒合作社",
                    kind="cooperative",
                    status="approved",
                    county_id=3,
                    lifted_households=0,
                    monitored_households=0,
                    linkage_modes=[],
                    created_at=now,
                )
            )
            conn.execute(
                insert(product).values(
                    id=1,
                    producer_id=1,
                    name="疏勒番茄",
                    category="vegetables",
                    unit="box",
                    net_weight_g=5000,
                    specification="5 kg",
                    price_fen=2500,
                    institution_moq=1,
                    season_start=1,
                    season_end=12,
                    is_cold_chain=False,
                    is_active=True,
                    created_at=now,
                    updated_at=now,
                )
            )
            conn.execute(
                insert(certification),
                [
                    {
                        "id": 1,
                        "product_id": 1,
                        "status": "certified",
                        "certificate_no": "A-1",
                        "authority": "局",
                        "valid_from": date(2026, 1, 1),
                        "valid_to": date(2026, 12, 31),
                        "applied_at": now,
                    },
                    {"id": 2, "product_id": 1, "status": "applied", "applied_at": now}
                    | dict.fromkeys(("certificate_no", "authority", "valid_from", "valid_to")),
                ],
            )
        upgrade(engine)
        tables = MetaData()
        tables.reflect(engine)
        certification = tables.tables["catalog_certification"]
        with engine.connect() as conn:
            rows = {row.id: row for row in conn.execute(select(certification))}
    finally:
        engine.dispose()
    issued, applied = rows[1], rows[2]
    assert (issued.certified_name, issued.certified_category, issued.certified_unit) == (
        "疏勒番茄",
        "vegetables",
        "box",
    )
    assert (issued.certified_net_weight_g, issued.certified_specification) == (5000, "5 kg")
    assert issued.certified_producer == "疏勒合作社"
    assert issued.certified_origin == "新疆维吾尔自治区 喀什地区 疏勒县"
    assert applied.certified_name is None  # nothing vouched for yet
