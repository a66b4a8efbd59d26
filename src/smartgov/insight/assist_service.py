"""Use cases of assisted coding: run a method over a project's texts, store what it proposes as
suggestions with their provenance, and let a person approve or reject each one.

Nothing a method proposes changes the project by itself. An approval does what the person saw:
a candidate theme becomes a code (named by the person) applied to the example segments shown with
it; a suggested code is applied to its segment; a near-duplicate group is marked as one campaign
(the case variable ``campaign``), so analyses can count it once. Every run publishes
``SUGGESTIONS_MADE`` and every decision ``SUGGESTION_DECIDED``, so both are in the audit log and
the ledger. Functions take a Session and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from smartgov import clock, events
from smartgov.errors import DomainError, NotFound
from smartgov.i18n import N_
from smartgov.identity import Principal

from . import assist, persian, service, texts
from .events import SUGGESTION_DECIDED, SUGGESTIONS_MADE
from .models import Project, Source, Suggestion

METHODS = {"theme": "tfidf-nmf", "code": "tfidf-centroid-cosine", "duplicate": "minhash-lsh"}
MAX_THEMES = 30


@dataclass(frozen=True)
class Unit:
    """A sentence of a source: what themes and codes are suggested for."""

    source_id: int
    start: int
    end: int
    text: str


def units(db: Session, project: Project) -> list[Unit]:
    """Every sentence of every source of the project, in source order."""
    out = []
    for source in service.sources(db, project):
        out += [Unit(source.id, s, e, source.text[s:e]) for s, e in texts.sentences(source.text)]
    return out


def _store(db: Session, project: Project, principal: Principal | None, kind: str, parameters: dict[str, Any],
           found: Sequence[tuple[dict[str, Any], float]]) -> list[Suggestion]:
    """Store one run: older undecided suggestions of the kind are superseded, the new ones wait."""
    db.execute(update(Suggestion).where(Suggestion.project_id == project.id, Suggestion.kind == kind,
                                        Suggestion.status == "pending").values(status="superseded"))
    run, now = str(uuid.uuid4()), clock.now()
    rows = [Suggestion(project_id=project.id, run=run, kind=kind, method=METHODS[kind],
                       parameters={**parameters, **persian.PARAMETERS}, payload=payload, score=score,
                       status="pending", created_by=principal.id if principal else None, created_at=now, note="")
            for payload, score in found]
    db.add_all(rows)
    db.flush()
    events.publish(db, SUGGESTIONS_MADE, actor_id=principal.id if principal else None, project=project.id,
                   run=run, kind=kind, method=METHODS[kind], count=len(rows))
    return rows


def _span(unit: Unit) -> dict[str, Any]:
    return {"source": unit.source_id, "start": unit.start, "end": unit.end}


def run_themes(db: Session, project: Project, principal: Principal | None, *, k: int = 6,
               seed: int = 0) -> list[Suggestion]:
    """Candidate themes of the project's sentences (TF-IDF + NMF), each with key terms and examples."""
    if not 2 <= k <= MAX_THEMES:
        raise DomainError("themes_k", N_("Ask for between {low} and {high} themes."), field="k", status=422,
                          low=2, high=MAX_THEMES)
    found = units(db, project)
    if len(found) < 2 * k:
        raise DomainError("too_little_text", N_("The project has too few sentences for this many themes."),
                          field="k", status=422)
    proposals = assist.propose_themes([u.text for u in found], k, seed=seed)
    return _store(db, project, principal, "theme", {"k": k, "seed": seed, "units": len(found)}, [
        ({"terms": [[t, round(w, 4)] for t, w in p.terms], "segments": [_span(found[i]) for i in p.examples],
          "size": p.size}, round(p.size / len(found), 4)) for p in proposals])


def coded_units(db: Session, project: Project, principal: Principal) -> tuple[list[tuple[Unit, int]], list[Unit]]:
    """The sentences coded (as ``principal`` may see them: blind projects show their own coding)
    with each code, and the sentences nobody coded."""
    coder = service.coder_for(db, project, principal) if project.blind else None
    segs = service.segments(db, project, coder_id=coder.id if coder else None)
    by_source: dict[int, list[service.Segment]] = {}
    for seg in segs:
        by_source.setdefault(seg.source_id, []).append(seg)
    coded, uncoded = [], []
    for unit in units(db, project):
        codes = {s.code_id for s in by_source.get(unit.source_id, []) if s.start < unit.end and unit.start < s.end}
        if codes:
            coded += [(unit, c) for c in sorted(codes)]
        elif persian.tokens(unit.text):
            uncoded.append(unit)
    return coded, uncoded


def run_code_suggestions(db: Session, project: Project, principal: Principal, *, threshold: float = 0.1,
                         min_margin: float = 0.01) -> list[Suggestion]:
    """A code for each uncoded sentence that resembles the sentences already coded with it."""
    if not 0 < threshold < 1 or not 0 <= min_margin < 1:
        raise DomainError("threshold", N_("Enter a similarity between 0 and 1."), field="threshold", status=422)
    coded, uncoded = coded_units(db, project, principal)
    if not coded:
        raise DomainError("nothing_coded", N_("Code a few segments first: suggestions learn from them."),
                          field="threshold", status=422)
    found = assist.suggest_codes([(u.text, c) for u, c in coded], [u.text for u in uncoded], threshold=threshold,
                                 min_margin=min_margin)
    return _store(db, project, principal, "code", {"threshold": threshold, "min_margin": min_margin,
                                                   "coded_units": len(coded), "uncoded_units": len(uncoded)},
                  [({**_span(uncoded[s.index]), "code": s.label, "margin": s.margin}, s.score) for s in found])


def run_duplicates(db: Session, project: Project, principal: Principal | None, *,
                   threshold: float = 0.7) -> list[Suggestion]:
    """Groups of sources that say nearly the same thing (campaign comments)."""
    if not 0.3 <= threshold < 1:
        raise DomainError("threshold", N_("Enter a similarity between 0.3 and 1."), field="threshold", status=422)
    all_sources = service.sources(db, project)
    groups = assist.near_duplicates([s.text for s in all_sources], threshold=threshold)
    return _store(db, project, principal, "duplicate", {"threshold": threshold, "shingle": "char-5",
                                                        "permutations": 64, "bands": 16, "sources": len(all_sources)},
                  [({"sources": [all_sources[i].id for i in g]}, float(len(g))) for g in groups])


def suggestions(db: Session, project: Project, *, status: str | None = None,
                kind: str | None = None) -> list[Suggestion]:
    stmt = select(Suggestion).where(Suggestion.project_id == project.id)
    if status is not None:
        stmt = stmt.where(Suggestion.status == status)
    if kind is not None:
        stmt = stmt.where(Suggestion.kind == kind)
    return list(db.scalars(stmt.order_by(Suggestion.score.desc(), Suggestion.id)))


def get_suggestion(db: Session, project: Project, suggestion_id: int) -> Suggestion:
    found = db.get(Suggestion, suggestion_id)
    if found is None or found.project_id != project.id:
        raise NotFound("suggestion")
    return found


def theme_label(suggestion: Suggestion) -> str:
    """The name a candidate theme is offered under: its three strongest terms."""
    return " · ".join(t for t, _w in suggestion.payload.get("terms", [])[:3])


def decide(db: Session, project: Project, principal: Principal, suggestion: Suggestion, approve: bool, *,
           name: str = "", note: str = "") -> Suggestion:
    """A person's decision on one pending suggestion; an approval makes what the suggestion showed."""
    if suggestion.status != "pending":
        raise DomainError("suggestion_decided", N_("This suggestion has already been decided."), field="decision",
                          status=409)
    result = None
    if approve:
        if suggestion.kind == "theme":
            result = _approve_theme(db, project, principal, suggestion, name)
        elif suggestion.kind == "code":
            p = suggestion.payload
            selection = service.code_span(db, project, principal, service.get_source(db, project, p["source"]),
                                          p["start"], p["end"], [p["code"]])
            result = f"selection:{selection.id}"
        elif suggestion.kind == "summary":  # the summary (as the person edited it) describes the theme
            theme = service.get_theme(db, project, suggestion.payload["theme"])
            theme.description = (name.strip() or str(suggestion.payload["summary"]))[:20_000]
            result = f"theme:{theme.id}"
        else:
            for source_id in suggestion.payload["sources"]:
                service.set_value(db, project, service.get_source(db, project, source_id), "campaign",
                                  f"#{suggestion.id}")
            result = f"campaign:{suggestion.id}"
    suggestion.status = "approved" if approve else "rejected"
    suggestion.decided_by, suggestion.decided_at = principal.id, clock.now()
    suggestion.note = (name if approve and suggestion.kind in ("theme", "summary") else note).strip()[:2000]
    suggestion.result = result
    db.flush()
    events.publish(db, SUGGESTION_DECIDED, actor_id=principal.id, project=project.id, suggestion=suggestion.id,
                   kind=suggestion.kind, method=suggestion.method, run=suggestion.run, decision=suggestion.status,
                   result=result)
    return suggestion


def _approve_theme(db: Session, project: Project, principal: Principal, suggestion: Suggestion, name: str) -> str:
    terms = "، ".join(t for t, _w in suggestion.payload.get("terms", []))
    spans = suggestion.payload.get("segments", [])
    sources = {s.id: s for s in db.scalars(select(Source).where(Source.id.in_({sp["source"] for sp in spans})))}
    example = next((sources[sp["source"]].text[sp["start"]:sp["end"]] for sp in spans if sp["source"] in sources), "")
    code = service.create_code(db, project, principal, name.strip() or theme_label(suggestion),
                               definition=terms, examples=example[:2000])
    for sp in spans:
        if sp["source"] in sources and sources[sp["source"]].project_id == project.id:
            service.code_span(db, project, principal, sources[sp["source"]], sp["start"], sp["end"], [code.id])
    return f"code:{code.id}"


def kwic(db: Session, project: Project, keyword: str, *, width: int = 50) -> list[tuple[Source, assist.Concordance]]:
    """Keyword in context over every source of the project."""
    keyword = keyword.strip()[:200]
    all_sources = service.sources(db, project)
    return [(all_sources[c.index], c) for c in assist.kwic([s.text for s in all_sources], keyword, width=width)]
