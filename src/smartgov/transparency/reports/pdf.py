"""A report's PDF in Persian (shaped, right to left) or English, drawn with ``smartgov.pdfdraw``.

Charts are drawn with fpdf2's own primitives (columns with a target line): Plotly's static export
needs kaleido and a browser, which the platform does not install. The PDF carries its signed record
in its keywords (``sgrep1:`` + base64), like the services' documents, and is made deterministically
(fixed creation date), so the same record always gives the same bytes.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from typing import Any

from smartgov.pdfdraw import ReportPdf
from smartgov.settings import public_url

from . import view

MARKER = "sgrep1:"
CHART = 36 + 14 + 4  # mm a column chart takes (pdfdraw.ReportPdf.columns)


def verify_url(document: dict[str, Any]) -> str:
    """Where anyone checks this revision's signature."""
    return public_url(f"/transparency/reports/{document['quarter']}/{document['scope']}/verify"
                      f"?revision={document['revision']}")


def render(record: dict[str, Any], lang: str) -> bytes:
    """The PDF of a signed report record in ``lang``."""
    document = record["document"]
    r = ReportPdf(lang)
    pdf = r.pdf
    head = view.heading(document, lang)
    pdf.set_title(f"{head['title']} — {head['scope']} — {document['quarter']}")
    pdf.set_author(head["issuer"])
    pdf.set_creator("smartgov")
    pdf.set_creation_date(dt.datetime.fromisoformat(document["generated_at"]))
    blob = base64.b64encode(json.dumps(record, sort_keys=True, separators=(",", ":"),
                                       ensure_ascii=False).encode()).decode()
    pdf.set_keywords(MARKER + blob)
    pdf.add_page()
    _ = r.gettext
    r.heading(head["title"], 18)
    r.heading(f"{head['scope']} — {head['quarter']}", 13)
    r.para(head["period"])
    r.para(_("Issued by {issuer} on {date} (revision {n}).", issuer=head["issuer"], date=head["generated"],
             n=head["revision"]))
    r.para(view.summary(document, lang))

    rows = view.rows(document, lang)
    r.heading(_("What was promised and what happened"))
    r.table([_("Indicator"), _("Target"), _("This quarter"), head["previous"], _("Change"), _("Status")],
            [[row.title, row.target, row.value, row.previous, row.change, row.status] for row in rows],
            (48, 24, 26, 34, 26, 24))

    r.heading(_("Service deadlines (SLA)"))
    r.table([_("Measure"), _("Value")], [list(line) for line in view.sla(document, lang)], (110, 72))
    answered = view.participation(document, lang)
    if answered:
        r.heading(_("Participation answered"))
        r.table([_("Measure"), _("Value")], [list(line) for line in answered], (110, 72))

    r.keep(20 + 12 + CHART)  # the section's title is not left alone at a page's foot
    r.heading(_("Trends: the previous quarter's months (lighter) and this quarter's"))
    for row in rows:
        r.keep(12 + (CHART if row.drawn else 6))  # a chart's title stays on its chart's page
        r.heading(row.title, 10)
        if row.drawn:
            r.columns(row.months, row.month_values, target=row.target_value, dim_before=3, places=row.places)
        else:
            r.para(_(view.NOTHING_DRAWN))

    intro, accuracy = view.forecasts(document, lang)
    r.keep(20 + 20)
    r.heading(_("Forecasts against actuals"))
    r.para(intro)
    for a in accuracy:
        r.keep(12 + 10 + (CHART if a.weeks else 0))
        r.heading(a.title, 10)
        r.para(f"{a.note} {_('MAPE this quarter: {mape}', mape=a.mape)}" if a.weeks else a.note)
        if a.weeks:
            r.columns(a.labels, a.actual, places=0, line=a.predicted)
            r.table([_(h) for h in view.ACCURACY_HEADER], a.weeks, (40, 30, 30, 50, 32))

    r.heading(_("About these figures"))
    r.para(_("Every figure comes from the platform's rollups of recorded events. A figure made from fewer than "
             "{n} cases or events is not published, nor is a second figure that would reveal it by subtraction.",
             n=head["below"]))
    r.para(_("Signed with Ed25519 by key {key}.", key=record["key_id"]))
    r.para(_("Check it at:"))
    pdf.set_text_shaping(use_shaping_engine=True, direction="ltr")
    r.para(verify_url(document))
    return bytes(pdf.output())


def record_of(data: bytes) -> dict[str, Any] | None:
    """The signed record a report PDF carries, if it carries one."""
    match = re.search(rb"sgrep1:([A-Za-z0-9+/=]+)", data)
    if match is None:
        return None
    try:
        found = json.loads(base64.b64decode(match.group(1), validate=True))
    except ValueError:
        return None
    return found if isinstance(found, dict) else None
