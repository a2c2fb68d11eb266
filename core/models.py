"""Accounts, roles, the administrative-region tree and the versions of public data."""

from __future__ import annotations

import enum
import hmac
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core.db import Base, UTCDateTime, str_enum, utcnow


class RegionLevel(enum.StrEnum):
    """Levels of the Chinese administrative hierarchy we model."""

    PROVINCE = "province"
    PREFECTURE = "prefecture"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"


class Region(Base):
    """One node of the province → prefecture → county → township → village tree.

    ``code`` is the national statistical division code (6 digits down to county, 9 for townships,
    12 for villages) where one exists.
    """

    __tablename__ = "core_region"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    level: Mapped[RegionLevel] = mapped_column(str_enum(RegionLevel, 16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("core_region.id"), index=True)

    parent: Mapped[Region | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Region]] = relationship(back_populates="parent", order_by="Region.code")

    __table_args__ = (UniqueConstraint("parent_id", "name"),)

    def ancestors(self) -> list[Region]:
        """Return the chain from the root down to this region, itself included."""
        chain: list[Region] = []
        node: Region | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def path_name(self, separator: str = " ") -> str:
        """Return the full name, e.g. ``新疆维吾尔自治区 喀什地区 疏勒县``."""
        return separator.join(r.name for r in self.ancestors())

    def county(self) -> Region | None:
        """Return the county this region belongs to (itself when it is one)."""
        return next((r for r in self.ancestors() if r.level == RegionLevel.COUNTY), None)

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"


def new_session_token() -> str:
    """A fresh random session generation for :attr:`User.session_token`."""
    return secrets.token_urlsafe(24)


reviewer_county = Table(
    "core_reviewer_county",
    Base.metadata,
    Column("user_id", Integer, ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", Integer, ForeignKey("core_region.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, Base):
    """A person who signs in. Every user can buy as a consumer; other roles come from memberships."""

    __tablename__ = "core_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(256))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the user proved the address is theirs (the e-mailed link); roles need it. None: not yet.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The current generation of the user's sessions: part of every session and "keep me signed in" cookie
    #: (see :meth:`get_id`), replaced on log-out, password change and role change, which ends every session
    #: of the user on every device.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)

    #: Counties this user reviews for (乡村振兴局 staff); empty for everyone else.
    reviewer_counties: Mapped[list[Region]] = relationship(secondary=reviewer_county, order_by=Region.code)

    def set_password(self, password: str) -> None:
        """Store a salted Werkzeug hash of ``password``."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Return whether ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session and the remember cookie: user id and session generation."""
        return f"{self.id}:{self.session_token}"

    def holds_session(self, token: str) -> bool:
        """Whether ``token`` is the user's current session generation (compared in constant time)."""
        return hmac.compare_digest(self.session_token.encode(), token.encode())

    def end_sessions(self) -> None:
        """Start a new session generation: every session and remember cookie issued before stops working."""
        self.session_token = new_session_token()

    @property
    def is_email_verified(self) -> bool:
        """Whether the user confirmed their e-mail address (roles are granted only then)."""
        return self.email_verified_at is not None

    @property
    def is_reviewer(self) -> bool:
        """Whether the user reviews for at least one county."""
        return bool(self.reviewer_counties)

    def reviews_county(self, county: Region | None) -> bool:
        """Whether the user may decide matters of ``county``."""
        return county is not None and any(c.id == county.id for c in self.reviewer_counties)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class DataVersion(Base):
    """A counter per kind of public data (``catalog``…), raised in every transaction that changes it.

    Caches and conditional GETs read one row by its name instead of scanning tables to learn whether what
    they hold is still true; the database is shared, so every app server sees the same version.
    """

    __tablename__ = "core_data_version"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
