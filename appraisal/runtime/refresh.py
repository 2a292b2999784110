"""Storing every appraisal's official result again, after an upgrade that changes how results
are worked out; every figure it moves is audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..models import Appraisal
from .reviews.reviews import refresh_result


@dataclass(frozen=True)
class Moved:
    appraisal: Appraisal
    was: dict[str, Any]
    now: dict[str, Any]


def refresh_all_results(session: Session) -> tuple[list[Moved], int]:
    """Work out every appraisal's result again; the ones whose stored total, grade or
    completeness moved (each audited as `appraisal.rescored`), and how many were checked."""
    appraisals = session.scalars(
        select(Appraisal)
        .options(
            selectinload(Appraisal.cycle),
            selectinload(Appraisal.template_version),
            selectinload(Appraisal.reviews),
            selectinload(Appraisal.employee),
        )
        .order_by(Appraisal.id)
    ).all()
    moved = []
    for appraisal in appraisals:
        before = (appraisal.total, appraisal.grade, appraisal.complete)
        refresh_result(appraisal)
        after = (appraisal.total, appraisal.grade, appraisal.complete)
        if before == after:
            continue
        was, now = _plain(before), _plain(after)
        audit.record(
            session,
            appraisal.organization_id,
            None,
            "appraisal.rescored",
            "appraisal",
            appraisal.id,
            changes=audit.changes(was, now),
        )
        moved.append(Moved(appraisal, was, now))
    return moved, len(appraisals)


def _plain(figures: tuple) -> dict[str, Any]:
    total, grade, complete = figures
    return {"total": None if total is None else float(total), "grade": grade, "complete": complete}
