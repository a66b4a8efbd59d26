"""Assessment API and pages: permissions per agency, links used once, imports, results, exports."""

from __future__ import annotations

import re
import zlib

import pytest
from sqlalchemy import func, select

from smartgov.assessment.models import SurveyResponse
from smartgov.identity import service as identity_service
from smartgov.identity.models import Role
from tests.factories import api_token, auth, create_account, create_agency, csrf_of


@pytest.fixture
def setup(db):  # type: ignore[no-untyped-def]
    create_agency(db, "agency-a")
    create_agency(db, "agency-b")
    admin_a = create_account(db, "admin-a", role=Role.AGENCY_ADMIN, organization="agency-a")
    admin_b = create_account(db, "admin-b", role=Role.AGENCY_ADMIN, organization="agency-b")
    auditor = create_account(db, "auditor1", role=Role.AUDITOR)
    citizen = create_account(db, "citizen1")
    db.commit()
    return {"a": admin_a, "b": admin_b, "auditor": auditor, "citizen": citizen}


def make_round(client, token: str, framework: str = "egdi") -> dict:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/assessment/rounds", headers=auth(token), json={
        "organization": "agency-a", "framework": framework, "title_fa": "دور یک", "title_en": "Round one"})
    assert r.status_code == 201, r.text
    return r.json()


def item_codes(client, token: str, round_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    r = client.get(f"/api/v1/assessment/rounds/{round_id}/items?per_page=100", headers=auth(token))
    assert r.status_code == 200
    return [i["code"] for i in r.json()["items"]]


def test_frameworks_are_public_with_nested_trees(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/assessment/frameworks?per_page=100")
    assert r.status_code == 200
    body = r.json()
    assert {f["id"] for f in body["items"]} >= {"csf", "dg-sso", "taghva", "tgov", "gartner", "egdi"}
    dg = client.get("/api/v1/assessment/frameworks/dg-sso").json()
    assert len(dg["nodes"]) == 9 and sum(len(d["children"]) for d in dg["nodes"]) == 31
    assert dg["nodes"][0]["children"][0]["attrs"]["reference_alpha"] == pytest.approx(0.730999)
    moved = client.get("/api/v1/assessment/frameworks/dg-sso?empowerment=D9").json()
    assert "C25" in {c["code"] for c in moved["nodes"][8]["children"]}
    assert client.get("/api/v1/assessment/frameworks/nope").status_code == 404


def test_agency_admin_of_b_cannot_see_or_change_a_round_of_a(client, setup, db) -> None:  # type: ignore[no-untyped-def]
    ta, tb = api_token(client, setup["a"]), api_token(client, setup["b"])
    rnd = make_round(client, ta)
    rid = rnd["id"]
    assert rnd["n_items"] >= 3 * 8 and rnd["status"] == "draft"
    for path in ("", "/results", "/items", "/responses", "/roadmap", "/indicators", "/export.csv", "/report.pdf"):
        assert client.get(f"/api/v1/assessment/rounds/{rid}{path}", headers=auth(tb)).status_code == 403, path
    assert client.post(f"/api/v1/assessment/rounds/{rid}/open", headers=auth(tb)).status_code == 403
    assert client.get("/api/v1/assessment/rounds", headers=auth(tb)).json()["total"] == 0
    r = client.post("/api/v1/assessment/rounds", headers=auth(tb), json={
        "organization": "agency-a", "framework": "csf", "title_fa": "x", "title_en": "x"})
    assert r.status_code == 403
    # auditors read every round but change none; a read-only token of the owner cannot change it either
    tau = api_token(client, setup["auditor"])
    assert client.get(f"/api/v1/assessment/rounds/{rid}/results", headers=auth(tau)).status_code == 200
    assert client.post(f"/api/v1/assessment/rounds/{rid}/open", headers=auth(tau)).status_code == 403
    ro, _ = identity_service.create_api_token(db, setup["a"], name="ro", scopes=["read"], expires_in_days=1)
    db.commit()
    assert client.post(f"/api/v1/assessment/rounds/{rid}/open", headers=auth(ro)).status_code == 403
    assert client.get("/api/v1/assessment/rounds", headers=auth(ta)).json()["total"] == 1


def test_link_answers_once_and_respondent_sees_only_their_own(client, setup, db) -> None:  # type: ignore[no-untyped-def]
    ta = api_token(client, setup["a"])
    rid = make_round(client, ta)["id"]
    codes = item_codes(client, ta, rid)
    assert client.post(f"/api/v1/assessment/rounds/{rid}/open", headers=auth(ta)).status_code == 200
    r = client.post(f"/api/v1/assessment/rounds/{rid}/invitations", headers=auth(ta),
                    json={"count": 2, "usernames": ["citizen1"]})
    assert r.status_code == 201
    links, accounts = r.json()["links"], r.json()["accounts"]
    assert len(links) == 2 and accounts == ["citizen1"]
    token = links[0].rsplit("/", 1)[1]
    assert len(client.get(f"/api/v1/assessment/respond/{token}").json()) == len(codes)
    half = {c: 4 for c in codes[:3]}
    r = client.put(f"/api/v1/assessment/respond/{token}", json={"answers": half})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"  # progress saved
    r = client.put(f"/api/v1/assessment/respond/{token}", json={"answers": {codes[0]: 9}, "submit": True})
    assert r.status_code == 422 and r.json()["error"]["field"] == codes[0]
    r = client.put(f"/api/v1/assessment/respond/{token}", json={"answers": {c: 3 for c in codes[3:]}, "submit": True})
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    again = client.put(f"/api/v1/assessment/respond/{token}", json={"answers": {}, "submit": True})
    assert again.status_code == 410
    assert client.get(f"/api/v1/assessment/respond/{token}").status_code == 410
    assert client.get("/api/v1/assessment/respond/not-a-token").status_code == 404
    # an invited account answers through its own route; others cannot reach its response
    tc = api_token(client, setup["citizen"])
    assert client.get(f"/api/v1/assessment/rounds/{rid}/my-response", headers=auth(tc)).json() is None
    r = client.put(f"/api/v1/assessment/rounds/{rid}/my-response", headers=auth(tc),
                   json={"answers": {c: 2 for c in codes}, "submit": True})
    assert r.status_code == 200
    assert client.get(f"/api/v1/assessment/rounds/{rid}/results", headers=auth(tc)).status_code == 403
    tb = api_token(client, setup["b"])
    assert client.get(f"/api/v1/assessment/rounds/{rid}/my-response", headers=auth(tb)).status_code == 404
    responses = client.get(f"/api/v1/assessment/rounds/{rid}/responses", headers=auth(ta)).json()
    assert responses["total"] == 2 and all(x["respondent"].startswith("inv-") for x in responses["items"])


def test_import_with_bad_cells_returns_every_problem_and_stores_nothing(client, setup, db) -> None:  # type: ignore[no-untyped-def]
    ta = api_token(client, setup["a"])
    rid = make_round(client, ta)["id"]
    codes = item_codes(client, ta, rid)
    header = "respondent," + ",".join(codes)
    rows = [header, "r1," + ",".join(["3"] * len(codes)), "r2,abc," + ",".join(["8"] + ["2"] * (len(codes) - 2)),
            "r1," + ",".join(["3"] * len(codes))]
    r = client.post(f"/api/v1/assessment/rounds/{rid}/responses/import", headers=auth(ta),
                    files={"file": ("answers.csv", "\n".join(rows).encode(), "text/csv")})
    assert r.status_code == 422
    details = {(d["row"], d["column"], d["code"]) for d in r.json()["error"]["details"]}
    assert details == {(3, codes[0], "not_numeric"), (3, codes[1], "out_of_range"),
                       (4, "respondent", "duplicate_respondent")}
    fa = client.post(f"/api/v1/assessment/rounds/{rid}/responses/import", headers={**auth(ta), "Accept-Language": "fa"},
                     files={"file": ("answers.csv", "\n".join(rows).encode(), "text/csv")})
    assert "سطر ۳" in fa.json()["error"]["details"][0]["message"]
    assert db.scalar(select(func.count()).select_from(SurveyResponse)) == 0
    good = "\n".join([*rows[:2], "r2," + ",".join(["4"] * len(codes))])
    r = client.post(f"/api/v1/assessment/rounds/{rid}/responses/import", headers=auth(ta),
                    files={"file": ("answers.csv", good.encode(), "text/csv")})
    assert r.status_code == 201 and r.json() == {"imported": 2}
    bad_type = client.post(f"/api/v1/assessment/rounds/{rid}/responses/import", headers=auth(ta),
                           files={"file": ("answers.pdf", b"%PDF", "application/pdf")})
    assert bad_type.status_code == 400 and bad_type.json()["error"]["field"] == "file"


def test_results_exports_and_pdf(client, setup) -> None:  # type: ignore[no-untyped-def]
    ta = api_token(client, setup["a"])
    rid = make_round(client, ta, "csf")["id"]
    codes = item_codes(client, ta, rid) + item_codes_page2(client, ta, rid)
    rows = ["respondent," + ",".join(codes)]
    for n in range(6):
        rows.append(f"p{n}," + ",".join(str(1 + (n + i) % 5) for i in range(len(codes))))
    client.post(f"/api/v1/assessment/rounds/{rid}/responses/import", headers=auth(ta),
                files={"file": ("a.csv", "\n".join(rows).encode(), "text/csv")})
    r = client.put(f"/api/v1/assessment/rounds/{rid}/settings", headers=auth(ta),
                   json={"tgov_internal": False, "tgov_external": False, "tgov_context": True})
    assert r.status_code == 400 and r.json()["error"]["field"] == "context"
    client.post(f"/api/v1/assessment/rounds/{rid}/open", headers=auth(ta))
    assert client.post(f"/api/v1/assessment/rounds/{rid}/close", headers=auth(ta)).json()["status"] == "closed"
    res = client.get(f"/api/v1/assessment/rounds/{rid}/results", headers={**auth(ta), "Accept-Language": "en"}).json()
    assert res["n_respondents"] == 6 and res["full"] and len(res["components"]) == 12
    assert res["cfa"] is None and "6 respondents" in res["cfa_note"]["message"]
    plan = client.post(f"/api/v1/assessment/rounds/{rid}/roadmap", headers=auth(ta)).json()
    assert plan["total"] >= 5
    action = plan["items"][0]
    r = client.patch(f"/api/v1/assessment/rounds/{rid}/roadmap/{action['id']}", headers=auth(ta),
                     json={"owner": "IT director", "due_date": "2026-09-01", "status": "in_progress"})
    assert r.status_code == 200 and r.json()["owner"] == "IT director"
    indicators = client.get(f"/api/v1/assessment/rounds/{rid}/indicators", headers=auth(ta)).json()
    assert {i["key"] for i in indicators} >= {"digitization_rate", "sla_compliance", "cost_per_service"}
    assert all(i["value"] is None and i["display"] for i in indicators)  # no services yet: no made-up numbers
    csv_text = client.get(f"/api/v1/assessment/rounds/{rid}/export.csv", headers=auth(ta)).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("level,code") and "A4" in csv_text
    xlsx = client.get(f"/api/v1/assessment/rounds/{rid}/export.xlsx", headers=auth(ta))
    assert xlsx.content[:2] == b"PK"
    pdf = client.get(f"/api/v1/assessment/rounds/{rid}/report.pdf?lang=fa", headers=auth(ta))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf_has_text(pdf.content)


def item_codes_page2(client, token: str, round_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    r = client.get(f"/api/v1/assessment/rounds/{round_id}/items?per_page=100&page=2", headers=auth(token))
    return [i["code"] for i in r.json()["items"]]


def pdf_has_text(content: bytes) -> bool:
    """Some content stream draws text (``Tj``/``TJ`` inside ``BT … ET``)."""
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            data = zlib.decompress(match.group(1))
        except zlib.error:
            data = match.group(1)
        if b"BT" in data and (b"Tj" in data or b"TJ" in data):
            return True
    return False



def test_framework_pages_show_network_tree_and_table(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/assessment/frameworks/csf")
    assert page.status_code == 200
    assert '<svg id="network"' in page.text and 'direction="rtl"' in page.text and "امنیت هوشمند" in page.text
    assert "<table" in page.text and "aria-labelledby" in page.text
    en = client.get("/assessment/frameworks/dg-sso?lang=en")
    assert "Extroversion" in en.text and 'direction="ltr"' in en.text
    assert client.get("/assessment").status_code == 200
    js = client.get("/charts/plotly.min.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript") and len(js.content) > 1e6


def test_link_page_in_persian_saves_progress_then_refuses_reuse(client, setup, db) -> None:  # type: ignore[no-untyped-def]
    ta = api_token(client, setup["a"])
    rid = make_round(client, ta)["id"]
    codes = item_codes(client, ta, rid)
    client.post(f"/api/v1/assessment/rounds/{rid}/open", headers=auth(ta))
    link = client.post(f"/api/v1/assessment/rounds/{rid}/invitations", headers=auth(ta), json={"count": 1}).json()["links"][0]
    path = "/" + link.split("/", 3)[3]
    page = client.get(path)
    assert page.status_code == 200 and "<fieldset" in page.text and "کاملاً موافقم" in page.text
    token = csrf_of(page.text)
    r = client.post(path, data={"csrf_token": token, "do": "save", f"q:{codes[0]}": "۵"})
    assert r.status_code == 200 and "ذخیره شد" in r.text
    r = client.post(path, data={"csrf_token": token, "do": "submit"})
    assert r.status_code == 422 and f'id="e-{codes[1]}"' in r.text
    data = {"csrf_token": token, "do": "submit", **{f"q:{c}": "2" for c in codes[1:]}}
    r = client.post(path, data=data)
    assert r.status_code == 200 and 'id="done"' in r.text
    assert client.get(path).status_code == 410
    answers = db.scalar(select(SurveyResponse.answers))
    assert answers[codes[0]] == 5 and len(answers) == len(codes)


def test_closing_a_round_on_its_page_shows_the_results_and_the_cfa_follows(client, setup, database, db) -> None:  # type: ignore[no-untyped-def]
    """Closing does not wait for the CFA: the results page says it is being computed until the worker is done."""
    from smartgov import events
    from smartgov.assessment import service
    from smartgov.assessment.demo import simulated_frame
    from smartgov.assessment.models import AssessmentRound
    from tests.assessment.test_assessment_service import _xlsx
    from tests.factories import page_login

    rnd = service.create_round(db, organization=identity_service.organization_by_code(db, "agency-a"),
                               framework_id="egdi", title_fa="دور یک", title_en="Round one")
    frame = simulated_frame(rnd.instrument, 150, seed=7)
    service.import_responses(db, rnd, "a.xlsx", _xlsx(frame, [f"p{n}" for n in range(150)]))
    service.open_round(db, rnd)
    db.commit()
    page_login(client, setup["a"], f"/assessment/rounds/{rnd.id}")
    token = csrf_of(client.get(f"/assessment/rounds/{rnd.id}").text)
    r = client.post(f"/assessment/rounds/{rnd.id}/close", data={"csrf_token": token})
    assert r.status_code == 200 and r.url.path == f"/assessment/rounds/{rnd.id}/results"
    assert "تحلیل عاملی تأییدی در حال محاسبه است" in r.text and "RMSEA" not in r.text
    assert events.drain_outbox(database) >= 1
    db.expire_all()
    assert db.get(AssessmentRound, rnd.id).results["cfa_pending"] is False
    page = client.get(f"/assessment/rounds/{rnd.id}/results").text
    assert "RMSEA" in page and "در حال محاسبه" not in page
