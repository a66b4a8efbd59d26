"""Arranging the open-data tests: agencies, their officials with tokens, a dataset with a table."""

from __future__ import annotations

import io
from typing import Any

import openpyxl

from smartgov.identity import Role
from tests.factories import api_token, create_account, create_agency


def agencies_and_officials(db: Any, client: Any) -> dict[str, Any]:
    """Two agencies, an official of each, and a citizen; their write tokens (as CKAN clients send them)."""
    create_agency(db, "stats", name_fa="مرکز آمار", name_en="Statistics Centre")
    create_agency(db, "health", name_fa="وزارت بهداشت", name_en="Ministry of Health")
    a = create_account(db, "stats_official", Role.OFFICIAL, organization="stats")
    b = create_account(db, "health_official", Role.OFFICIAL, organization="health")
    c = create_account(db, "citizen1", Role.CITIZEN)
    db.commit()
    return {"stats": api_token(client, a), "health": api_token(client, b), "citizen": api_token(client, c),
            "accounts": {"stats": a, "health": b, "citizen": c}}


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


PRICES = [
    ["استان", "سال", "قیمت", "تاریخ", "فعال"],
    ["تهران", 1402, 1250.5, "1402/01/15", "بله"],
    ["اصفهان", 1402, 980, "1402/02/01", "خیر"],
    ["تهران", 1403, 1400, "1403/01/15", "بله"],
    ["فارس", 1403, 1100.25, "1403/03/20", "بله"],
]
