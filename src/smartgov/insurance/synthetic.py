"""A synthetic national population at any size, as the three files the population import reads.

``smartgov demo --people N --fast`` writes ``persons``, ``workshops`` and ``employment`` CSVs
(gzip level 1) and loads them with the import (``bulkimport.import_file``: COPY on PostgreSQL),
so 45 million people are a matter of minutes, not of one ORM object each.

The shape is published data (``data/iran_population.yaml``, its source named there): ages drawn
from the 2016 census's five-year groups, sex from its female share, provinces from their
populations. Working-age people hold a job on the register with the share given there; their
monthly wage is log-normal around a multiple of the legal minimum (``PARAMETERS``), floored at the
minimum; employers own one to four workshops spread like the population; each worker has one to
three spells, the last one open; people past retirement age who worked are pensioners (status
``retired``) with spells closed at their retirement. Deterministic from the seed: the same N and
seed give the same files, byte for byte.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from smartgov import clock, demo
from smartgov.identity import nationalcode

from .bulkimport import COLUMNS, population_data
from .service import PARAMETERS

BLOCK = 100_000  # people drawn at once (numpy), written before the next block
_PERMUTE_A = 7_919_113  # odd and not a multiple of 5: i ↦ (A·i + B) mod 10⁹ is one-to-one
_PERMUTE_B = 123_456_789
RETIREMENT_AGE = {"m": 60, "f": 55}
TRADES = [("نساجی", "Textiles"), ("فولاد", "Steel"), ("صنایع غذایی", "Food Industries"), ("ساختمانی", "Construction"),
          ("حمل‌ونقل", "Transport"), ("پتروشیمی", "Petrochemicals"), ("خدمات", "Services"), ("کشاورزی", "Agriculture"),
          ("فرش", "Carpets"), ("خودروسازی", "Automotive"), ("داروسازی", "Pharmaceuticals"), ("بازرگانی", "Trading")]


@dataclass(frozen=True, slots=True)
class Files:
    """The three files written, and how many rows each holds."""

    persons: Path
    workshops: Path
    employment: Path
    people: int
    workshop_count: int
    spells: int


def _open(path: Path) -> io.TextIOWrapper:
    # closed by the wrapper the caller's ``with`` closes; no time stamp in the gzip header, so the same
    # size and seed give the same bytes (and a resumed load finds its checkpoint)
    raw = (gzip.GzipFile(path, "wb", compresslevel=1, mtime=0) if path.name.endswith(".gz")
           else path.open("wb"))
    return io.TextIOWrapper(raw, encoding="utf-8", newline="")


def _weights(values: list[float]) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return array / array.sum()


def national_code(i: int) -> str:
    """The ``i``-th synthetic national code (distinct for every i below 10⁹; check digit by identity)."""
    return nationalcode.make(f"{(_PERMUTE_A * i + _PERMUTE_B) % 10**9:09d}")


def write_files(out: Path, people: int, *, seed: int = 1405, gz: bool = True,
                progress: Callable[[int], None] | None = None) -> Files:
    """Write the population of ``people`` persons into ``out`` (see the module's docstring)."""
    data = population_data()
    rng = np.random.default_rng(seed)
    today = clock.today()
    suffix = ".csv.gz" if gz else ".csv"
    out.mkdir(parents=True, exist_ok=True)
    paths = {kind: out / f"{kind}{suffix}" for kind in COLUMNS}
    groups = data["age_groups"]
    group_p = _weights([g[2] for g in groups])
    provinces = data["provinces"]
    province_p = _weights([p[2] for p in provinces])
    employed = data["employed_percent"] / 100
    minimum = PARAMETERS.min_insurable_monthly_wage
    median = np.log(minimum * data["wage_median_times_minimum"])
    workshops = max(1, int(people * employed) // data["people_per_workshop"])
    men = [n for n in demo.FIRST_NAMES if n[2] == "m"]
    women = [n for n in demo.FIRST_NAMES if n[2] == "f"]

    with _open(paths["workshops"]) as f:
        w = csv.writer(f)
        w.writerow(COLUMNS["workshops"])
        shop_province = rng.choice(len(provinces), size=workshops, p=province_p)
        employer = 0
        left = 0
        for k in range(workshops):
            if left == 0:  # a new employer with one to four workshops
                employer, left = k, int(rng.integers(1, 5))
                trade_fa, trade_en = TRADES[employer % len(TRADES)]
                last_fa, last_en = demo.LAST_NAMES[employer % len(demo.LAST_NAMES)]
            left -= 1
            en, fa, _n = provinces[shop_province[k]]
            w.writerow((f"2{k:09d}", f"emp-syn-{employer}", f"3{employer:010d}", f"{trade_fa} {last_fa} {employer}",
                        f"{last_en} {trade_en} {employer}", f"کارگاه {trade_fa} {fa} {k}",
                        f"{trade_en} workshop {en} {k}", en))

    spells = 0
    with _open(paths["persons"]) as pf, _open(paths["employment"]) as ef:
        pw, ew = csv.writer(pf), csv.writer(ef)
        pw.writerow(COLUMNS["persons"])
        ew.writerow(COLUMNS["employment"])
        i = 0  # the index of the next national code; a code of one repeated digit is skipped
        for start in range(0, people, BLOCK):
            n = min(BLOCK, people - start)
            group = rng.choice(len(groups), size=n, p=group_p)
            low = np.array([groups[g][0] for g in group])
            high = np.array([groups[g][1] for g in group])
            age_days = (rng.integers(low * 365, (high + 1) * 365 - 1))
            female = rng.random(n) < data["female_percent"] / 100
            province_i = rng.choice(len(provinces), size=n, p=province_p)
            first_i = rng.integers(0, len(men), size=n)
            last_i = rng.integers(0, len(demo.LAST_NAMES), size=n)
            works = rng.random(n)
            wage = np.maximum(np.exp(rng.normal(median, data["wage_sigma"], size=n)), minimum).astype(np.int64)
            career = rng.integers(18, 29, size=n)
            jobs = rng.integers(1, 4, size=n)
            cuts = rng.random((n, 2))
            shop = rng.integers(0, workshops, size=(n, 3))
            phone = rng.integers(10**8, 10**9, size=n)
            for j in range(n):
                code = national_code(i)
                while len(set(code[:9])) == 1:
                    i += 1
                    code = national_code(i)
                i += 1
                sex = "f" if female[j] else "m"
                first_fa, first_en, _g = (women if female[j] else men)[first_i[j]]
                last_fa, last_en = demo.LAST_NAMES[last_i[j]]
                born = today - dt.timedelta(days=int(age_days[j]))
                age = int(age_days[j]) // 365
                retire_at = RETIREMENT_AGE[sex]
                status = "inactive"
                begin = end = None
                if int(career[j]) < age < retire_at and works[j] < employed:
                    status = "active"
                    begin = born + dt.timedelta(days=365 * int(career[j]))
                elif age >= retire_at and works[j] < employed * 1.3:
                    status = "retired"
                    begin = born + dt.timedelta(days=365 * int(career[j]))
                    end = born + dt.timedelta(days=int(365.25 * retire_at))
                pw.writerow((code, first_fa, last_fa, first_en, last_en, born.isoformat(), sex,
                             provinces[province_i[j]][0], f"09{phone[j]}", status))
                if begin is None:
                    continue
                last_day = end or today
                span = (last_day - begin).days
                marks = sorted(int(span * c) for c in cuts[j][: int(jobs[j]) - 1])
                bounds = [0, *marks, span]
                for s in range(len(bounds) - 1):
                    first = begin + dt.timedelta(days=bounds[s])
                    closes = begin + dt.timedelta(days=bounds[s + 1] - 1) if s < len(bounds) - 2 else end
                    if closes is not None and closes < first:
                        continue
                    years_ago = (today - first).days / 365.25
                    paid = max(int(int(wage[j]) * 0.8 ** years_ago) // 1000 * 1000, 1_000_000)
                    ew.writerow((code, f"2{int(shop[j][s]):09d}", first.isoformat(),
                                 closes.isoformat() if closes else "", paid))
                    spells += 1
            if progress is not None:
                progress(start + n)
    return Files(paths["persons"], paths["workshops"], paths["employment"], people, workshops, spells)
