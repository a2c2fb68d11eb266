"""Pagination of SELECT statements (offset-based, for lists people page through)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """One page of results with what a pager needs."""

    items: list[T]
    page: int
    per_page: int
    total: int
    #: ``total`` is a lower bound: more results were found than were counted.
    more: bool = False
    #: The deepest page offered (``None``: every page).
    last_page: int | None = None

    @property
    def pages(self) -> int:
        """Number of pages offered (at least one)."""
        pages = max(1, -(-self.total // self.per_page))
        return min(pages, self.last_page) if self.last_page else pages

    @property
    def is_cut(self) -> bool:
        """Whether some results lie beyond the last page offered."""
        return self.more or self.total > self.pages * self.per_page

    @property
    def has_prev(self) -> bool:
        """Whether there is a page before this one."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Whether there is a page after this one."""
        return self.page < self.pages


def paginate(session: Session, query: Select[Any], page: int, per_page: int = 20) -> Page[Any]:
    """Run ``query`` for one page; pages below 1 are treated as 1 and past the end as empty."""
    page = max(1, min(page, 100_000))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(items=items, page=page, per_page=per_page, total=total)


def capped_count(session: Session, query: Select[Any], cap: int) -> tuple[int, bool]:
    """How many rows ``query`` finds, counted no further than ``cap`` (a count that never grows with the
    table); and whether there are more. Give it a narrow query (one column): only its rows are counted."""
    bounded = query.order_by(None).limit(cap + 1).subquery()
    found = int(session.scalar(select(func.count()).select_from(bounded)) or 0)
    return min(found, cap), found > cap
