"""The one pagination convention of the API, used by every list route.

Query: ``?page=1&per_page=20`` (``per_page`` ≤ 100). Response:
``{"items": [...], "page": 1, "per_page": 20, "total": 57, "pages": 3}``.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

import annotated_types
from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

#: A page number, from 1; bounded so that its offset stays within what a database takes.
PageNumber = Annotated[int, annotated_types.Interval(ge=1, le=1_000_000)]


class PageParams(BaseModel):
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def page_params(
    page: Annotated[PageNumber, Query(description="Page number, from 1.")] = 1,
    per_page: Annotated[int, Query(ge=1, le=100, description="Items per page, at most 100.")] = 20,
) -> PageParams:
    return PageParams(page=page, per_page=per_page)


Pagination = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int
    pages: int


def paginate(db: Session, stmt: Select[Any], params: PageParams) -> tuple[list[Any], int]:
    """Rows of one page and the total count of ``stmt``."""
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(db.scalars(stmt.limit(params.per_page).offset(params.offset)))
    return rows, total


def paginate_rows(db: Session, stmt: Select[Any], params: PageParams) -> tuple[list[Any], int]:
    """Like :func:`paginate` for a statement of several columns (an aggregate): rows, not scalars."""
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(db.execute(stmt.limit(params.per_page).offset(params.offset)))
    return rows, total


def page_of(items: list[T], total: int, params: PageParams) -> dict[str, Any]:
    return {
        "items": items, "page": params.page, "per_page": params.per_page, "total": total,
        "pages": (total + params.per_page - 1) // params.per_page,
    }
