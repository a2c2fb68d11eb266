"""Accounts at the platform's size: an administrator, one reviewer per county, and the consumers who buy.

Every account signs in with :data:`SCALE_PASSWORD` (hashed once: hashing is deliberately slow). A consumer's
delivery address, name and mobile number follow from their number, so the orders and the shipping events
that name the same address agree without storing it twice.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass

from werkzeug.security import generate_password_hash

from orders.addresses import PROVINCES, Province
from shop.demo.scale.loader import Loader
from shop.demo.scale.places import County
from shop.demo.scale.vocabulary import DISTRICT_WORDS, GIVEN, PLACE_CHARS, STREET_WORDS, SURNAMES

SCALE_PASSWORD = "scale-pass-2026"  # noqa: S105 (printed on purpose: these accounts exist only in bench data)
EMAIL_DOMAIN = "scale.bangfu.cn"
USER_COLUMNS = (
    "id",
    "email",
    "display_name",
    "password_hash",
    "is_admin",
    "is_active",
    "locale",
    "created_at",
    "email_verified_at",
    "session_token",
)
#: Buyers' provinces (the populous east buys most).
BUYER_PROVINCES = [p for p in PROVINCES if p.code not in ("710000", "810000", "820000")]


def person_name(number: int) -> str:
    """A Chinese personal name that follows from ``number``."""
    return (
        SURNAMES[number % len(SURNAMES)]
        + GIVEN[(number // len(SURNAMES)) % len(GIVEN)]
        + ("" if number % 3 else GIVEN[(number // 7) % len(GIVEN)])
    )


def mobile(number: int, prefix: str = "13") -> str:
    """A mainland mobile number (valid prefix, 11 digits) that follows from ``number``."""
    return f"{prefix}{number % 10**9:09d}"


@dataclass(frozen=True)
class Address:
    """A consumer's delivery address."""

    recipient: str
    mobile: str
    province: Province
    city: str
    district: str
    detail: str


def province_of(buyer: int) -> Province:
    """The province the ``buyer``-th consumer lives in (as :func:`address_of` says)."""
    return BUYER_PROVINCES[(buyer * 7) % len(BUYER_PROVINCES)]


@functools.cache
def address_of(buyer: int) -> Address:
    """The delivery address of the ``buyer``-th consumer."""
    province = province_of(buyer)
    size = len(PLACE_CHARS)
    a, b = PLACE_CHARS[buyer % size], PLACE_CHARS[(buyer // size) % size]
    c = PLACE_CHARS[(buyer * 7 + 3) % size]
    city = province.name if province.name.endswith("市") else f"{a}{b}市"
    return Address(
        recipient=person_name(buyer),
        mobile=mobile(buyer, "15"),
        province=province,
        city=city,
        district=f"{b}{c}{DISTRICT_WORDS[buyer % len(DISTRICT_WORDS)]}",
        detail=f"{c}{a}{STREET_WORDS[buyer % len(STREET_WORDS)]}{buyer % 300 + 1}号"
        f"{buyer % 30 + 1}栋{buyer % 6 + 1}单元",
    )


@dataclass
class People:
    """Ids of the accounts other steps refer to."""

    admin_id: int
    #: The first consumer's id; consumers are ``first_buyer … first_buyer + buyers - 1``.
    first_buyer: int
    buyers: int
    password_hash: str


class Accounts:
    """Writes user rows (one table buffer shared by every step that creates accounts)."""

    def __init__(self, loader: Loader, first_id: int, joined: int) -> None:
        """Accounts get ids from ``first_id`` on; by default they signed up at ``joined`` (epoch seconds)."""
        self.loader, self.next_id, self.joined = loader, first_id, joined
        self.table = loader.table("core_user", USER_COLUMNS)
        self.password_hash = generate_password_hash(SCALE_PASSWORD)

    def add(self, email: str, name: str, *, is_admin: bool = False, joined: int | None = None) -> int:
        """Write one account; return its id."""
        v = self.loader.values
        user_id = self.next_id
        self.next_id += 1
        self.table.add(
            (
                user_id,
                email,
                name,
                self.password_hash,
                v.flag(is_admin),
                v.true,
                v.null,
                v.ts(self.joined if joined is None else joined),
                v.ts(self.joined if joined is None else joined),  # generated accounts count as confirmed
                secrets.token_hex(16),
            )
        )
        return user_id


def write_people(accounts: Accounts, counties: list[County], buyers: int, span: tuple[int, int]) -> People:
    """The administrator, a reviewer for each county (with its ``core_reviewer_county`` row) and ``buyers``
    consumers who joined over ``span`` (seconds since the epoch)."""
    loader = accounts.loader
    admin = accounts.add(f"admin@{EMAIL_DOMAIN}", "平台管理员", is_admin=True)
    reviewer_county = loader.table("core_reviewer_county", ("user_id", "region_id"))
    for county in counties:
        county.reviewer_id = accounts.add(
            f"reviewer.{county.code}@{EMAIL_DOMAIN}", f"{county.short}乡村振兴局审核员"
        )
        reviewer_county.add((county.reviewer_id, county.id))
    start, end = span
    first = accounts.next_id
    for number in range(buyers):
        loader.checkpoint()
        accounts.add(
            f"buyer{number}@{EMAIL_DOMAIN}",
            person_name(number),
            joined=start + (end - start) * number // buyers,
        )
    return People(admin, first, buyers, accounts.password_hash)
