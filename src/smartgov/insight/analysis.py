"""Analyses of a coded project: code frequencies, code × case-variable crosstab, co-occurrence,
the saturation curve, and inter-coder agreement (Cohen's kappa per code, Krippendorff's alpha).

Agreement is counted on units: the sentences of every source two coders both coded (``texts.sentences``).
A coder applied code *c* to a unit when one of their selections with *c* overlaps it. Kappa per
code compares two coders' yes/no over those units; alpha (nominal) treats every (unit, code) pair
as a unit valued yes/no by each coder who coded the source — the usual way to get one figure for
multi-code data. The formulas are the textbook ones (Cohen 1960; Krippendorff 2011, "Computing
Krippendorff's alpha-reliability"), written here in a few lines and checked against hand-worked
examples in the tests.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from itertools import combinations

from sqlalchemy.orm import Session

from . import service, texts
from .models import Code, Coder, Project, Source


def frequencies(db: Session, project: Project) -> list[tuple[Code, int, int]]:
    """Every code with its number of coded segments and of sources it appears in, code-system order."""
    segs = service.segments(db, project)
    count = Counter(s.code_id for s in segs)
    where: dict[int, set[int]] = defaultdict(set)
    for s in segs:
        where[s.code_id].add(s.source_id)
    return [(code, count[code.id], len(where[code.id])) for _d, code in service.code_tree(db, project)]


def crosstab(db: Session, project: Project, variable: str) -> tuple[list[str], list[tuple[Code, list[int]]]]:
    """Sources coded with each code, per value of case variable ``variable`` (columns: sorted values)."""
    values = {sid: v.get(variable, "—") for sid, v in service.values_of(db, project).items()}
    columns = sorted(set(values.values()) | ({"—"} if len(values) < len(service.sources(db, project)) else set()))
    cells: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for s in service.segments(db, project):
        cells[s.code_id][values.get(s.source_id, "—")].add(s.source_id)
    rows = [(code, [len(cells[code.id][col]) for col in columns]) for _d, code in service.code_tree(db, project)]
    return columns, rows


def cooccurrence(db: Session, project: Project) -> dict[tuple[int, int], int]:
    """(code a, code b) with a < b → number of times their segments overlap in the same source."""
    by_source: dict[int, list[service.Segment]] = defaultdict(list)
    for s in service.segments(db, project):
        by_source[s.source_id].append(s)
    found: Counter[tuple[int, int]] = Counter()
    for segs in by_source.values():
        for x, y in combinations(segs, 2):
            if x.code_id != y.code_id and x.start < y.end and y.start < x.end:
                found[(min(x.code_id, y.code_id), max(x.code_id, y.code_id))] += 1
    return dict(found)


@dataclass(frozen=True)
class SaturationPoint:
    source: Source
    new_codes: int
    total_codes: int


def saturation(db: Session, project: Project) -> tuple[list[SaturationPoint], int | None]:
    """New codes per source in the order sources were first coded, and the 1-based position from
    which no source added a code (``None`` while the last source still added one)."""
    order: dict[int, int] = {}
    codes_of: dict[int, set[int]] = defaultdict(set)
    for s in service.segments(db, project):  # coding order: codings are numbered as they are made
        order.setdefault(s.source_id, len(order))
        codes_of[s.source_id].add(s.code_id)
    by_id = {s.id: s for s in service.sources(db, project)}
    seen: set[int] = set()
    points = []
    for source_id in sorted(order, key=order.__getitem__):
        new = codes_of[source_id] - seen
        seen |= new
        points.append(SaturationPoint(by_id[source_id], len(new), len(seen)))
    last_new = max((i for i, p in enumerate(points) if p.new_codes), default=None)
    flat = last_new + 2 if last_new is not None and last_new + 1 < len(points) else None
    return points, flat


# --------------------------------------------------------------------------- agreement


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two coders' labels on the same units (``None`` when chance agreement is total)."""
    if len(a) != len(b) or not a:
        raise ValueError("two equally long, non-empty sequences")
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in ca) / (n * n)
    return None if expected == 1 else (observed - expected) / (1 - expected)


def krippendorff_alpha_nominal(units: Sequence[Sequence[Hashable | None]]) -> float | None:
    """Krippendorff's alpha for nominal data: ``units[u]`` holds each coder's value (``None``: not coded).

    Units with fewer than two values are not pairable and are left out, as the coefficient defines.
    """
    coincidence: Counter[tuple[Hashable, Hashable]] = Counter()
    for unit in units:
        values = [v for v in unit if v is not None]
        m = len(values)
        if m < 2:
            continue
        for i, x in enumerate(values):
            for j, y in enumerate(values):
                if i != j:
                    coincidence[(x, y)] += 1 / (m - 1)
    n_c: Counter[Hashable] = Counter()
    for (x, _y), weight in coincidence.items():
        n_c[x] += weight
    n = sum(n_c.values())
    if n <= 1:
        return None
    observed = sum(w for (x, y), w in coincidence.items() if x != y)
    expected = sum(n_c[x] * n_c[y] for x in n_c for y in n_c if x != y) / (n - 1)
    return None if expected == 0 else 1 - observed / expected


@dataclass(frozen=True)
class Disagreement:
    source: Source
    start: int
    end: int
    code: Code
    coded_by: tuple[str, ...]
    not_by: tuple[str, ...]


@dataclass(frozen=True)
class Agreement:
    coders: list[Coder]
    units: int
    kappa: list[tuple[Code, float | None, int]]  # per code: kappa of the first two coders, units either applied it
    alpha: float | None
    disagreements: list[Disagreement]


def agreement(db: Session, project: Project, coder_ids: Sequence[int] | None = None) -> Agreement:
    """Agreement between coders (default: every coder) on the sentences of sources at least two of them coded."""
    coders = [c for c in service.coders(db, project) if coder_ids is None or c.id in coder_ids]
    ids = [c.id for c in coders]
    applied: dict[tuple[int, int], list[tuple[int, int, int]]] = defaultdict(list)  # (source, coder) → spans+code
    for s in service.segments(db, project):
        if s.coder_id in ids:
            applied[(s.source_id, s.coder_id)].append((s.start, s.end, s.code_id))
    sources = {s.id: s for s in service.sources(db, project)}
    codes = {c.id: c for c in service.codes(db, project)}
    rows: list[tuple[Source, int, int, dict[int, set[int]]]] = []  # unit → coder → codes
    for source_id, source in sources.items():
        who = [cid for cid in ids if (source_id, cid) in applied]
        if len(who) < 2:
            continue
        for start, end in texts.sentences(source.text):
            got = {cid: {code for s, e, code in applied[(source_id, cid)] if s < end and start < e} for cid in who}
            rows.append((source, start, end, got))
    used = sorted({code for _s, _a, _b, got in rows for cs in got.values() for code in cs},
                  key=lambda c: (codes[c].position, c))
    kappas = []
    if len(ids) >= 2:
        first, second = ids[0], ids[1]
        pair = [got for _s, _a, _b, got in rows if first in got and second in got]
        for code in used:
            a = [code in got[first] for got in pair]
            b = [code in got[second] for got in pair]
            kappas.append((codes[code], cohen_kappa(a, b) if pair else None, sum(x or y for x, y in zip(a, b,
                                                                                                         strict=True))))
    units = [[(code in got[cid]) if cid in got else None for cid in ids] for _s, _a, _b, got in rows for code in used]
    names = {c.id: c.name for c in coders}
    disagreements = [
        Disagreement(source, start, end, codes[code], tuple(names[c] for c in got if code in got[c]),
                     tuple(names[c] for c in got if code not in got[c]))
        for source, start, end, got in rows for code in used
        if 0 < sum(code in cs for cs in got.values()) < len(got)
    ]
    return Agreement(coders, len(rows), kappas, krippendorff_alpha_nominal(units) if units else None, disagreements)
