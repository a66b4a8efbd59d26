"""Dashboards: public (national and per agency, public KPIs, small cells suppressed) and internal
(scoped like the inbox, numbers linked to the cases behind them); every chart with its target, its
accessible table and its CSV; Persian digits and Jalali dates on Persian pages; a print view."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from typing import Any

from smartgov import clock
from smartgov.analytics import rollups
from smartgov.identity import Principal, Role
from smartgov.services import service
from tests.factories import create_account, create_agency
from tests.services.helpers import arrange
from tests.services.test_services_branches import submit_tenant
from tests.services.test_services_pages import login

from .helpers import at, moved, submitted

DAY = dt.date(2026, 3, 1)
QUERY = "start=2026-03-01&end=2026-03-03&grain=day"


def figures(html: str) -> dict[str, dict[str, Any]]:
    """The Plotly figures a page embeds, by chart id."""
    found = re.findall(r'<script type="application/json" class="plotly-figure" data-target="chart-([\w-]+)"[^>]*>'
                       r"(.*?)</script>", html, re.S)
    return {key: json.loads(text) for key, text in found}


def public_agency(db, database, cases: int, *, code: str = "sso", service: str = "svc.a") -> int:  # type: ignore[no-untyped-def]
    """An agency with ``cases`` applications received on DAY (half decided the next day), rolled up."""
    org = create_agency(db, code)
    db.commit()
    for i in range(cases):
        submitted(database, 100 + i, at(DAY), agency=org.id, branch=org.id, service=service)
        if i % 2 == 0:
            moved(database, 100 + i, at(DAY), at(DAY + dt.timedelta(days=1)), agency=org.id, branch=org.id,
                  service=service, sla_met=True)
    rollups.roll_pending(database)
    return int(org.id)


def test_a_citizen_reads_the_persian_public_dashboard(client, db, database) -> None:  # type: ignore[no-untyped-def]
    public_agency(db, database, 10)  # five decided the next day
    page = client.get(f"/dashboards?{QUERY}")
    assert page.status_code == 200, page.text
    html = page.text
    assert 'dir="rtl"' in html and 'href="/dashboards"' in html  # the nav names it for everyone
    assert "درخواست‌های دریافت‌شده" in html and "هزینهٔ هر خدمت" not in html  # public KPIs only
    shown = figures(html)
    received = shown["applications_received"]
    layout = received["layout"]
    assert layout["separators"] == "٫٬" and layout["legend"]["xanchor"] == "right"
    ticks = layout["xaxis"]["ticktext"] + layout["yaxis"]["ticktext"]
    assert ticks and not any(ch.isascii() and ch.isdigit() for t in ticks for ch in t)  # Persian digits
    assert layout["xaxis"]["ticktext"][0] == "۱۰ اسفند ۱۴۰۴"  # Jalali: 2026-03-01
    assert received["data"][0]["y"] == [10.0, 0.0, 0.0]
    # every chart with a target draws it, named with the direction that is better
    p50 = shown["processing_days_p50"]["data"]
    assert p50[1]["y"] == [5, 5] and "کمتر بهتر است" in p50[1]["name"]
    assert "applications_received-by-agency" in shown  # national: split by agency
    # the accessible table under the chart: caption, column and row headers, Persian digits
    table = html[html.index('id="table-applications_received"'):]
    table = table[:table.index("</table>")]
    assert "<caption>" in table and 'scope="col"' in table and 'scope="row"' in table
    assert "۱۰ اسفند ۱۴۰۴" in table and "<td class=\"num\">۱۰</td>" in table
    assert "/dashboards/csv/applications_received?" in html and "/dashboards/print?" in html


def test_a_charts_csv_matches_its_table(client, db, database) -> None:  # type: ignore[no-untyped-def]
    public_agency(db, database, 8)
    r = client.get(f"/dashboards/csv/applications_received?{QUERY}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="applications_received.csv"' in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "آغاز بازه" and rows[1][:4] == ["2026-03-01", "۱۰ اسفند ۱۴۰۴", "8", "8"]
    assert len(rows) == 4
    assert client.get(f"/dashboards/csv/cost_per_service?{QUERY}").status_code == 404  # not public
    assert client.get(f"/dashboards/csv/no-such-chart?{QUERY}").status_code == 404


def test_small_cells_are_suppressed_on_public_pages_and_their_csv(client, db, database, settings) -> None:  # type: ignore[no-untyped-def]
    public_agency(db, database, 3)  # fewer than the threshold (5)
    html = client.get(f"/dashboards?{QUERY}").text
    received = figures(html)["applications_received"]["data"][0]
    assert received["y"][0] is None and "کمتر از ۵ پرونده" in received["hovertext"][0]
    table = html[html.index('id="table-applications_received"'):]
    assert "کمتر از ۵ پرونده" in table[:table.index("</table>")]
    rows = list(csv.reader(io.StringIO(client.get(f"/dashboards/csv/applications_received?{QUERY}")
                                       .content.decode("utf-8-sig"))))
    assert rows[1][2:4] == ["", ""] and "کمتر از" in rows[1][5]
    settings.suppress_below = 3  # one setting moves the threshold
    rows = list(csv.reader(io.StringIO(client.get(f"/dashboards/csv/applications_received?{QUERY}")
                                       .content.decode("utf-8-sig"))))
    assert rows[1][2:4] == ["3", "3"]


def test_csv_cells_cannot_run_as_formulas(client, db, database) -> None:  # type: ignore[no-untyped-def]
    public_agency(db, database, 6, service="=HYPERLINK(1)")
    r = client.get(f"/dashboards/csv/applications_received-by-service?{QUERY}&agency=sso")
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[1][0].startswith("'=") and rows[1][1].startswith("'=")  # the key and its label, neutralized


def test_the_agency_dashboard_and_the_filters(client, db, database) -> None:  # type: ignore[no-untyped-def]
    public_agency(db, database, 6)
    create_agency(db, "sso-thr", parent="sso")
    db.commit()
    page = client.get(f"/dashboards/agencies/sso?{QUERY}&lang=en")
    assert page.status_code == 200 and "applications_received-by-service" in figures(page.text)
    assert client.get(f"/dashboards?{QUERY}&agency=sso").status_code == 200
    assert client.get("/dashboards/agencies/nobody").status_code == 404
    assert client.get("/dashboards/agencies/sso-thr").status_code == 404  # a branch has no public dashboard
    bad = client.get("/dashboards?start=1404/13/40&grain=day")
    assert bad.status_code == 422 and 'href="#f-start"' in bad.text and 'aria-invalid="true"' in bad.text
    assert "تاریخی درست وارد کنید" in bad.text
    assert client.get("/dashboards?grain=year").status_code == 422
    assert client.get("/dashboards?start=2026-03-05&end=2026-03-01").status_code == 422
    assert client.get("/dashboards?start=1390/01/01&end=1404/12/01&grain=day").status_code == 422
    # a Jalali date typed in Persian digits is read, and shown back in Persian
    page = client.get("/dashboards?start=۱۴۰۴/۱۲/۱۰&end=۱۴۰۴/۱۲/۱۲&grain=day")
    assert page.status_code == 200 and 'value="۱۴۰۴/۱۲/۱۰"' in page.text
    assert figures(page.text)["applications_received"]["data"][0]["y"][0] == 6.0
    refused = client.get("/dashboards/csv/applications_received?start=x")
    assert refused.status_code == 422 and "تاریخی درست وارد کنید" in refused.text


def test_the_print_view_is_tables_without_scripts(client, db, database) -> None:  # type: ignore[no-untyped-def]
    public_agency(db, database, 6)
    html = client.get(f"/dashboards/print?{QUERY}").text
    assert "<script" not in html and "<table" in html and "@media print" not in html
    assert "/static/analytics/dashboards.css" in html and "<details" not in html


# --------------------------------------------------------------------------- internal


def cases_in_two_branches(db, database) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    a = arrange(db)
    thr, isf = submit_tenant(db, a["citizen"]), submit_tenant(db, a["citizen_isf"])
    db.commit()
    rollups.roll_pending(database)
    return {**a, "thr": thr, "isf": isf}


def test_internal_dashboards_are_scoped_like_the_inbox(client, db, database) -> None:  # type: ignore[no-untyped-def]
    a = cases_in_two_branches(db, database)
    assert client.get("/dashboards/internal", follow_redirects=False).status_code in (401, 303)
    login(client, a["citizen"])
    assert client.get("/dashboards/internal").status_code == 403
    login(client, a["official"])
    page = client.get("/dashboards/internal")
    assert page.status_code == 200 and 'value="sso-thr:branch"' in page.text
    assert 'value="sso-isf:branch"' not in page.text and 'value="sso"' not in page.text
    assert client.get("/dashboards/internal?view=sso-isf:branch").status_code == 404
    assert client.get("/dashboards/internal?view=sso").status_code == 404  # not the whole agency
    assert "هزینهٔ هر خدمت" in page.text  # internal: every KPI
    today = clock.today().isoformat()
    received = figures(client.get(f"/dashboards/internal?start={today}&end={today}&grain=day").text)
    assert received["applications_received"]["data"][0]["y"] == [1.0]  # one case in the Tehran branch
    login(client, a["admin"])
    page = client.get(f"/dashboards/internal?view=sso&start={today}&end={today}&grain=day")
    assert page.status_code == 200 and figures(page.text)["applications_received"]["data"][0]["y"] == [2.0]
    assert "applications_received-by-branch" in figures(page.text)
    csv_text = client.get(f"/dashboards/internal/csv/applications_received?view=sso&start={today}&end={today}"
                          "&grain=day").content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(csv_text)))[1][2:4] == ["2", "2"]  # staff: nothing suppressed


def test_an_official_cannot_drill_into_another_branchs_cases(client, db, database) -> None:  # type: ignore[no-untyped-def]
    a = cases_in_two_branches(db, database)
    today = clock.today().isoformat()
    login(client, a["official"])
    page = client.get(f"/dashboards/internal?start={today}&end={today}&grain=day").text
    link = re.search(r'href="(/dashboards/internal/cases\?kpi=applications_received[^"]*)"', page)
    assert link, "a number on the internal dashboard links to the cases behind it"
    listing = client.get(link.group(1).replace("&amp;", "&"))
    assert listing.status_code == 200
    assert a["thr"].reference in listing.text and a["isf"].reference not in listing.text
    other = f"/dashboards/internal/cases?kpi=applications_received&view=sso-isf:branch&start={today}&end={today}"
    assert client.get(other).status_code == 404
    assert client.get(f"/dashboards/internal/cases?kpi=comments_posted&start={today}&end={today}").status_code == 404
    login(client, a["admin"])
    both = client.get(f"/dashboards/internal/cases?kpi=applications_received&view=sso&start={today}&end={today}")
    assert a["thr"].reference in both.text and a["isf"].reference in both.text


def test_a_decided_number_drills_into_the_decided_cases(client, db, database) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    case = submit_tenant(db, a["citizen"])
    admin = Principal(account=a["admin"])
    service.take_action(db, admin, case, "start_review")
    service.take_action(db, admin, case, "approve", reason="checked")
    auditor = create_account(db, "auditor-x", Role.AUDITOR)
    db.commit()
    rollups.roll_pending(database)
    login(client, auditor)
    today = clock.today().isoformat()
    page = client.get(f"/dashboards/internal?start={today}&end={today}&grain=day")
    assert page.status_code == 200 and 'value="national"' in page.text  # national roles: every view
    listing = client.get(f"/dashboards/internal/cases?kpi=applications_decided&start={today}&end={today}")
    assert listing.status_code == 200 and case.reference in listing.text
    assert "/dashboards/internal/print?" in page.text
    assert "<script" not in client.get(f"/dashboards/internal/print?start={today}&end={today}&grain=day").text
