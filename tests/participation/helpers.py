"""Builders for participation tests, on top of ``tests.factories`` (keyword defaults, through services)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy.orm import Session

from smartgov import clock
from smartgov.identity import Role, organization_by_code
from smartgov.identity.models import Account, Organization
from smartgov.participation import service
from smartgov.participation.models import Consultation
from tests.factories import create_account, create_agency

_phone = itertools.count(1000000)


def phone() -> str:
    return f"0912{next(_phone):07d}"


def agency(db: Session, code: str = "sso") -> Organization:
    try:
        return organization_by_code(db, code)
    except Exception:
        return create_agency(db, code)


def citizen(db: Session, username: str, *, verified: bool = True, **person_kw: Any) -> Account:
    """A citizen with a unique phone; ``verified=False``: one that has not proven its person (level 1)."""
    person_kw.setdefault("phone", phone())
    return create_account(db, username=username, proven=verified, **person_kw)


def count_votes(db: Session, after: dt.timedelta = dt.timedelta(0)) -> int:
    """Move the clock by ``after`` and past the tally's grace, then count closed boxes as the worker
    does (the demo trustees' shares are under the test's data folder); committed. Returns results published."""
    clock.advance(after + service.TALLY_GRACE)
    published = service.tally_closed_boxes(db)
    db.commit()
    return published


def official(db: Session, username: str = "official1", org: str = "sso") -> Account:
    agency(db, org)
    return create_account(db, username=username, role=Role.OFFICIAL, organization=org, phone=phone())


SECTIONS = [
    {"heading_fa": "هدف", "heading_en": "Purpose", "body_fa": "این آیین‌نامه برای ساده کردن پرداخت مستمری است.",
     "body_en": "This regulation simplifies pension payments."},
    {"heading_fa": "مهلت‌ها", "heading_en": "Deadlines",
     "body_fa": "سازمان باید درخواست را ظرف سی روز بررسی کند.",
     "body_en": "The organization must review each request within thirty days."},
    {"heading_fa": "اجرا", "heading_en": "Entry into force", "body_fa": "این آیین‌نامه از آغاز سال اجرا می‌شود.",
     "body_en": "This regulation applies from the start of the year."},
]


def consultation(db: Session, org: Organization, slug: str = "pension-rules", *, phase: str = "consultation",
                 **kw: Any) -> Consultation:
    """A draft whose current phase is ``phase`` (each phase lasts 10 days around now)."""
    order = ["information", "consultation", "analysis", "decision", "accountability"]
    start = clock.now() - dt.timedelta(days=10 * order.index(phase) + 1)
    phases = {p: start + dt.timedelta(days=10 * i) for i, p in enumerate(order)}
    return service.create_consultation(
        db, organization=org, slug=slug, kind=kw.pop("kind", "regulation"), title_fa=kw.pop("title_fa", "آیین‌نامهٔ مستمری"),
        title_en=kw.pop("title_en", "Pension regulation"), summary_fa="خلاصه", summary_en="Summary", phases=phases,
        sections=kw.pop("sections", SECTIONS), **kw)
