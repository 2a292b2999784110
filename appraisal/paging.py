"""Paging of list screens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(
    session: Session, stmt: Select[Any], page: int, per_page: int, clamp: bool = True
) -> Page[Any]:
    """One page of `stmt` and the total; a page beyond the last is the last one (screens),
    or empty with `clamp` False (the API: a client walking pages sees where they end)."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if clamp:
        page = max(1, min(page, max(1, -(-total // per_page))))
    items = session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=list(items), page=page, per_page=per_page, total=total)
