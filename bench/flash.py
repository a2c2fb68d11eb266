"""The flash-sale race (issue 17): many signed-in buyers press "buy" at the start time of one 积分抢购.

``python -m bench.flash --database sqlite|postgresql|all [--buyers 5000 --units 1000 --connections 64]``
(PostgreSQL through ``scripts/with-postgres``, which sets ``SHOP_TEST_DATABASE_URL``). Set-up in-process: the
schema, a certified product with a batch, a flash sale (limit 1 per buyer) and buyers with enough points.
Over HTTP against gunicorn: every buyer signs in, then at the start time ``--connections`` threads send one
``POST /promotions/flash/<id>/buy`` per buyer. Reported: bought (302), refused (409: sold out …), errors
(anything else), p50/p99 latency and how long the units took to sell; then the database is read: units sold
and allocated, oversold, buyers over their limit, negative balances, balances that do not match purchases.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import checkout
from bench.servers import Gunicorn

WORKERS = 2
WORKER_CLASS = "sync"
PRICE = 30
POINTS = 100


def prepare(config: dict[str, Any], buyers: int, units: int) -> dict[str, Any]:
    """Migrate, then commit the product, its batch, the sale (starting in a day: moved once all signed in)
    and ``buyers`` buyers with :data:`POINTS` points each."""
    from catalog.producers.models import MemberRole, Producer, ProducerKind, ProducerMember, ProducerStatus
    from catalog.products.models import Category, Certification, CertificationStatus, Product, Unit
    from core.clock import shanghai_date
    from core.db import db_session, get_engine, utcnow
    from core.migrate import upgrade
    from core.models import User
    from core.regions import get_region, seed_regions
    from orders.models import SponsorKind
    from promotions.flash.models import FlashSale
    from promotions.points.services import earn
    from shop import create_app
    from traceability.batches.services import BatchData, create_batch

    app = create_app(dict(config))
    with app.app_context():
        upgrade(get_engine())
        if get_region(db_session, "653122") is None:
            seed_regions(db_session)
            db_session.commit()
        today, now = shanghai_date(), utcnow()
        county = get_region(db_session, "653122")
        if county is None:
            raise RuntimeError("the region tree is not loaded")
        owner = User(email="flash-owner@example.test", display_name="合作社负责人")
        owner.set_password(checkout.BUYER_PASSWORD)
        people = [User(email=f"flash-buyer-{i}@example.test", display_name=f"买家{i}") for i in range(buyers)]
        for person in people:
            person.password_hash = owner.password_hash
        producer = Producer(
            name="疏勒县抢购压测合作社",
            kind=ProducerKind.COOPERATIVE,
            status=ProducerStatus.APPROVED,
            county=county,
        )
        producer.members.append(ProducerMember(user=owner, role=MemberRole.OWNER))
        product = Product(
            producer=producer,
            name="疏勒县抢购灰枣",
            category=Category.DRIED_FRUIT_NUTS,
            unit=Unit.BOX,
            price_fen=6800,
        )
        product.certifications.append(
            Certification(
                status=CertificationStatus.CERTIFIED,
                certificate_no="XFBF-FLASH-BENCH",
                authority="疏勒县乡村振兴局",
                valid_from=today - timedelta(days=10),
                valid_to=today + timedelta(days=300),
            )
        )
        db_session.add_all([owner, *people, producer, product])
        db_session.flush()
        origin = sorted(county.children, key=lambda r: r.code or "")[0]
        batch = create_batch(
            db_session,
            owner,
            product,
            BatchData(units + 100, today - timedelta(days=1), today + timedelta(days=60), origin=origin),
        )
        sale = FlashSale(
            title="压测积分抢购",
            product_id=product.id,
            producer_id=producer.id,
            units=units,
            sold=0,
            points_price=PRICE,
            per_buyer_limit=1,
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=2),
            sponsor_kind=SponsorKind.PLATFORM,
            sponsor_name="",
        )
        db_session.add(sale)
        db_session.flush()
        for person in people:
            earn(db_session, person.id, POINTS, "order", person.id, now)
        db_session.commit()
        prepared = {
            "sale_id": sale.id,
            "batch_id": batch.id,
            "emails": [p.email for p in people],
            "buyer_ids": [p.id for p in people],
        }
    app.extensions["db"].engine.dispose()
    return prepared


def _start_in(url: str, sale_id: int, seconds: float) -> None:
    """Move the sale's start ``seconds`` from now (after everyone signed in)."""
    from sqlalchemy import create_engine, update

    from core.db import utcnow
    from promotions.flash.models import FlashSale

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            update(FlashSale)
            .where(FlashSale.id == sale_id)
            .values(starts_at=utcnow() + timedelta(seconds=seconds))
        )
    engine.dispose()


def _press(port: int, sale_id: int, cookie: str, token: str) -> tuple[int, float, float]:
    """One buyer's one click: (status, seconds it took, when it was answered)."""
    body = urllib.parse.urlencode({**checkout.ADDRESS, "csrf_token": token})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    started = time.perf_counter()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("POST", f"/promotions/flash/{sale_id}/buy", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        status = response.status
        connection.close()
    except OSError:
        status = 0
    ended = time.perf_counter()
    return status, ended - started, ended


def verify(url: str, prepared: dict[str, Any], units: int) -> dict[str, Any]:
    """What the database says after the race."""
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.orm import Session

    from orders.models import Allocation
    from promotions.flash.models import FlashBuyer, FlashPurchase, FlashSale
    from promotions.points.models import PointsAccount

    engine = create_engine(url)
    with Session(engine) as session:
        sale = session.get(FlashSale, prepared["sale_id"])
        if sale is None:
            raise RuntimeError("the flash sale is gone")
        allocated = session.scalar(
            select(func.coalesce(func.sum(Allocation.quantity), 0)).where(
                Allocation.batch_id == prepared["batch_id"]
            )
        )
        over_limit = session.scalar(
            select(func.count()).where(
                FlashBuyer.sale_id == sale.id, FlashBuyer.bought > sale.per_buyer_limit
            )
        )
        bought = dict(
            session.execute(
                select(FlashPurchase.user_id, func.count())
                .where(FlashPurchase.sale_id == sale.id)
                .group_by(FlashPurchase.user_id)
            ).all()
        )
        balances = dict(
            session.execute(
                select(PointsAccount.user_id, PointsAccount.balance).where(
                    PointsAccount.user_id.in_(prepared["buyer_ids"])
                )
            ).all()
        )
        wrong = sum(
            1 for uid in prepared["buyer_ids"] if balances.get(uid, 0) != POINTS - PRICE * bought.get(uid, 0)
        )
        result = {
            "units": units,
            "sold": sale.sold,
            "allocated": int(allocated or 0),
            "purchases": sum(bought.values()),
            "oversold": max(0, sale.sold - units) + max(0, int(allocated or 0) - units),
            "buyers_over_limit": int(over_limit or 0),
            "negative_balances": sum(1 for b in balances.values() if b < 0),
            "balances_not_matching_purchases": wrong,
        }
    engine.dispose()
    return result


def run(name: str, url: str, workdir: Path, buyers: int, units: int, connections: int) -> dict[str, Any]:
    """Prepare, serve, sign everyone in, race, verify."""
    config = {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": url,
        "UPLOAD_DIR": str(workdir / "uploads"),
        "PUBLIC_BASE_URL": "http://127.0.0.1",
        "RATELIMIT_STORAGE_URL": "memory://",
    }
    print(f"[{name}] migrating and preparing {buyers} buyers …", flush=True)
    prepared = prepare(config, buyers, units)
    env = {f"SHOP_{key}": str(value) for key, value in config.items()}
    env["SHOP_SESSION_COOKIE_SECURE"] = "false"
    env["SHOP_RATELIMIT_LOGIN"] = "100000 per minute"
    args = ["-w", str(WORKERS), "-k", WORKER_CLASS]
    with Gunicorn("shop:create_app()", args, env, workdir / f"flash-{name}.log") as shop:
        print(f"[{name}] {buyers} buyers sign in …", flush=True)
        with ThreadPoolExecutor(connections) as pool:
            sessions = list(pool.map(lambda email: checkout.sign_in(shop.port, email), prepared["emails"]))
        _start_in(url, prepared["sale_id"], 2)
        time.sleep(2.2)
        print(f"[{name}] the sale starts: {buyers} clicks over {connections} connections …", flush=True)
        began = time.perf_counter()
        with ThreadPoolExecutor(connections) as pool:
            answers = list(
                pool.map(lambda pair: _press(shop.port, prepared["sale_id"], pair[0], pair[1]), sessions)
            )
    latencies = sorted(seconds for _status, seconds, _at in answers)
    bought_at = sorted(at - began for status, _s, at in answers if status == 302)
    result = {
        "database": name,
        "buyers": buyers,
        "connections": connections,
        "bought": sum(1 for status, _s, _a in answers if status == 302),
        "refused": sum(1 for status, _s, _a in answers if status == 409),
        "errors": sum(1 for status, _s, _a in answers if status not in (302, 409)),
        "p50_s": round(statistics.median(latencies), 3),
        "p99_s": round(latencies[max(0, int(len(latencies) * 0.99) - 1)], 3),
        "sold_out_after_s": round(bought_at[-1], 3) if bought_at else None,
        "verified": verify(url, prepared, units),
    }
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the race on the databases asked for; exit 1 if anything was oversold, over a limit or wrong."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "all"), default="sqlite")
    parser.add_argument("--buyers", type=int, default=5000)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args(argv)
    names = ("sqlite", "postgresql") if args.database == "all" else (args.database,)
    results = []
    with tempfile.TemporaryDirectory(prefix="flash-bench-") as tmp:
        workdir = Path(tmp)
        for name in names:
            if name == "sqlite":
                url = f"sqlite:///{workdir / 'flash.sqlite3'}"
            else:
                url = os.environ.get("SHOP_TEST_DATABASE_URL", "")
                if not url:
                    print("postgresql: run through scripts/with-postgres", file=sys.stderr)
                    return 2
            results.append(run(name, url, workdir, args.buyers, args.units, args.connections))
    bad = [
        r
        for r in results
        if r["errors"]
        or r["verified"]["oversold"]
        or r["verified"]["buyers_over_limit"]
        or r["verified"]["negative_balances"]
        or r["verified"]["balances_not_matching_purchases"]
    ]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
