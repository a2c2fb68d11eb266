"""The producer's workbench shows their active price alerts as a card: one alert leads to its page, several to
the producer's list; closed alerts and other producers' alerts do not count."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.models import Region, User
from oversight.prices.models import PriceAlert
from oversight.prices.review import dismiss
from tests.commerce import Shop
from tests.oversight.conftest import Office
from tests.oversight.prices.support import change_price, reference

Client = Callable[[User | None], FlaskClient]


def card(page: str) -> tuple[str, str] | None:
    """The price alert card's link and count, if shown."""
    found = re.search(
        r'id="task-price_alerts" href="([^"]+)">.*?<span class="task-count">([^<]+)</span>', page, re.S
    )
    return (found.group(1), found.group(2)) if found else None


def test_the_card_counts_the_producers_active_alerts(
    db: Session, shop: Shop, office: Office, as_user: Client, region: Callable[[str], Region]
) -> None:
    client = as_user(shop.owner_a)
    assert card(client.get("/producer/").get_data(as_text=True)) is None
    change_price(db, shop.owner_a, shop.product_a, 1750)  # a 40 % rise
    [alert] = db.scalars(select(PriceAlert)).all()
    db.commit()
    assert card(client.get("/producer/").get_data(as_text=True)) == (f"/oversight/prices/{alert.id}", "1")
    reference(db, office.shule, region("653122"), shop.product_a, 1000)  # and above the reference
    db.commit()
    assert card(client.get("/producer/").get_data(as_text=True)) == ("/oversight/prices/mine", "2")
    assert card(as_user(shop.owner_b).get("/producer/").get_data(as_text=True)) is None
    dismiss(db, office.shule, alert, "季节性涨价，属实", utcnow())
    db.commit()
    assert card(client.get("/producer/").get_data(as_text=True)) == (
        f"/oversight/prices/{db.scalars(select(PriceAlert.id).where(PriceAlert.id != alert.id)).one()}",
        "1",
    )
