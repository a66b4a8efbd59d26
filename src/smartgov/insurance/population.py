"""The fund's population in aggregate, for projections: contributors and pensioners by sex and age.

Read through this surface (``insurance.fund_population``) so a projection never reads the fund's
tables. Contributors are the active insured; their wage is the average insurable wage of their
last 24 recorded months and their record is their contribution days. Pensioners are the pensions
decided (approved or paid) at their decided amount, and the inactive insured who meet a retirement
rule today with no decision on file, at the pension the fund's formula gives their record (an
estimate: a fund's register of pensions in payment would replace it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartgov import identity

from .calculations import age_on, pension_amount, retirement_eligibility
from .models import Contribution, DecisionStatus, InsuredPerson, InsuredStatus
from .models import Pension as PensionRow
from .parameters import DEFAULT_PARAMETERS, InsuranceParameters, Sex

AVERAGE_MONTHS = 24


@dataclass(frozen=True, slots=True)
class FundGroup:
    """People of one sex and age: how many, their average monthly wage (contributors) or pension
    (pensioners), rial, and their average contribution years."""

    sex: Sex
    age: int
    count: int
    monthly_amount: int
    contribution_years: float


@dataclass(frozen=True, slots=True)
class FundPopulation:
    on: dt.date
    contributors: list[FundGroup]
    pensioners: list[FundGroup]
    estimated_pensioners: int  # of the pensioners, how many were estimated rather than decided


def _records(db: Session) -> dict[str, tuple[int, int]]:
    """Per national code: contribution days, and the average insurable wage of the last months."""
    period = Contribution.year * 12 + Contribution.month
    last = select(Contribution.national_code, func.max(period).label("last")).group_by(
        Contribution.national_code).subquery()
    days = dict(db.execute(select(Contribution.national_code, func.sum(Contribution.days)).group_by(
        Contribution.national_code)).tuples().all())
    wages = db.execute(
        select(Contribution.national_code, func.sum(Contribution.insurable_wage), func.count())
        .join(last, last.c.national_code == Contribution.national_code)
        .where(period > last.c.last - AVERAGE_MONTHS)
        .group_by(Contribution.national_code)).tuples().all()
    return {code: (int(days.get(code) or 0), int(total) // max(int(n), 1)) for code, total, n in wages}


def fund_population(db: Session, on: dt.date, params: InsuranceParameters = DEFAULT_PARAMETERS) -> FundPopulation:
    """Contributors and pensioners grouped by sex and age on ``on`` (see the module's docstring)."""
    insured = db.execute(select(InsuredPerson.person_id, InsuredPerson.national_code, InsuredPerson.status)
                         .where(InsuredPerson.person_id.is_not(None))).tuples().all()
    decided = dict(db.execute(select(PensionRow.national_code, func.max(PensionRow.amount)).where(
        PensionRow.status.in_([DecisionStatus.APPROVED, DecisionStatus.PAID])).group_by(
        PensionRow.national_code)).tuples().all())
    people = {pid: (birth, gender) for pid, _p, birth, gender in identity.person_demographics(
        db, [pid for pid, _c, _s in insured])}
    records = _records(db)
    workers: dict[tuple[Sex, int], list[tuple[int, float]]] = {}
    retired: dict[tuple[Sex, int], list[tuple[int, float]]] = {}
    estimated = 0
    for person_id, code, status in insured:
        if person_id not in people:
            continue
        birth, gender = people[person_id]
        sex = Sex.FEMALE if gender == "f" else Sex.MALE
        key = (sex, age_on(birth, on))
        days, wage = records.get(code, (0, 0))
        years = days / params.days_per_contribution_year
        if code in decided:
            retired.setdefault(key, []).append((int(decided[code]), years))
        elif status is InsuredStatus.ACTIVE and days:
            workers.setdefault(key, []).append((wage, years))
        elif days and retirement_eligibility(sex=sex, birth_date=birth, contribution_days=days, on=on,
                                             params=params).eligible:
            retired.setdefault(key, []).append((pension_amount([wage], days, params).amount, years))
            estimated += 1

    def groups(found: dict[tuple[Sex, int], list[tuple[int, float]]]) -> list[FundGroup]:
        return [FundGroup(sex, age, len(rows), sum(a for a, _ in rows) // len(rows),
                          round(sum(y for _, y in rows) / len(rows), 2))
                for (sex, age), rows in sorted(found.items())]

    return FundPopulation(on, groups(workers), groups(retired), estimated)
