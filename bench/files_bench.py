"""Hostile files: how long ``smartgov.files`` takes to refuse each bomb, and how much memory it holds.

Run: ``.venv/bin/python bench/files_bench.py [--repeat 3]``. In process, no database. The bombs are
the ones ``tests/web/test_files.py`` builds (a 70 MB worksheet packed into a few hundred KB, one
300 MB shared string, billion laughs, 5,000 entries, sizes that lie, a 10 MB CSV line); a plain
workbook of 5,000 respondents × 100 items is read too, by ``smartgov.files`` and by openpyxl, for
scale. Each case runs ``--repeat`` times after a warm-up; the table gives the best and the median
time and the peak of ``tracemalloc`` (a separate run). Targets (< 2 s, < 50 MB) are reported, not
asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import io
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the bombs are built by the tests' own code

from tests.web.test_files import (
    BILLION_LAUGHS,
    MB,
    NS,
    huge_shared_string,
    lying_sizes,
    seventy_mb_sheet,
    sheet_of,
    xlsx,
)

from smartgov import files


def outcome(fn: Callable[[], Any]) -> str:
    try:
        result = fn()
    except files.FileRefused as refused:
        return f"422 `{refused.code}`"
    return f"read, {len(result):,} rows"


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    outcome(fn)  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        outcome(fn)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def peak_mb(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        outcome(fn)
        return tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()


def plain_workbook(respondents: int, items: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["respondent", *[f"q{i}" for i in range(items)]])
    for r in range(respondents):
        sheet.append([f"r{r}", *[1 + (r + i) % 5 for i in range(items)]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sheet70 = xlsx(seventy_mb_sheet())
    plain = plain_workbook(5_000, 100)
    big = files.Limits(max_cells=1_000_000)
    line = ("r1," + ",".join(["3"] * 2_500_000) + "\n").encode()
    cases: list[tuple[str, bytes, Callable[[bytes], Any]]] = [
        ("XLSX, 70 MB of worksheet XML", sheet70, lambda d: files.xlsx_rows(d, field="file")),
        ("XLSX, one 300 MB shared string", xlsx(sheet_of([["x"]]), huge_shared_string(300 * MB), level=1),
         lambda d: files.xlsx_rows(d, field="file")),
        ("XLSX, a 40,000-character shared string", xlsx(sheet_of([["x"]]), (f"<sst {NS}><si><t>" + "a" * 40_000
                                                                            + "</t></si></sst>").encode()),
         lambda d: files.xlsx_rows(d, field="file")),
        ("XLSX, billion laughs", xlsx(BILLION_LAUGHS), lambda d: files.xlsx_rows(d, field="file")),
        ("XLSX, 5,000 entries", xlsx(sheet_of([["x"]]), extra=5_000), lambda d: files.xlsx_rows(d, field="file")),
        ("XLSX, 70 MB sheet declared as 10 KB", lying_sizes(sheet70, "xl/worksheets/sheet1.xml", 10_000),
         lambda d: files.xlsx_rows(d, field="file")),
        ("CSV, one 10 MB line", line, lambda d: list(files.csv_records(d, field="file"))),
        ("XLSX, plain: 5,000 × 100 answers (smartgov.files)", plain, lambda d: files.xlsx_rows(d, field="file",
                                                                                                limits=big)),
        ("XLSX, plain: 5,000 × 100 answers (openpyxl read-only, for scale)", plain, lambda d: [
            list(r) for r in __import__("openpyxl").load_workbook(io.BytesIO(d), read_only=True)
            .worksheets[0].iter_rows(values_only=True)]),
    ]
    load = os.getloadavg()[0]
    print(f"{dt.date.today().isoformat()} — {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, load average {load:.1f} at the start\n")
    print("| file | size uploaded | outcome | best s | median s | peak MB (tracemalloc) |")
    print("|---|---|---|---|---|---|")
    for name, data, read in cases:
        call = functools.partial(read, data)
        best, med = timed(call, args.repeat)
        peak = peak_mb(call)
        print(f"| {name} | {len(data) / 1024:,.0f} KB | {outcome(call)} | {best:.3f} | {med:.3f} | {peak:.1f} |",
              flush=True)


if __name__ == "__main__":
    main()
