"""Jalali quarters (Q1 = Farvardin–Khordad, Q2 = Tir–Shahrivar, Q3 = Mehr–Azar, Q4 = Dey–Esfand)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import jdatetime

from smartgov.digits import to_latin_digits
from smartgov.errors import DomainError
from smartgov.i18n import N_, gettext, localize_digits

_SHAPE = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]\s*([1-4])\s*$")
NAMES = {1: N_("spring"), 2: N_("summer"), 3: N_("autumn"), 4: N_("winter")}


@dataclass(frozen=True, order=True)
class Quarter:
    """A Jalali year's quarter: its first and last Gregorian days, the previous quarter, its label."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str, *, field: str = "quarter") -> Quarter:
        """``1405-Q2`` (Persian digits too); a localized 422 naming ``field`` otherwise."""
        match = _SHAPE.match(to_latin_digits(str(text or "")))
        if match is None or not 1300 <= int(match.group(1)) <= 1500:
            raise DomainError("quarter_invalid", N_("Write a quarter as year-Qn, such as 1405-Q2."), field=field,
                              status=422)
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: dt.date) -> Quarter:
        """The quarter ``day`` falls in."""
        j = jdatetime.date.fromgregorian(date=day)
        return cls(j.year, (j.month - 1) // 3 + 1)

    @classmethod
    def last_finished(cls, today: dt.date) -> Quarter:
        """The latest quarter that ended before ``today``."""
        return cls.of(today).previous

    @property
    def start(self) -> dt.date:
        return jdatetime.date(self.year, 3 * self.number - 2, 1).togregorian()

    @property
    def end(self) -> dt.date:
        return self.next.start - dt.timedelta(days=1)

    @property
    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    @property
    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def months(self) -> list[dt.date]:
        """The first Gregorian day of each of its three Jalali months."""
        return [jdatetime.date(self.year, 3 * self.number - 2 + i, 1).togregorian() for i in range(3)]

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"

    def label(self, lang: str) -> str:
        """"Summer 1405 (Q2)" in the reader's language and digits."""
        season = gettext(NAMES[self.number], lang)
        return localize_digits(gettext("{season} {year} (Q{n})", lang, season=season, year=self.year,
                                       n=self.number), lang)
