"""Demo population of the fund: every identity person insured, employers with workshops in the
provinces, and monthly contribution histories of plausible length (some long enough to retire).

Deterministic from the seed; idempotent (people already insured are skipped). Bulk inserts,
so ``smartgov demo --people 10000`` stays fast on SQLite. The demo citizen has 31 years of
contributions, so the pension journey works with the demo logins.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import jdatetime
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from smartgov import clock, demo, identity
from smartgov.errors import NotFound
from smartgov.identity import OrganizationView, OrgKind, create_organization, organization_by_code
from smartgov.identity import nationalcode as nc

from . import service
from .models import Contribution, InsuredPerson, InsuredStatus, Workshop
from .wagereport import month_length

# employer code, registration number, names; workshops: (suffix, province fa/en, name fa/en)
EMPLOYERS: list[tuple[str, str, str, str]] = [
    ("emp-alborz-build", "10320777001", "شرکت ساختمانی البرز", "Alborz Construction"),
    ("emp-khazar-trans", "10320777002", "حمل‌ونقل خزر", "Khazar Transport"),
    ("emp-persepolis-agri", "10320777003", "کشت و صنعت تخت جمشید", "Persepolis Agro-Industry"),
    ("emp-tabriz-carpet", "10320777004", "فرش دستباف تبریز", "Tabriz Handmade Carpets"),
    ("emp-karun-petro", "10320777005", "پتروشیمی کارون", "Karun Petrochemicals"),
    ("emp-kerman-copper", "10320777006", "مس کرمان", "Kerman Copper"),
]
PROVINCES = [("تهران", "Tehran"), ("اصفهان", "Isfahan"), ("خراسان رضوی", "Razavi Khorasan"), ("فارس", "Fars"),
             ("آذربایجان شرقی", "East Azerbaijan"), ("خوزستان", "Khuzestan"), ("گیلان", "Gilan"),
             ("کرمان", "Kerman")]
INFLATION_BP = 12_500  # wages grow about 25 % a year in the demo
CITIZEN_YEARS = 31
CONTRIBUTION_COLUMNS = ("national_code", "workshop_id", "year", "month", "days", "wage", "insurable_wage",
                        "employer_share", "insured_share", "government_share")


def bulk_insert(db: Session, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Millions of demo rows: COPY on PostgreSQL, one prepared ``executemany`` on SQLite (same transaction)."""
    if not rows:
        return
    conn = db.connection()
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in columns)
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)  # noqa: S608


def _employers(db: Session) -> list[OrganizationView]:
    for code, reg, fa, en in EMPLOYERS:
        try:
            organization_by_code(db, code)
        except NotFound:
            create_organization(db, code=code, kind=OrgKind.EMPLOYER, name_fa=fa, name_en=en,
                                registration_number=reg, province="Tehran")
    return sorted(identity.list_organizations(db, OrgKind.EMPLOYER), key=lambda o: o.id)


def _workshops(db: Session, rng: random.Random) -> list[Workshop]:
    existing = list(db.scalars(select(Workshop).order_by(Workshop.id)))
    if existing:
        return existing
    out = []
    for i, org in enumerate(_employers(db)):
        for j in range(1 + (i % 2)):
            prov_fa, prov_en = PROVINCES[(i + j * 3) % len(PROVINCES)]
            out.append(service.create_workshop(
                db, org, code=f"{1000001 + i * 10 + j}", name_fa=f"{org.name_fa} — کارگاه {prov_fa}",
                name_en=f"{org.name_en} — {prov_en} workshop", province=prov_en))
    return out


def _months_back(year: int, month: int, count: int) -> list[tuple[int, int]]:
    """``count`` months ending at (year, month), oldest first."""
    out = []
    for _ in range(count):
        out.append((year, month))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out[::-1]


def _history(rng: random.Random, birth: dt.date, today: dt.date, workshops: list[Workshop], *,
             years: int | None = None) -> list[tuple[int, int, int, int]]:
    """(workshop id, year, month, monthly wage) rows: one to three jobs ending now or some years ago."""
    age = (today - birth).days // 365
    start_age = rng.randint(18, 28)
    possible = max(0, age - start_age)
    if years is None:
        if possible == 0:
            return []
        years = rng.randint(max(1, possible // 3), possible)
        gap_years = rng.choice((0, 0, 0, 1, 2, 5)) if possible - years > 2 else 0
    else:
        gap_years = 0
    j = jdatetime.date.fromgregorian(date=today)
    last_year, last_month = (j.year, j.month - 1) if j.month > 1 else (j.year - 1, 12)
    months = _months_back(last_year - gap_years, last_month, years * 12)
    jobs = rng.randint(1, 3)
    cut = sorted(rng.sample(range(1, len(months)), jobs - 1)) if len(months) > jobs else []
    factor_bp = rng.randrange(10_000, 40_001, 500)  # times the minimum wage (bp); few values, so splits cache
    wage_of: dict[int, int] = {}
    wage = service.PARAMETERS.min_insurable_monthly_wage * factor_bp // 10_000
    for year in range(j.year, months[0][0] - 1, -1) if months else ():
        wage_of[year] = max(wage, 1_000_000)
        wage = wage * 10_000 // INFLATION_BP
    rows = []
    bounds = [0, *cut, len(months)]
    for k in range(len(bounds) - 1):
        shop = rng.choice(workshops).id
        rows.extend((shop, year, month, wage_of[year]) for year, month in months[bounds[k]:bounds[k + 1]])
    return rows


def load_demo(db: Session, rng: random.Random, people: int) -> None:
    """Insured people with contribution histories for every identity person not yet insured."""
    workshops = _workshops(db, rng)
    if not workshops:
        return
    insured = set(db.scalars(select(InsuredPerson.national_code)))
    citizen = nc.make(next(p for _r, u, *_x, p in demo.STAFF if u == "citizen"))
    today = clock.today()
    now = clock.now()
    people_rows: list[dict[str, Any]] = []
    contribution_rows: list[tuple[Any, ...]] = []
    splits: dict[tuple[int, int], tuple[int, int, int, int]] = {}
    lengths: dict[tuple[int, int], int] = {}
    for person_id, code, birth in list(identity.people_for_registers(db)):
        if code in insured:
            continue
        person_rng = random.Random(f"{rng.random()}-{code}")
        history = _history(person_rng, birth, today, workshops, years=CITIZEN_YEARS if code == citizen else None)
        j = jdatetime.date.fromgregorian(date=today)
        current = bool(history) and history[-1][1] * 12 + history[-1][2] >= j.year * 12 + j.month - 2
        people_rows.append({"person_id": person_id, "national_code": code,
                            "insurance_number": service.insurance_number_for(code),
                            "status": InsuredStatus.ACTIVE if current else InsuredStatus.INACTIVE,
                            "registered_at": now})
        for shop, year, month, wage in history:
            days = lengths.get((year, month)) or lengths.setdefault((year, month), month_length(year, month))
            key = (wage, days)
            split = splits.get(key)
            if split is None:
                s = service.split_for(wage, days)
                split = splits[key] = (s["insurable_wage"], s["employer_share"], s["insured_share"],
                                       s["government_share"])
            contribution_rows.append((code, shop, year, month, days, wage, *split))
        if len(contribution_rows) > 200_000:
            bulk_insert(db, Contribution.__table__, CONTRIBUTION_COLUMNS, contribution_rows)  # type: ignore[arg-type]
            contribution_rows = []
    if people_rows:
        db.execute(insert(InsuredPerson.__table__), people_rows)  # type: ignore[arg-type]
    bulk_insert(db, Contribution.__table__, CONTRIBUTION_COLUMNS, contribution_rows)  # type: ignore[arg-type]
    db.flush()


demo.register("insurance", load_demo, order=70)
