"""Psychometrics timings: alpha on 1,000,000 × 100, the HS39 CFA, DG second-order CFAs, a round's results.

Run: ``.venv/bin/python bench/assessment_bench.py [--rows 1000000] [--repeat 3] [--write]``.
Each case runs ``--repeat`` times after one warm-up and reports the best and the median; ``--write``
appends a dated block to ``bench/RESULTS-assessment.md``. Nothing here is a test: targets are
reported, not asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from smartgov.assessment.cfa import cfa, measurement_from_framework
from smartgov.assessment.frameworks import load_framework
from smartgov.assessment.psychometrics import cronbach_alpha

RESULTS = Path(__file__).with_name("RESULTS-assessment.md")
HS_MODEL = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    out = fn()  # warm-up (imports, caches)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), out


def likert(rows: int, items: int, seed: int = 1) -> np.ndarray:
    """Correlated 5-point answers (one common factor), built in blocks to keep memory flat."""
    rng = np.random.default_rng(seed)
    out = np.empty((rows, items), dtype=np.float64)
    step = 100_000
    for start in range(0, rows, step):
        n = min(step, rows - start)
        common = rng.standard_normal((n, 1))
        out[start : start + n] = np.clip(np.rint(3 + 0.9 * common + 0.8 * rng.standard_normal((n, items))), 1, 5)
    return out


def dg_data(n: int, seed: int = 5) -> pd.DataFrame:
    """Answers to the 85 DG indicators from a simulated second-order structure."""
    fw = load_framework("dg-sso")
    rng = np.random.default_rng(seed)
    general = rng.normal(size=n)
    cols = {}
    for dim in fw.nodes:
        d = 0.7 * general + 0.71 * rng.normal(size=n)
        for comp in dim.children:
            c = 0.8 * d + 0.6 * rng.normal(size=n)
            for leaf in comp.children:
                cols[leaf.code] = 0.8 * c + 0.6 * rng.normal(size=n)
    return pd.DataFrame(cols)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="Append the results to bench/RESULTS-assessment.md.")
    args = parser.parse_args()
    lines = []

    data = likert(args.rows, args.items)
    best, med, res = timed(lambda: cronbach_alpha(data), args.repeat)
    lines.append(
        f"| alpha, {args.rows:,} × {args.items} (with Feldt CI, item-total, alpha-if-deleted) | "
        f"{best:.3f} s | {med:.3f} s | < 2 s | alpha = {res.alpha:.4f} |"
    )
    data = np.empty((0, 0))  # free the 800 MB before the CFAs

    from semopy.examples import holzinger39

    hs = holzinger39.get_data()
    best, med, res = timed(lambda: cfa(hs, HS_MODEL), args.repeat)
    lines.append(
        f"| CFA Holzinger–Swineford 1939 (3 factors, 9 items, n = 301) | {best:.3f} s | {med:.3f} s | — | "
        f"χ² = {res.fit.chi2:.3f}, df = {res.fit.df}, CFI = {res.fit.cfi:.3f}, RMSEA = {res.fit.rmsea:.3f} |"
    )

    fw = load_framework("dg-sso")
    model = measurement_from_framework(fw)
    frame = dg_data(600)
    best, med, res = timed(lambda: cfa(frame, model), max(1, args.repeat - 2))
    lines.append(
        f"| CFA DG second order (85 indicators → 31 components → 9 dimensions, n = 600) | {best:.2f} s | "
        f"{med:.2f} s | — | df = {res.fit.df}, CFI = {res.fit.cfi:.3f}, RMSEA = {res.fit.rmsea:.3f} |"
    )

    header = [
        f"### {dt.date.today().isoformat()} — {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}",
        "",
        "| case | best | median | target | check |",
        "|---|---|---|---|---|",
    ]
    text = "\n".join(header + lines) + "\n"
    print(text)
    if args.write:
        if not RESULTS.exists():
            RESULTS.write_text(
                "# Assessment benchmarks\n\nProduced by `bench/assessment_bench.py --write`; the lead "
                "merges these into `bench/RESULTS.md`.\n\n"
            )
        with RESULTS.open("a") as fh:
            fh.write("\n" + text)


if __name__ == "__main__":
    main()
