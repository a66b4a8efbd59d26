"""Open statistics and exports: participation by phase and place, CSV files, documents for text analysis."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import clock, files, identity
from smartgov.participation import integrity, statistics
from smartgov.participation.models import Activity, Budget, Comment, Consultation, ContentStatus, Poll, Section, Voter
from smartgov.settings import get_settings

from .ballots import budget_results, poll_results
from .common import today

DIMENSIONS = ("phase", "province", "age_band", "gender")


def participation_statistics(db: Session, process_kind: str, process_id: int) -> dict[str, Any]:
    """Distinct participants by phase, province, age band and gender, small cells suppressed (k=5)."""
    cells: dict[str, Counter[str]] = {d: Counter() for d in DIMENSIONS}
    people: set[Any] = set()
    if process_kind in ("poll", "budget"):
        rows = identity.person_demographics(db, select(Voter.person_id).where(Voter.box_kind == process_kind,
                                                                            Voter.box_id == process_id))
        for pid, province, birth, gender in rows:
            people.add(pid)
            for dim, value in (("phase", "voting"), ("province", province),
                               ("age_band", statistics.age_band(birth, today())), ("gender", gender)):
                cells[dim][value or "unknown"] += 1
    else:
        seen: dict[str, set[tuple[Any, str]]] = {d: set() for d in DIMENSIONS}
        rows2 = db.execute(select(Activity.person_id, Activity.id, Activity.phase, Activity.province,
                                  Activity.age_band, Activity.gender)
                           .where(Activity.process_kind == process_kind, Activity.process_id == process_id))
        for pid, aid, phase, province, band, gender in rows2:
            who = pid if pid is not None else f"anon-{aid}"
            people.add(who)
            for dim, value in (("phase", phase), ("province", province), ("age_band", band), ("gender", gender)):
                key = value or "unknown"
                if (who, key) not in seen[dim]:
                    seen[dim].add((who, key))
                    cells[dim][key] += 1
    return {
        "k": statistics.K,
        "participants": statistics.suppress_total(len(people)),
        **{dim: statistics.suppress(cells[dim]) for dim in DIMENSIONS},
    }


def _pseudonym(scope: str, account_id: int) -> str:
    key = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(key, f"participation-export:{scope}:{account_id}".encode(), hashlib.sha256).hexdigest()[:12]


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    return files.csv_text(header, rows)  # formulas people typed (a comment "=HYPERLINK(…)") are neutralized


def comments_csv(db: Session, consultation: Consultation) -> str:
    """Visible comments for analysis: pseudonymous authors (stable within this consultation only),
    the day not the moment, phone numbers, e-mails and 10-digit codes redacted."""
    numbers = {s.id: s.number for s in consultation.sections}
    rows = db.scalars(select(Comment).where(Comment.subject_kind == "consultation",
                                            Comment.subject_id == consultation.id,
                                            Comment.status == ContentStatus.VISIBLE).order_by(Comment.id))
    return _csv(["comment_id", "parent_id", "section", "language", "created_date", "author", "agree", "disagree",
                 "text"],
                ([c.id, c.parent_id or "", numbers.get(c.section_id or 0, ""), c.language,
                  clock.local(c.created_at).date().isoformat(),
                  _pseudonym(f"consultation:{consultation.id}", c.author_id),
                  c.agree_count, c.disagree_count, integrity.redact(c.body)] for c in rows))


def poll_results_csv(db: Session, poll: Poll) -> str:
    res = poll_results(db, poll)
    labels = {o.id: o for o in poll.options}
    return _csv(["option", "label_fa", "label_en", "votes"],
                ([r["position"], labels[r["option_id"]].label_fa, labels[r["option_id"]].label_en, r["votes"]]
                 for r in res["options"]))


def budget_results_csv(db: Session, budget: Budget) -> str:
    projects = {p.id: p for p in budget.projects}
    return _csv(["rank", "project", "title_fa", "title_en", "cost", "votes", "funded", "reason"],
                ([line.rank, projects[line.project_id].position, projects[line.project_id].title_fa,
                  projects[line.project_id].title_en, line.cost, line.votes, int(line.funded), line.reason]
                 for line in budget_results(db, budget)))


@dataclass(frozen=True)
class Document:
    """One text for the text-analysis module: stable id, text, language, section, creation day."""

    id: str
    text: str
    language: str
    section: str | None
    created: dt.date
    source: str


def export_documents(db: Session, *, consultation_id: int | None = None, subject_kind: str = "consultation",
                     since: dt.date | None = None) -> list[Document]:
    """Visible comments as documents (redacted), oldest first; the interface ``insight`` reads."""
    stmt = select(Comment).where(Comment.subject_kind == subject_kind, Comment.status == ContentStatus.VISIBLE)
    if consultation_id is not None:
        stmt = stmt.where(Comment.subject_id == consultation_id)
    if since is not None:
        stmt = stmt.where(Comment.created_at >= clock.day_start(since))
    numbers = dict(db.execute(select(Section.id, Section.number)).tuples().all())
    return [
        Document(id=f"participation.comment:{c.id}", text=integrity.redact(c.body), language=c.language,
                 section=str(numbers[c.section_id]) if c.section_id in numbers else None,
                 created=clock.local(c.created_at).date(), source=f"{c.subject_kind}:{c.subject_id}")
        for c in db.scalars(stmt.order_by(Comment.id))
    ]
