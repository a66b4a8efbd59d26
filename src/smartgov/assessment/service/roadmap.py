"""Roadmap: actions for the weakest components, and their progress."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import clock
from smartgov.assessment import roadmap as roadmap_data
from smartgov.assessment.models import AssessmentRound, RoadmapAction
from smartgov.assessment.schemas import RoundResults, ScoreOut
from smartgov.errors import DomainError, NotFound
from smartgov.i18n import N_

from .instruments import framework_of


def weakest(results: RoundResults, limit: int = 5) -> list[ScoreOut]:
    """Components below 60 % (at least the ``limit`` lowest), weakest first."""
    ranked = sorted(results.components, key=lambda s: s.percent)
    weak = [s for s in ranked if s.percent < 60]
    return weak if len(weak) >= limit else ranked[:limit]


def build_roadmap(db: Session, rnd: AssessmentRound, results: RoundResults, limit: int = 5) -> list[RoadmapAction]:
    """Actions for the weakest components from the bilingual mapping; keeps owners and dates already set."""
    fw = framework_of(rnd.instrument)
    existing = {a.action_key: a for a in db.scalars(select(RoadmapAction).where(RoadmapAction.round_id == rnd.id))}
    now = clock.now()
    out = []
    for s in weakest(results, limit):
        node = fw.node(s.code)
        parent = fw.parent_of(s.code)
        for n, action in enumerate(roadmap_data.actions_for(fw.id, node, parent)):
            key = f"{s.code}:{action.key}:{n}"
            row = existing.get(key)
            if row is None:
                row = RoadmapAction(
                    round_id=rnd.id,
                    component=s.code,
                    action_key=key,
                    phase=action.phase,
                    title_fa=action.text_fa,
                    title_en=action.text_en,
                    capabilities=list(action.capabilities),
                    status="planned",
                    updated_at=now,
                )
                db.add(row)
            row.score_percent = s.percent
            out.append(row)
    db.flush()
    return sorted(out, key=lambda a: (a.phase, a.score_percent or 0, a.id))


def roadmap_of(db: Session, rnd: AssessmentRound) -> list[RoadmapAction]:
    return list(
        db.scalars(
            select(RoadmapAction)
            .where(RoadmapAction.round_id == rnd.id)
            .order_by(RoadmapAction.phase, RoadmapAction.score_percent, RoadmapAction.id)
        )
    )


def update_action(
    db: Session,
    rnd: AssessmentRound,
    action_id: int,
    *,
    owner: str | None = None,
    due_date: dt.date | None = None,
    status: str | None = None,
    phase: int | None = None,
) -> RoadmapAction:
    """The agency admin names an owner and a date (and moves status or phase) for one action."""
    action = db.get(RoadmapAction, action_id)
    if action is None or action.round_id != rnd.id:
        raise NotFound("roadmap action")
    if status is not None and status not in ("planned", "in_progress", "done"):
        raise DomainError("bad_status", N_("Choose one of the allowed values."), field="status")
    if phase is not None and not 1 <= phase <= 4:
        raise DomainError("bad_phase", N_("Choose one of the allowed values."), field="phase")
    action.owner = (owner or "").strip()[:120] or None
    action.due_date = due_date
    if status:
        action.status = status
    if phase:
        action.phase = phase
    action.updated_at = clock.now()
    return action
