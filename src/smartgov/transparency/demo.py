"""Demo open data: a few bilingual datasets per demo agency, each with a CSV and an XLSX resource."""

from __future__ import annotations

import io
import random

import openpyxl
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import demo, files

from . import service
from .models import Dataset

PROVINCES = [("تهران", "Tehran"), ("اصفهان", "Isfahan"), ("خراسان رضوی", "Razavi Khorasan"), ("فارس", "Fars"),
             ("آذربایجان شرقی", "East Azerbaijan"), ("خوزستان", "Khuzestan")]
#: (agency, name, Persian title, English title, Persian notes, English notes, tags, measure columns)
DATASETS = [
    ("sso", "sso-insured-by-province", "بیمه‌شدگان به تفکیک استان", "Insured persons by province",
     "شمار بیمه‌شدگان اصلی و تبعی در پایان هر سال.", "Main and dependent insured persons at each year's end.",
     ["بیمه", "تأمین اجتماعی"], ["بیمه‌شده اصلی", "بیمه‌شده تبعی"]),
    ("sso", "sso-pensions-paid", "مستمری‌های پرداخت‌شده", "Pensions paid",
     "مبلغ کل مستمری پرداختی به ریال.", "Total pensions paid, in rial.", ["مستمری", "تأمین اجتماعی"],
     ["مستمری‌بگیران", "مبلغ (ریال)"]),
    ("nocr", "nocr-births", "ولادت‌های ثبت‌شده", "Registered births", "ولادت‌های ثبت‌شده در هر استان.",
     "Births registered in each province.", ["جمعیت", "ثبت احوال"], ["پسر", "دختر"]),
    ("inta", "inta-tax-revenue", "درآمدهای مالیاتی", "Tax revenue", "درآمد مالیاتی وصول‌شده به ریال.",
     "Tax revenue collected, in rial.", ["مالیات", "بودجه"], ["اشخاص حقیقی (ریال)", "اشخاص حقوقی (ریال)"]),
    ("thr-city", "tehran-air-quality", "کیفیت هوای تهران", "Tehran air quality",
     "روزهای پاک، قابل قبول و ناسالم در هر سال.", "Clean, acceptable and unhealthy days each year.",
     ["کیفیت هوا", "محیط زیست"], ["روز پاک", "روز ناسالم"]),
]


def _table(rng: random.Random, measures: list[str]) -> list[list[object]]:
    rows: list[list[object]] = [["استان", "سال", "تاریخ گزارش", *measures]]
    for fa, _en in PROVINCES:
        for year in (1401, 1402, 1403):
            rows.append([fa, year, f"{year}/12/29", *(rng.randint(1_000, 900_000) for _ in measures)])
    return rows


def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in files.xlsx_sheet_rows(rows):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def load(db: Session, rng: random.Random, people: int) -> None:
    """Idempotent: a dataset already there (by name) is left as it is."""
    for agency, name, title, title_en, notes, notes_en, tags, measures in DATASETS:
        if db.scalar(select(Dataset.id).where(Dataset.name == name)) is not None:
            continue
        try:
            service.organization(db, agency)
        except service.NotFound:
            continue
        row = service.create_dataset(db, None, {
            "name": name, "title": title, "title_en": title_en, "notes": notes, "notes_en": notes_en,
            "owner_org": agency, "tags": tags, "license_id": "cc-by", "frequency": "ANNUAL"})
        row.platform = False
        table = _table(rng, measures)
        csv_bytes = files.csv_text([str(c) for c in table[0]], table[1:], bom=True).encode("utf-8")
        service.create_resource(db, None, {"package_id": row.id, "name": f"{title} (CSV)"},
                                (f"{name}.csv", csv_bytes))
        service.create_resource(db, None, {"package_id": row.id, "name": f"{title} (XLSX)"},
                                (f"{name}.xlsx", _xlsx(table)))


def load_reports(db: Session, rng: random.Random, people: int) -> None:
    """The performance reports of the last finished quarter, once the demo's history and forecasts are
    committed (after ``analytics.forecast``'s loader): what the worker would have made."""
    from smartgov import clock

    from . import reports

    quarter = reports.Quarter.last_finished(clock.today())
    if reports.latest(db, quarter, reports.NATIONAL) is None:
        reports.make_quarter(db, quarter)


demo.register("transparency", load, order=70)
demo.register("transparency.reports", load_reports, order=97)
