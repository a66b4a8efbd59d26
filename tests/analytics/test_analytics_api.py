"""The KPI API: public vs internal figures, one agency's internal figures kept from another, 4xx for bad input,
audited edits of targets and operating costs, cost per service."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select

from smartgov.analytics import rollups
from smartgov.db import Database
from smartgov.events import EventRecord
from smartgov.identity import Role
from tests.factories import api_token, auth, create_account, create_agency

from .helpers import at, moved, submitted

D1 = dt.date(2026, 3, 1)
Q = {"start": D1.isoformat(), "end": D1.isoformat()}


def _setup(db, database: Database) -> dict[str, int]:  # type: ignore[no-untyped-def]
    a = create_agency(db, "agency-a")
    b = create_agency(db, "agency-b")
    branch_a = create_agency(db, "agency-a-tehran", parent="agency-a")
    create_account(db, "official_a", Role.OFFICIAL, organization="agency-a")
    create_account(db, "admin_a", Role.AGENCY_ADMIN, organization="agency-a")
    create_account(db, "official_b", Role.OFFICIAL, organization="agency-b")
    create_account(db, "auditor", Role.AUDITOR)
    create_account(db, "citizen")
    db.commit()
    for case_id, (agency, branch) in enumerate([(a.id, branch_a.id), (a.id, branch_a.id), (b.id, b.id)], start=1):
        submitted(database, case_id, at(D1), agency=agency, branch=branch)
        moved(database, case_id, at(D1), at(D1, 15), agency=agency, branch=branch)
    rollups.roll_pending(database)
    return {"a": a.id, "b": b.id, "branch_a": branch_a.id}


def _token(client: TestClient, db, username: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A token per account and test (a TOTP code is accepted once)."""
    from smartgov.identity.models import Account

    tokens = client.__dict__.setdefault("_tokens", {})
    if username not in tokens:
        tokens[username] = auth(api_token(client, db.scalars(select(Account).where(Account.username == username)).one()))
    return tokens[username]


def test_public_kpis_and_figures_are_anonymous(client: TestClient, db, database: Database) -> None:  # type: ignore[no-untyped-def]
    ids = _setup(db, database)
    listed = client.get("/api/v1/analytics/kpis").json()
    codes = {k["code"] for k in listed}
    assert "applications_received" in codes and "cost_per_service" not in codes  # internal: staff only
    assert all(k["title"]["fa"] and k["title"]["en"] for k in listed)
    r = client.get("/api/v1/analytics/kpis/applications_received/series", params=Q)
    assert r.status_code == 200, r.text
    assert r.json()["points"] == [{"period": D1.isoformat(), "value": 3.0, "count": 3}]
    r = client.get("/api/v1/analytics/kpis/applications_received/series", params={**Q, "agency_id": ids["a"]})
    assert r.json()["points"][0]["value"] == 2.0
    r = client.get("/api/v1/analytics/kpis/applications_decided/breakdown", params={**Q, "by": "agency"})
    assert [(i["key"], i["value"]) for i in r.json()["items"]] == [(str(ids["a"]), 2.0), (str(ids["b"]), 1.0)]
    assert client.get("/api/v1/analytics/kpis/cost_per_service").status_code == 404


def test_internal_figures_only_for_the_agencys_staff_or_national_roles(client: TestClient, db,  # type: ignore[no-untyped-def]
                                                                      database: Database) -> None:
    ids = _setup(db, database)
    url = "/api/v1/analytics/kpis/cost_per_service/series"
    official_a, official_b = _token(client, db, "official_a"), _token(client, db, "official_b")
    assert client.get(url, params={**Q, "agency_id": ids["a"]}).status_code == 404  # anonymous: no such KPI
    assert client.get(url, params={**Q, "agency_id": ids["a"]}, headers=_token(client, db, "citizen")).status_code == 404
    assert client.get(url, params={**Q, "agency_id": ids["a"]}, headers=official_a).status_code == 200
    assert client.get(url, params={**Q, "branch_id": ids["branch_a"]}, headers=official_a).status_code == 200
    refused = client.get(url, params={**Q, "agency_id": ids["a"]}, headers=official_b)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert client.get(url, params=Q, headers=official_a).status_code == 403  # national totals: national roles
    assert client.get(url, params=Q, headers=_token(client, db, "auditor")).status_code == 200
    assert client.get(url, params={**Q, "agency_id": ids["b"]}, headers=_token(client, db, "auditor")).status_code == 200


def test_bad_parameters_are_4xx_naming_the_field(client: TestClient, db, database: Database) -> None:  # type: ignore[no-untyped-def]
    base = "/api/v1/analytics/kpis/applications_received"
    r = client.get(f"{base}/series", params={"start": "2026-03-02", "end": "2026-03-01"},
                   headers={"Accept-Language": "fa"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "end"
    assert r.json()["error"]["message"] != "The end comes before the start."  # in Persian
    r = client.get(f"{base}/series", params={"start": "2000-01-01", "end": "2026-03-01"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "range_too_long"
    assert client.get(f"{base}/series", params={**Q, "grain": "year"}).status_code == 422
    assert client.get(f"{base}/series", params={**Q, "agency_id": 2**31}).status_code == 422
    assert client.get(f"{base}/series", params={"start": "not a date", "end": "2026-03-01"}).status_code == 422
    assert client.get(f"{base}/breakdown", params={**Q, "by": "person"}).status_code == 422
    r = client.get("/api/v1/analytics/kpis/no_such_kpi/series", params=Q)
    assert r.status_code == 404 and r.json()["error"]["field"] == "code"


def test_targets_are_changed_by_the_owners_admin_and_audited(client: TestClient, db, database: Database) -> None:  # type: ignore[no-untyped-def]
    _setup(db, database)
    create_account(db, "root", Role.PLATFORM_ADMIN)
    db.commit()
    root, admin_a = _token(client, db, "root"), _token(client, db, "admin_a")
    url = "/api/v1/analytics/kpis/sla_compliance"
    assert client.patch(url, json={"target": 95}, headers=admin_a).status_code == 403  # nobody owns it yet
    r = client.patch(url, json={"owner_agency_code": "agency-a"}, headers=root)
    assert r.status_code == 200 and r.json()["owner_agency_code"] == "agency-a"
    r = client.patch(url, json={"target": 95}, headers=admin_a)
    assert r.status_code == 200 and r.json()["target"] == 95
    assert client.patch(url, json={"owner_agency_code": "agency-b"}, headers=admin_a).status_code == 403
    assert client.patch(url, json={"target": 80}, headers=_token(client, db, "official_a")).status_code == 403
    assert client.get(url).json()["target"] == 95
    audited = [e.payload for e in db.scalars(select(EventRecord).where(EventRecord.name == "analytics.kpi_changed"))]
    assert [(p["before"]["target"], p["after"]["target"]) for p in audited] == [(90, 90), (90, 95)]


def test_operating_cost_gives_cost_per_service(client: TestClient, db, database: Database) -> None:  # type: ignore[no-untyped-def]
    ids = _setup(db, database)
    admin_a = _token(client, db, "admin_a")
    body = {"agency": "agency-a", "period_start": "2026-03-01", "period_end": "2026-03-31", "amount": "۱۰٬۰۰۰٬۰۰۰"}
    assert client.put("/api/v1/analytics/operating-costs", json=body, headers=_token(client, db, "official_b")) \
        .status_code == 403
    r = client.put("/api/v1/analytics/operating-costs", json=body, headers=admin_a)
    assert r.status_code == 200, r.text
    r = client.put("/api/v1/analytics/operating-costs", json={**body, "amount": 6000000}, headers=admin_a)  # corrected
    assert r.status_code == 200 and r.json()["amount"] == 6000000
    bad = client.put("/api/v1/analytics/operating-costs", json={**body, "period_end": "2026-02-01"}, headers=admin_a)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "period_end"
    rollups.roll_pending(database)
    r = client.get("/api/v1/analytics/kpis/cost_per_service/series", headers=admin_a,
                   params={"start": "2026-03-01", "end": "2026-03-31", "grain": "month", "agency_id": ids["a"]})
    values = [p["value"] for p in r.json()["points"] if p["value"] is not None]
    assert values == [3000000.0]  # 6,000,000 rial over the two cases agency-a decided
    audited = db.scalars(select(EventRecord).where(EventRecord.name == "analytics.operating_cost_set")).all()
    assert [(e.payload["amount"], e.payload["previous_amount"]) for e in audited] == [(10000000, 0), (6000000, 10000000)]
    listed = client.get("/api/v1/analytics/operating-costs", headers=_token(client, db, "official_b")).json()
    assert listed == []  # another agency's costs are not shown
