"""The product page and the product API list the batches in stock, with their trace pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Category, Product
from core.clock import shanghai_date
from core.models import User
from traceability.batches.inventory import draw_stock
from traceability.models import Batch
from traceability.recall.services import recall_batch


def test_api_and_page_list_sellable_batches_earliest_first(
    client: FlaskClient,
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> None:
    owner = make_user()
    onions = make_product(
        make_producer(owner=owner), name="疏勒洋葱", category=Category.VEGETABLES, certified=True
    )
    today = shanghai_date()
    late = make_batch(onions, quantity=80, best_before=today + timedelta(days=60))
    early = make_batch(onions, quantity=30, best_before=today + timedelta(days=5))
    draw_stock(db, early, 10)
    make_batch(onions, quantity=50, compliance=False)  # vegetables without 合格证: not for sale
    sold_out = make_batch(onions, quantity=5)
    draw_stock(db, sold_out, 5)
    recalled = make_batch(onions, quantity=40)
    recall_batch(db, owner, recalled, "抽检不合格")

    body = client.get(f"/api/v1/products/{onions.id}").get_json()
    assert body["batches"] == [
        {
            "code": early.lot_code,
            "trace_url": f"http://trace.test/t/{early.lot_code}",
            "available": 20,
            "best_before": early.best_before.isoformat(),
        },
        {
            "code": late.lot_code,
            "trace_url": f"http://trace.test/t/{late.lot_code}",
            "available": 80,
            "best_before": late.best_before.isoformat(),
        },
    ]
    listed = client.get("/api/v1/products", query_string={"q": "疏勒洋葱"}).get_json()["items"]
    assert [b["code"] for b in listed[0]["batches"]] == [early.lot_code, late.lot_code]

    page = client.get(f"/products/{onions.id}").get_data(as_text=True)
    assert early.lot_code in page and late.lot_code in page
    assert recalled.lot_code not in page and sold_out.lot_code not in page
