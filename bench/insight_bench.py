"""Assisted themes at consultation scale, and measured on the labelled Persian set.

    PYTHONPATH=src:. .venv/bin/python bench/insight_bench.py [--comments 100000]

1. The labelled set (tests/insight/data/labelled_comments.tsv, 150 comments, six themes, coded by a
   person): precision, recall and Cohen's kappa of suggested codes, purity of candidate themes
   (the same protocol as tests/insight/test_insight_assist_measured.py).
2. ``--comments`` comments made from the labelled ones (each a labelled comment with words dropped
   and a second comment's half appended, so few are exact copies) plus 5 % campaign comments (one
   text sent again with a word or a mark changed): the Persian reading of every comment, TF-IDF +
   NMF (six themes), and near-duplicate groups, each timed; the target is the whole < 60 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.insight import labelled

from smartgov.insight import assist, persian

CAMPAIGN = "ما بازنشستگان خواهان افزایش فوری مستمری متناسب با تورم و اجرای کامل همسان‌سازی هستیم"


def corpus(n: int, seed: int = 7) -> list[str]:
    rows = [text for _, text in labelled.load()]
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if i % 20 == 0:  # 5 % campaign: the same text with one word or mark changed
            words = CAMPAIGN.split()
            words[rng.randrange(len(words))] = rng.choice(["لطفاً", "فوراً", "ما", "!"])
            out.append(" ".join(words))
            continue
        words = rng.choice(rows).split()
        keep = [w for w in words if rng.random() > 0.15] or words
        other = rng.choice(rows).split()
        out.append(" ".join(keep + other[len(other) // 2:]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=100_000)
    args = parser.parse_args()
    print(f"machine: {platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; load average before: {os.getloadavg()}")
    result = labelled.evaluate(labelled.load())
    c = result.codes
    print(f"labelled set: suggested {c.suggested} of {c.units}; precision {c.precision:.3f}, recall {c.recall:.3f}, "
          f"kappa {c.kappa:.3f}; themes {result.themes}, purity {result.purity:.3f}")
    texts = corpus(args.comments)
    started = time.perf_counter()
    total_tokens = sum(len(persian.tokens(t)) for t in texts)
    read = time.perf_counter() - started
    persian.stem.cache_clear()
    t0 = time.perf_counter()
    themes = assist.propose_themes(texts, 6, seed=0)
    nmf = time.perf_counter() - t0
    t0 = time.perf_counter()
    groups = assist.near_duplicates(texts)
    dup = time.perf_counter() - t0
    total = time.perf_counter() - started
    campaign = max(groups, key=len) if groups else []
    print(f"{len(texts):,} comments, {total_tokens:,} tokens: reading {read:.1f} s, TF-IDF+NMF {nmf:.1f} s, "
          f"near-duplicates {dup:.1f} s, total {total:.1f} s (target < 60 s)")
    print(f"themes: {[' · '.join(w for w, _ in t.terms[:3]) for t in themes]}")
    print(f"near-duplicate groups: {len(groups)}; largest {len(campaign)} (campaign comments made: "
          f"{sum(1 for i in range(len(texts)) if i % 20 == 0):,})")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
