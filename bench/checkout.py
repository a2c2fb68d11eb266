"""The checkout scenario: buyers put one unit in the cart and check out (bank transfer), over and over.

Set-up (in-process, before the servers start): a certified product of a 疏勒县 cooperative with stock spread
over many batches, and one signed-up buyer per wrk connection. Then, over HTTP against the running app:
each buyer signs in (``POST /account/login``) and fetches a page for its CSRF token, exactly as a browser
would. wrk then runs one connection per thread, each thread one buyer, alternating ``POST /cart/add`` and
``POST /checkout`` (address, bank transfer, a fresh idempotency key) — reserve, allocate and order; a
placed checkout answers 302 to its payment page. Afterwards :func:`verify` reads the database: no batch
oversold, every order's lines fully allocated, stock taken equal to stock allocated.
"""

from __future__ import annotations

import http.client
import re
import urllib.parse
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

BUYER_PASSWORD = "bench-password-0123"  # noqa: S105 - throwaway accounts of a throwaway database
ADDRESS = {
    "recipient": "王芳",
    "mobile": "13812345678",
    "province": "500000",
    "city": "重庆市",
    "district": "九龙坡区",
    "detail": "杨家坪正街 8 号 2 单元 301",
    "method": "bank_transfer",
}
BATCH_UNITS = 500
_INPUT = re.compile(r"<input\b[^>]*>")
_VALUE = re.compile(r'\bvalue="([^"]+)"')


def _token(page: str) -> str | None:
    """The CSRF token of the first form on ``page`` that has one (attributes in any order)."""
    for tag in _INPUT.findall(page):
        if 'name="csrf_token"' in tag:
            value = _VALUE.search(tag)
            if value is not None:
                return value.group(1)
    return None


def stock(session: Session, owner: Any, product: Any, certificate_no: str, batches: int) -> list[Any]:
    """Certify the new ``product`` (a year's certificate) and record ``batches`` batches of
    :data:`BATCH_UNITS` units from the first township of 疏勒县, recorded by ``owner``; return the batches."""
    from datetime import timedelta

    from catalog.products.models import Certification, CertificationStatus
    from core.clock import shanghai_date
    from core.regions import get_region
    from traceability.batches.services import BatchData, create_batch

    today = shanghai_date()
    product.certifications.append(
        Certification(
            status=CertificationStatus.CERTIFIED,
            certificate_no=certificate_no,
            authority="疏勒县乡村振兴局",
            valid_from=today - timedelta(days=10),
            valid_to=today + timedelta(days=300),
        )
    )
    session.add(product)
    session.flush()
    county = get_region(session, "653122")
    if county is None:
        raise RuntimeError("the region tree is not loaded")
    origin = sorted(county.children, key=lambda r: r.code or "")[0]
    return [
        create_batch(
            session,
            owner,
            product,
            BatchData(BATCH_UNITS, today - timedelta(days=1), today + timedelta(days=60 + i), origin=origin),
        )
        for i in range(batches)
    ]


def prepare(session: Session, buyers: int, batches: int) -> dict[str, Any]:
    """Commit the product with ``batches`` batches of :data:`BATCH_UNITS` units and ``buyers`` buyers."""
    from catalog.producers.models import (
        MemberRole,
        Producer,
        ProducerKind,
        ProducerMember,
        ProducerStatus,
    )
    from catalog.products.models import Category, Product, Unit
    from core.models import User
    from core.regions import get_region

    county = get_region(session, "653122")
    if county is None:
        raise RuntimeError("the region tree is not loaded")
    owner = User(email="bench-owner@example.test", display_name="合作社负责人")
    owner.set_password(BUYER_PASSWORD)
    people = [User(email=f"bench-buyer-{i}@example.test", display_name=f"买家{i}") for i in range(buyers)]
    for person in people:
        person.password_hash = owner.password_hash  # one hash for all: signing up 64 people costs seconds
    producer = Producer(
        name="疏勒县压测专业合作社",
        kind=ProducerKind.COOPERATIVE,
        status=ProducerStatus.APPROVED,
        county=county,
    )
    producer.members.append(ProducerMember(user=owner, role=MemberRole.OWNER))
    product = Product(
        producer=producer,
        name="疏勒县压测灰枣",
        category=Category.DRIED_FRUIT_NUTS,
        unit=Unit.BOX,
        net_weight_g=1000,
        price_fen=6800,
    )
    session.add_all([owner, *people, producer])
    made = stock(session, owner, product, "XFBF-BENCH-0001", batches)
    session.commit()
    return {
        "product_id": product.id,
        "batch_ids": [b.id for b in made],
        "emails": [p.email for p in people],
        "units": BATCH_UNITS * batches,
    }


def _cookie(response: http.client.HTTPResponse, current: str) -> str:
    """The session cookie the response set, else the one we had."""
    for header in response.headers.get_all("Set-Cookie") or []:
        if header.startswith("session="):
            return header.split(";", 1)[0]
    return current


def sign_in(port: int, email: str) -> tuple[str, str]:
    """Sign ``email`` in over HTTP; return its session cookie and a CSRF token of that session."""
    form = urllib.parse.urlencode({"email": email, "password": BUYER_PASSWORD})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/account/login")
    first = connection.getresponse()
    page = first.read().decode()
    cookie = _cookie(first, "")
    token = _token(page)
    if token is None:
        raise RuntimeError("no CSRF token on the login page")
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    connection.request("POST", "/account/login", body=f"{form}&csrf_token={token}", headers=headers)
    signed = connection.getresponse()
    signed.read()
    if signed.status != 302:
        raise RuntimeError(f"{email} could not sign in: {signed.status}")
    cookie = _cookie(signed, cookie)
    connection.request("GET", "/cart", headers={"Cookie": cookie})
    cart = connection.getresponse()
    page = cart.read().decode()
    connection.close()
    token = _token(page)
    if token is None:
        raise RuntimeError("no CSRF token on the cart page")
    return _cookie(cart, cookie), token


def lua_script(
    path: Path,
    product_id: int,
    buyers: list[tuple[str, str]],
    extra: dict[str, str] | None = None,
    key_prefix: str = "bench",
) -> Path:
    """Write the wrk script: thread ``i`` is buyer ``i``, alternating add-to-cart and checkout (``extra``:
    more fields of the checkout form, such as a coupon code; ``key_prefix`` starts every idempotency key,
    distinct per scenario of a run since a key belongs to one buyer)."""
    rows = ",\n".join(f'  {{cookie = "{cookie}", token = "{token}"}}' for cookie, token in buyers)
    address = urllib.parse.urlencode({**ADDRESS, **(extra or {})})
    path.write_text(
        f"""-- Generated by bench/checkout.py: one buyer per thread (and per connection).
local buyers = {{
{rows}
}}
local threads, next_id = {{}}, 0
function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end
function init(args)
  buyer = buyers[id]
  answered, placed, refused, sample = 0, 0, 0, ""
  headers = {{["Cookie"] = buyer.cookie, ["Content-Type"] = "application/x-www-form-urlencoded"}}
end
-- request() decides from the answers counted so far and changes nothing: wrk calls it once more on the
-- first thread, to check the script, without sending what it returns.
function request()
  if answered % 2 == 0 then
    return wrk.format("POST", "/cart/add", headers,
      "product_id={product_id}&quantity=1&csrf_token=" .. buyer.token)
  end
  local key = string.format("{key_prefix}%03d%012d", id, answered)
  return wrk.format("POST", "/checkout", headers,
    "{address}&idempotency_key=" .. key .. "&csrf_token=" .. buyer.token)
end
function response(status, headers, body)
  if answered % 2 == 1 then
    -- placed: 302 to the payment page (an empty or faulty cart redirects to /cart instead)
    local location = headers["Location"] or ""
    if status == 302 and string.find(location, "/payments/", 1, true) then
      placed = placed + 1
    else
      refused = refused + 1
      if sample == "" then sample = status .. " " .. location end
    end
  end
  answered = answered + 1
end
function done(summary, latency, requests)
  local placed_all, refused_all, sample_all = 0, 0, ""
  for _, thread in ipairs(threads) do
    placed_all = placed_all + thread:get("placed")
    refused_all = refused_all + thread:get("refused")
    if sample_all == "" then sample_all = thread:get("sample") end
  end
  io.write(string.format("CHECKOUTS placed=%d refused=%d\\n", placed_all, refused_all))
  io.write("REFUSED " .. sample_all .. "\\n")
end
"""
    )
    return path


def parse_checkouts(output: str) -> dict[str, Any]:
    """The placed/refused counts the script's ``done`` printed, and the first refusal (status, Location)."""
    match = re.search(r"CHECKOUTS placed=(\d+) refused=(\d+)", output)
    if match is None:
        raise ValueError("the wrk script printed no checkout counts:\n" + output)
    sample = re.search(r"^REFUSED (.*)$", output, re.M)
    return {
        "placed": int(match.group(1)),
        "refused": int(match.group(2)),
        "refused_sample": sample.group(1).strip() if sample else "",
    }


def verify(session: Session, product_id: int, batch_ids: list[int]) -> dict[str, Any]:
    """Zero oversell and whole orders, read from the database after the run."""
    from orders.models import Allocation, Order, OrderLine
    from traceability.models import Batch

    batches = session.scalars(select(Batch).where(Batch.id.in_(batch_ids))).all()
    allocated = dict(
        session.execute(
            select(Allocation.batch_id, func.sum(Allocation.quantity))
            .where(Allocation.batch_id.in_(batch_ids))
            .group_by(Allocation.batch_id)
        ).all()
    )
    oversold = [
        b.lot_code for b in batches if allocated.get(b.id, 0) > b.quantity or b.quantity_available < 0
    ]
    drifted = [b.lot_code for b in batches if b.quantity - b.quantity_available != allocated.get(b.id, 0)]
    lines = session.execute(
        select(OrderLine.quantity, func.coalesce(func.sum(Allocation.quantity), 0))
        .outerjoin(Allocation, Allocation.line_id == OrderLine.id)
        .where(OrderLine.product_id == product_id)
        .group_by(OrderLine.id, OrderLine.quantity)
    ).all()
    orders = session.scalar(
        select(func.count(func.distinct(Order.id)))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(OrderLine.product_id == product_id)
    )
    partial = sum(1 for quantity, got in lines if quantity != got)
    return {
        "orders": int(orders or 0),
        "units_allocated": int(sum(allocated.values())),
        "units_in_batches": int(sum(b.quantity for b in batches)),
        "oversold_batches": len(oversold),
        "stock_drift_batches": len(drifted),
        "partially_allocated_lines": partial,
        "consistent": not oversold and not drifted and partial == 0,
    }
