"""Paging of list screens."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
        return page_count(self.total, self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` rows fill (an empty list is still one page)."""
    return max(1, -(-total // per_page))


def paginate(
    session: Session,
    stmt: Select[Any],
    page: int,
    per_page: int,
    clamp: bool = True,
    rows: bool = False,
) -> Page[Any]:
    """One page of `stmt` and the total; a page beyond the last is the last one (screens),
    or empty with `clamp` False (the API: a client walking pages sees where they end).
    Items are the first column's values, or whole rows with `rows` (a grouped select)."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if clamp:
        page = max(1, min(page, page_count(total, per_page)))
    one_page = stmt.limit(per_page).offset((page - 1) * per_page)
    items = session.execute(one_page).all() if rows else session.scalars(one_page).all()
    return Page(items=list(items), page=page, per_page=per_page, total=total)


def paginate_ids(
    session: Session,
    ids: Select[tuple[int]],
    page: int,
    per_page: int,
    parameters: Mapping[str, Any] | None = None,
) -> Page[int]:
    """One page of the ids `ids` selects (with its bound `parameters`), in its order, and
    their total, from one statement. For a list whose order sorts every row anyway (ordered
    across a join, so no index gives it), counting apart would walk the rows twice: a top
    manager's My team is their whole chain, found by a recursive query each walk. A page
    beyond the last is the last one."""
    found = session.scalars(ids, parameters).all()
    return paginate_list(found, page, per_page)


def paginate_list(items: Sequence[T], page: int, per_page: int) -> Page[T]:
    """One page of a list already in memory (a short one: tens of rows searched in Python)."""
    page = max(1, min(page, page_count(len(items), per_page)))
    return Page(list(items[(page - 1) * per_page : page * per_page]), page, per_page, len(items))
