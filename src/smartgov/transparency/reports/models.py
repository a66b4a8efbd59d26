"""Performance reports as issued (every revision kept, so a PDF downloaded earlier still verifies) and
when the platform last refreshed its own datasets."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartgov.db import Base


class PerformanceReport(Base):
    """One revision of a quarter's report for an agency or the nation: the signed record and its PDFs.

    A report is made again only when what it says changed (late events counted, a target edited);
    the new revision is the one shown, earlier ones stay verifiable.
    """

    __tablename__ = "transparency_report"
    __table_args__ = (UniqueConstraint("quarter", "scope", "revision", name="uq_transparency_report_revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quarter: Mapped[str] = mapped_column(String(8), index=True)
    scope: Mapped[str] = mapped_column(String(64))  # "national" or the agency's code
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("identity_organization.id"), index=True)
    revision: Mapped[int]
    record: Mapped[dict[str, Any]]  # {"document", "signature", "key_id", "algorithm"}
    content_sha256: Mapped[str] = mapped_column(String(64))  # of the content without its date and key
    pdf_fa: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_en: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_fa_sha256: Mapped[str] = mapped_column(String(64))
    pdf_en_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]


class PlatformRun(Base):
    """When a periodic publication job last finished (the worker asks every round; most rounds do nothing)."""

    __tablename__ = "transparency_platform_run"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    done_at: Mapped[dt.datetime]
    detail: Mapped[dict[str, Any]]
