"""Quarterly performance reports, per agency and national (issue #17 item 7): what was promised
(targets) against what happened (KPIs, trend, SLA misses, participation answered), read from the
analytics surface with small cells suppressed, signed with Ed25519 and published as HTML and
Persian/English PDFs; the worker makes them the day after a quarter ends."""

from .events import REPORT_ISSUED
from .quarters import Quarter
from .service import NATIONAL, Check, latest, make, make_quarter, publisher, report, reports, verify

__all__ = ["NATIONAL", "REPORT_ISSUED", "Check", "Quarter", "latest", "make", "make_quarter", "publisher", "report",
           "reports", "verify"]
