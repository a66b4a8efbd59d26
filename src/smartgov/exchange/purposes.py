"""The legal purposes data may be read for, and the shape of every code in the registry.

A file of its own because both the exchange (``service``: access rights name purposes) and the
per-person access log (``privacy``: an access event may register its purpose) need it, and
neither may import the other (``tests/test_architecture.py`` refuses the cycle).
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov.errors import DomainError
from smartgov.exchange.models import ExchangePurpose
from smartgov.i18n import N_

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")


def check_code(value: str, what: str) -> str:
    """A registry code (member, subsystem, service, version, purpose) stripped, or a 422 naming ``what``."""
    value = value.strip()
    if not _CODE.match(value):
        raise DomainError("invalid_code", N_("Codes are Latin letters, digits, dots, dashes or underscores."),
                          field=what)
    return value


def ensure_purpose(db: Session, code: str, label_fa: str, label_en: str) -> ExchangePurpose:
    """The purpose ``code``, created with these labels if new."""
    code = check_code(code, "purpose")
    purpose = db.scalar(select(ExchangePurpose).where(ExchangePurpose.code == code))
    if purpose is None:
        purpose = ExchangePurpose(code=code, label_fa=label_fa, label_en=label_en)
        db.add(purpose)
        db.flush()
    return purpose


def purpose_labels(db: Session) -> dict[str, ExchangePurpose]:
    """Every purpose by code (pages and the API name purposes in the reader's language)."""
    return {p.code: p for p in db.scalars(select(ExchangePurpose))}
