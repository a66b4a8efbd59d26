"""The Iranian calendar as data for forecasts: official holidays, and holiday counts per week.

Solar-fixed holidays fall on the same Jalali day every year, so they are computed (jdatetime) for
any year: Nowruz (1–4 Farvardin), Islamic Republic Day and Nature Day (12–13 Farvardin), 14–15
Khordad, 22 Bahman, 29 Esfand. Lunar holidays move about eleven days a year and are announced by
the calendar council, so they are *data*: ``LUNAR_HOLIDAYS`` seeds the demo's years as announced
(a day either way is possible in the announcement itself; agency admins correct the stored rows,
which are what forecasts read). Weeks start on Saturday; Friday is the weekend, so a holiday on a
Friday costs no working day and is not counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import jdatetime

KINDS = ("nowruz", "solar", "lunar", "agency")
SATURDAY = 5  # datetime.weekday()
FRIDAY = 4


@dataclass(frozen=True, slots=True)
class Holiday:
    """One day off: the Gregorian date, its bilingual name, and where it comes from (``KINDS``)."""

    day: dt.date
    name_en: str
    name_fa: str
    kind: str

    def name(self, lang: str) -> str:
        return self.name_fa if lang == "fa" else self.name_en


# (jalali month, day, English, Persian, kind)
SOLAR_FIXED: tuple[tuple[int, int, str, str, str], ...] = (
    (1, 1, "Nowruz", "نوروز", "nowruz"),
    (1, 2, "Nowruz", "نوروز", "nowruz"),
    (1, 3, "Nowruz", "نوروز", "nowruz"),
    (1, 4, "Nowruz", "نوروز", "nowruz"),
    (1, 12, "Islamic Republic Day", "روز جمهوری اسلامی", "solar"),
    (1, 13, "Nature Day (Sizdah Bedar)", "روز طبیعت", "solar"),
    (3, 14, "Demise of Imam Khomeini", "رحلت امام خمینی", "solar"),
    (3, 15, "15 Khordad uprising", "قیام ۱۵ خرداد", "solar"),
    (11, 22, "Victory of the Islamic Revolution", "پیروزی انقلاب اسلامی", "solar"),
    (12, 29, "Nationalization of the oil industry", "ملی شدن صنعت نفت", "solar"),
)

# Lunar (hijri) holidays of the demo's years (1403–1405), Gregorian dates by hand from the hijri
# calendar (1403–1404 as published; 1405 reckoned from the start of 1448 AH, not yet announced when
# written). Moon sighting moves a holiday by a day now and then: the stored rows are what forecasts
# use, and agency admins correct them.
LUNAR_HOLIDAYS: tuple[tuple[str, str, str], ...] = (
    ("2024-04-10", "Eid al-Fitr", "عید سعید فطر"),
    ("2024-04-11", "Holiday after Eid al-Fitr", "تعطیل به مناسبت عید سعید فطر"),
    ("2024-05-04", "Martyrdom of Imam Sadiq", "شهادت امام جعفر صادق"),
    ("2024-06-17", "Eid al-Adha", "عید سعید قربان"),
    ("2024-06-25", "Eid al-Ghadir", "عید سعید غدیر خم"),
    ("2024-07-15", "Tasua", "تاسوعای حسینی"),
    ("2024-07-16", "Ashura", "عاشورای حسینی"),
    ("2024-08-25", "Arbaeen", "اربعین حسینی"),
    ("2024-09-02", "Demise of the Prophet and martyrdom of Imam Hasan", "رحلت رسول اکرم و شهادت امام حسن مجتبی"),
    ("2024-09-04", "Martyrdom of Imam Reza", "شهادت امام رضا"),
    ("2024-09-12", "Martyrdom of Imam Hasan Askari", "شهادت امام حسن عسکری"),
    ("2024-09-21", "Birth of the Prophet and Imam Sadiq", "میلاد رسول اکرم و امام جعفر صادق"),
    ("2024-12-05", "Martyrdom of Fatimah", "شهادت حضرت فاطمه زهرا"),
    ("2025-01-14", "Birth of Imam Ali", "ولادت امام علی"),
    ("2025-01-28", "Mab'ath", "مبعث رسول اکرم"),
    ("2025-02-14", "Birth of Imam Mahdi", "ولادت حضرت قائم"),
    ("2025-03-22", "Martyrdom of Imam Ali", "شهادت حضرت علی"),
    ("2025-03-31", "Eid al-Fitr", "عید سعید فطر"),
    ("2025-04-01", "Holiday after Eid al-Fitr", "تعطیل به مناسبت عید سعید فطر"),
    ("2025-04-24", "Martyrdom of Imam Sadiq", "شهادت امام جعفر صادق"),
    ("2025-06-06", "Eid al-Adha", "عید سعید قربان"),
    ("2025-06-14", "Eid al-Ghadir", "عید سعید غدیر خم"),
    ("2025-07-05", "Tasua", "تاسوعای حسینی"),
    ("2025-07-06", "Ashura", "عاشورای حسینی"),
    ("2025-08-14", "Arbaeen", "اربعین حسینی"),
    ("2025-08-22", "Demise of the Prophet and martyrdom of Imam Hasan", "رحلت رسول اکرم و شهادت امام حسن مجتبی"),
    ("2025-08-24", "Martyrdom of Imam Reza", "شهادت امام رضا"),
    ("2025-09-01", "Martyrdom of Imam Hasan Askari", "شهادت امام حسن عسکری"),
    ("2025-09-10", "Birth of the Prophet and Imam Sadiq", "میلاد رسول اکرم و امام جعفر صادق"),
    ("2025-11-24", "Martyrdom of Fatimah", "شهادت حضرت فاطمه زهرا"),
    ("2026-01-03", "Birth of Imam Ali", "ولادت امام علی"),
    ("2026-01-17", "Mab'ath", "مبعث رسول اکرم"),
    ("2026-02-03", "Birth of Imam Mahdi", "ولادت حضرت قائم"),
    ("2026-03-11", "Martyrdom of Imam Ali", "شهادت حضرت علی"),
    ("2026-03-21", "Eid al-Fitr", "عید سعید فطر"),
    ("2026-03-22", "Holiday after Eid al-Fitr", "تعطیل به مناسبت عید سعید فطر"),
    ("2026-04-13", "Martyrdom of Imam Sadiq", "شهادت امام جعفر صادق"),
    ("2026-05-27", "Eid al-Adha", "عید سعید قربان"),
    ("2026-06-04", "Eid al-Ghadir", "عید سعید غدیر خم"),
    ("2026-06-24", "Tasua", "تاسوعای حسینی"),
    ("2026-06-25", "Ashura", "عاشورای حسینی"),
    ("2026-08-04", "Arbaeen", "اربعین حسینی"),
    ("2026-08-12", "Demise of the Prophet and martyrdom of Imam Hasan", "رحلت رسول اکرم و شهادت امام حسن مجتبی"),
    ("2026-08-14", "Martyrdom of Imam Reza", "شهادت امام رضا"),
    ("2026-08-21", "Martyrdom of Imam Hasan Askari", "شهادت امام حسن عسکری"),
    ("2026-08-30", "Birth of the Prophet and Imam Sadiq", "میلاد رسول اکرم و امام جعفر صادق"),
    ("2026-11-13", "Martyrdom of Fatimah", "شهادت حضرت فاطمه زهرا"),
    ("2026-12-23", "Birth of Imam Ali", "ولادت امام علی"),
    ("2027-01-06", "Mab'ath", "مبعث رسول اکرم"),
    ("2027-01-23", "Birth of Imam Mahdi", "ولادت حضرت قائم"),
    ("2027-02-28", "Martyrdom of Imam Ali", "شهادت حضرت علی"),
    ("2027-03-10", "Eid al-Fitr", "عید سعید فطر"),
    ("2027-03-11", "Holiday after Eid al-Fitr", "تعطیل به مناسبت عید سعید فطر"),
)


def solar_holidays(jalali_year: int) -> list[Holiday]:
    """The solar-fixed official holidays of one Jalali year, in date order."""
    return [Holiday(jdatetime.date(jalali_year, m, d).togregorian(), en, fa, kind)
            for m, d, en, fa, kind in SOLAR_FIXED]


def seed_holidays(first_jalali_year: int, last_jalali_year: int) -> list[Holiday]:
    """Solar holidays of the years given plus the lunar ones known for them (a day may hold two)."""
    out = [h for year in range(first_jalali_year, last_jalali_year + 1) for h in solar_holidays(year)]
    start = jdatetime.date(first_jalali_year, 1, 1).togregorian()
    end = jdatetime.date(last_jalali_year + 1, 1, 1).togregorian()
    for text, en, fa in LUNAR_HOLIDAYS:
        day = dt.date.fromisoformat(text)
        if start <= day < end:
            out.append(Holiday(day, en, fa, "lunar"))
    return sorted(out, key=lambda h: (h.day, h.kind))


def week_start(day: dt.date) -> dt.date:
    """The Saturday that begins ``day``'s week."""
    return day - dt.timedelta(days=(day.weekday() - SATURDAY) % 7)


def working_days_lost(days: Iterable[dt.date]) -> dict[dt.date, int]:
    """Per week start, how many distinct non-Friday holidays fall in that week (0–6)."""
    out: dict[dt.date, int] = {}
    for day in set(days):
        if day.weekday() != FRIDAY:
            week = week_start(day)
            out[week] = out.get(week, 0) + 1
    return out


def holiday_counts(weeks: Iterable[dt.date], days: Iterable[dt.date]) -> list[int]:
    """Working days lost to holidays in each of ``weeks`` (week starts), the exogenous regressor."""
    lost = working_days_lost(days)
    return [lost.get(w, 0) for w in weeks]
