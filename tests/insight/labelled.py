"""The labelled Persian set (``data/labelled_comments.tsv``, written for the tests) and the one way
assisted coding is measured on it, shared by the test and ``bench/insight_bench.py``.

Protocol: a person has coded every ``every``-th comment (the seed a real analyst would code by hand
first); suggested codes are made for the others and compared with the person's codes. Themes are
measured by purity: the share of a candidate theme's texts that carry its most common human code.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from smartgov.insight import assist

DATA = Path(__file__).parent / "data" / "labelled_comments.tsv"


def load() -> list[tuple[str, str]]:
    """(theme, comment) rows of the labelled set."""
    rows = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            theme, text = line.split("\t")
            rows.append((theme, text))
    return rows


@dataclass(frozen=True)
class Result:
    codes: assist.Measures
    purity: float
    themes: int


def evaluate(rows: list[tuple[str, str]], *, every: int = 5, k: int = 6) -> Result:
    labels = {t: i for i, t in enumerate(sorted({t for t, _ in rows}))}
    seed = [i for i in range(len(rows)) if i % every == 0]
    rest = [i for i in range(len(rows)) if i % every]
    found = assist.suggest_codes([(rows[i][1], labels[rows[i][0]]) for i in seed], [rows[i][1] for i in rest])
    codes = assist.measure({rest[s.index]: s.label for s in found}, {i: labels[rows[i][0]] for i in rest})
    themes = assist.propose_themes([text for _, text in rows], k, seed=0)
    majority = sum(Counter(rows[i][0] for i in t.members).most_common(1)[0][1] for t in themes)
    return Result(codes, majority / sum(t.size for t in themes), len(themes))
