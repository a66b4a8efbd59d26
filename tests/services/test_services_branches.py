"""Least privilege for staff: a case goes to the branch that serves it, and only that branch's
officials (and the supervisors above it) see it, claim it, decide it, read its files and documents.

Another branch's official gets 404 (the case's existence is not revealed), on the API and the
pages alike; the routing and the rule hold on SQLite and PostgreSQL, and through the group-commit
fast path of submissions.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov.events import EventRecord
from smartgov.identity import Principal, Role, organization_by_code
from smartgov.services import documents, permissions, routing, service
from smartgov.services.models import Application, TransitionLog
from tests.factories import api_token, auth, create_account, create_agency

from .conftest import MINIMAL
from .helpers import address_answers, arrange, upload
from .test_services_api import API
from .test_services_pages import login, post


def branch_of(db: Session, code: str) -> int:
    return organization_by_code(db, code).id


def submit_tenant(db: Session, account: Any) -> Application:
    """An address change by a tenant: it waits for an official (no automatic step)."""
    answers = address_answers(account, owns_home=False, lease_contract=upload(db, account, "lease.pdf"))
    return service.submit_application(db, Principal(account=account), "address-change", answers,
                                      {"proof_of_address": upload(db, account)}).application


# --------------------------------------------------------------------------- routing


def test_cases_go_to_the_branch_of_the_applicants_province(session) -> None:  # type: ignore[no-untyped-def]
    a = arrange(session)
    fars = create_account(session, "citizen-fars", province="Fars")  # no branch serves Fars
    nowhere = create_account(session, "citizen-unknown")  # the registry holds no province
    spaced = create_account(session, "citizen-spaced", province="  tehran ")  # compared trimmed, any case
    cases = {name: submit_tenant(session, acc) for name, acc in
             (("thr", a["citizen"]), ("isf", a["citizen_isf"]), ("fars", fars), ("none", nowhere), ("sp", spaced))}
    assert cases["thr"].branch_id == branch_of(session, "sso-thr")
    assert cases["isf"].branch_id == branch_of(session, "sso-isf")
    assert cases["sp"].branch_id == branch_of(session, "sso-thr")
    sso = branch_of(session, "sso")
    assert cases["fars"].branch_id == sso and cases["none"].branch_id == sso
    assert all(c.agency_id == sso for c in cases.values())  # the service stays the agency's


def test_the_nearest_branch_wins_and_a_definition_without_a_rule_stays_with_the_agency(session) -> None:  # type: ignore[no-untyped-def]
    a = arrange(session)
    create_agency(session, "sso-thr-5", parent="sso-thr", province="Tehran")  # a sub-office of the Tehran branch
    create_agency(session, "nocr-thr", parent="nocr", province="Tehran")  # another agency's: never chosen
    assert submit_tenant(session, a["citizen"]).branch_id == branch_of(session, "sso-thr")
    text = MINIMAL.replace("relationship: G2B", "relationship: G2C").replace(
        "  formula: floor(answers.wage * 7 / 100)", "  amount: 0")
    defn, agency = service.prepare_definition(session, text, "p.yaml")
    service.store_definition(session, defn, agency, text, "p.yaml")
    assert defn.routing == "agency"
    case = service.submit_application(session, Principal(account=a["citizen"]), "permit",
                                      {"workers": 2, "wage": 1}).application
    assert case.branch_id == agency.id
    assert routing.decide(defn, agency.id, branch_of(session, "sso-thr")) == agency.id


def test_an_unknown_routing_rule_is_refused_when_the_definition_is_stored(session) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from smartgov.services import DefinitionInvalid

    arrange(session)
    text = MINIMAL.replace("relationship: G2B", "relationship: G2B\nrouting: by_moon_phase")
    with pytest.raises(DefinitionInvalid) as found:
        service.prepare_definition(session, text, "p.yaml")
    assert "no routing rule called 'by_moon_phase'" in str(found.value.issues[0].message)


# --------------------------------------------------------------------------- the rule, in the engine


def test_officials_work_their_branch_and_supervisors_their_subtree(session) -> None:  # type: ignore[no-untyped-def]
    a = arrange(session)
    thr, isf = submit_tenant(session, a["citizen"]), submit_tenant(session, a["citizen_isf"])
    official, official_isf, admin = (Principal(account=a[k]) for k in ("official", "official_isf", "admin"))

    def inbox(p: Principal) -> set[str]:
        return {c.reference for c in session.scalars(service.inbox_query(session, p))}

    assert inbox(official) == {thr.reference}
    assert inbox(official_isf) == {isf.reference}
    assert inbox(admin) == {thr.reference, isf.reference}
    assert inbox(Principal(account=a["stranger"])) == set()
    assert not permissions.can_view_application(session, official, isf)
    assert not permissions.can_work_case(session, official, isf)
    assert permissions.can_work_case(session, admin, isf)
    # a supervisor of a branch only (an agency admin of sso-thr) sees that branch's cases, not its sibling's
    thr_admin = Principal(account=create_account(session, "thr-admin", Role.AGENCY_ADMIN, organization="sso-thr"))
    assert inbox(thr_admin) == {thr.reference}
    # an official of the parent agency is an official of the agency's own cases, not of every branch
    hq = Principal(account=create_account(session, "hq-official", Role.OFFICIAL, organization="sso"))
    assert inbox(hq) == set()
    # stats count the caller's branches only
    assert [s.total for s in service.service_stats(session, permissions.branch_scope(session, official))] == [1]
    assert permissions.branch_scope(session, Principal(account=create_account(
        session, "auditor1", Role.AUDITOR))) is None
    # assignment only to staff of the case's branch
    import pytest

    from smartgov.errors import DomainError

    with pytest.raises(DomainError) as refused:
        service.assign(session, official_isf, isf, a["official"].id)
    assert refused.value.code == "assignee_invalid"
    assert {acc.username for acc in service.case_staff(session, isf)} == {"official-isf", "ssoadmin"}


# --------------------------------------------------------------------------- IDOR: the API


def test_another_branchs_official_gets_404_on_every_route(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    case = submit_tenant(db, a["citizen_isf"])
    ref, file_ref = case.reference, case.documents["proof_of_address"]["ref"]
    db.commit()
    t = {k: auth(api_token(client, a[k])) for k in ("official", "official_isf", "admin")}
    other = t["official"]
    # the Isfahan branch works it: it reaches its document
    assert client.post(f"{API}/applications/{ref}/claim", headers=t["official_isf"]).status_code == 200
    for action, reason in (("start_review", None), ("approve", "the lease and the bill match")):
        r = client.post(f"{API}/applications/{ref}/transitions", headers=t["official_isf"],
                        json={"action": action, "reason": reason})
        assert r.status_code == 200, r.text
    doc = documents.documents_of(db, db.get(Application, case.id))[0]

    for method, url, body in (
        ("get", f"{API}/applications/{ref}", None),
        ("get", f"{API}/applications/{ref}/timeline", None),
        ("post", f"{API}/applications/{ref}/claim", None),
        ("post", f"{API}/applications/{ref}/assign", {"assignee_id": a["official"].id}),
        ("post", f"{API}/applications/{ref}/transitions", {"action": "reject", "reason": "no"}),
        ("post", f"{API}/applications/{ref}/transfer", {"branch": "sso-thr", "reason": "mine now"}),
        ("get", f"{API}/files/{file_ref}", None),
        ("get", f"{API}/documents/{doc.id}", None),
        ("get", f"{API}/documents/{doc.id}/pdf", None),
    ):
        r = client.request(method, url, headers=other, json=body)
        assert r.status_code == 404, (url, r.status_code, r.text)
    assert client.get(f"{API}/inbox", headers=other, params={"closed": True}).json()["total"] == 0
    assert client.get(f"{API}/stats", headers=other).json() == []
    bulk = client.post(f"{API}/inbox/bulk", headers=other, json={"references": [ref], "action": "claim"}).json()
    assert bulk[0]["ok"] is False and bulk[0]["error"]["code"] == "not_found"
    # the public verify page shows the document's content only to who may see the case
    assert client.get(f"{API}/verify/{doc.id}", headers=other).json()["document"] is None
    assert client.get(f"{API}/verify/{doc.id}", headers=t["official_isf"]).json()["document"] is not None
    # the supervisor of both branches sees it
    assert client.get(f"{API}/applications/{ref}", headers=t["admin"]).status_code == 200
    assert client.get(f"{API}/inbox", headers=t["admin"], params={"closed": True}).json()["total"] == 1
    db.expire_all()
    kept = db.get(Application, case.id)
    assert kept.assignee_id == a["official_isf"].id and kept.state == "registered"  # the other official changed nothing


# --------------------------------------------------------------------------- IDOR: the pages


def test_another_branchs_official_gets_404_on_the_pages(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    case = submit_tenant(db, a["citizen_isf"])
    ref, file_ref = case.reference, case.documents["proof_of_address"]["ref"]
    db.commit()
    login(client, a["official"])
    assert client.get(f"/services/inbox/{ref}").status_code == 404
    assert ref not in client.get("/services/inbox").text
    inbox = "/services/inbox"
    for url, data in ((f"/services/inbox/{ref}/action", {"action": "start_review"}),
                      (f"/services/inbox/{ref}/assign", {"assignee": "me"}),
                      (f"/services/inbox/{ref}/transfer", {"branch": "sso-thr", "reason": "x"})):
        assert post(client, url, data, page_url=inbox).status_code == 404, url
    assert client.get(f"/api/v1/services/files/{file_ref}").status_code == 404
    r = post(client, "/services/inbox/bulk", {"references": ref, "action": "claim"}, page_url=inbox)
    assert r.status_code == 200  # each case fails on its own: checked below, nothing changed
    client.cookies.clear()
    login(client, a["official_isf"])
    page = client.get(f"/services/inbox/{ref}")
    assert page.status_code == 200 and "سازمان sso-isf" in page.text  # the case's branch
    assert "/transfer" not in page.text  # an official does not transfer
    assert ref in client.get("/services/inbox").text
    db.expire_all()
    assert db.get(Application, case.id).state == "submitted" and db.get(Application, case.id).assignee_id is None


# --------------------------------------------------------------------------- transfer


def test_a_supervisor_transfers_a_case_and_the_history_keeps_it(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    case = submit_tenant(db, a["citizen_isf"])
    service.assign(db, Principal(account=a["official_isf"]), case, a["official_isf"].id)
    ref = case.reference
    db.commit()
    t = {k: auth(api_token(client, a[k])) for k in ("official", "official_isf", "admin")}
    # an official of the case's branch sees it but may not move it
    r = client.post(f"{API}/applications/{ref}/transfer", headers=t["official_isf"],
                    json={"branch": "sso-thr", "reason": "wrong province"})
    assert r.status_code == 403
    bad = client.post(f"{API}/applications/{ref}/transfer", headers=t["admin"],
                      json={"branch": "no-such-branch", "reason": "x"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "branch"
    empty = client.post(f"{API}/applications/{ref}/transfer", headers=t["admin"],
                        json={"branch": "sso-thr", "reason": "  "})
    assert empty.status_code == 400 and empty.json()["error"]["field"] == "reason"
    outside = client.post(f"{API}/applications/{ref}/transfer", headers=t["admin"],
                          json={"branch": "nocr", "reason": "x"})
    assert outside.status_code == 403  # not a branch the supervisor oversees

    r = client.post(f"{API}/applications/{ref}/transfer", headers=t["admin"],
                    json={"branch": "sso-thr", "reason": "the applicant lives in Tehran now"})
    assert r.status_code == 200, r.text
    assert r.json()["assignee_id"] is None  # the Isfahan official let it go
    db.expire_all()
    moved = db.get(Application, case.id)
    assert moved.branch_id == branch_of(db, "sso-thr")
    assert client.get(f"{API}/applications/{ref}", headers=t["official_isf"]).status_code == 404
    assert client.get(f"{API}/applications/{ref}", headers=t["official"]).status_code == 200
    step = db.scalar(select(TransitionLog).where(TransitionLog.application_id == case.id,
                                                 TransitionLog.action == "transfer"))
    assert step is not None and step.internal and step.actor_id == a["admin"].id
    assert json.loads(step.reason or "") == {"from": branch_of(db, "sso-isf"), "to": branch_of(db, "sso-thr"),
                                             "reason": "the applicant lives in Tehran now"}
    event = db.scalar(select(EventRecord).where(EventRecord.name == "services.application_transferred"))
    assert event is not None and event.payload["to_branch_id"] == branch_of(db, "sso-thr")
    assert event.payload["released_assignee_id"] == a["official_isf"].id
    timeline = client.get(f"{API}/applications/{ref}/timeline", headers=t["official"]).json()
    assert [e["kind"] for e in timeline][-1] == "transfer"
    applicant = auth(api_token(client, a["citizen_isf"]))
    assert "transfer" not in [e["kind"] for e in client.get(f"{API}/applications/{ref}/timeline",
                                                               headers=applicant).json()]
    again = client.post(f"{API}/applications/{ref}/transfer", headers=t["admin"],
                        json={"branch": "sso-thr", "reason": "again"})
    assert again.status_code == 400 and again.json()["error"]["code"] == "branch_unchanged"


def test_the_transfer_on_the_case_page_in_persian(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    ref = submit_tenant(db, a["citizen_isf"]).reference
    db.commit()
    login(client, a["admin"])
    page = client.get(f"/services/inbox/{ref}").text
    assert "انتقال به شعبهٔ دیگر" in page and 'value="sso-thr"' in page and 'value="sso-isf"' not in page
    r = post(client, f"/services/inbox/{ref}/transfer", {"branch": "sso-thr", "reason": ""},
             page_url=f"/services/inbox/{ref}")
    assert r.status_code == 422 and "دلیل انتقال را بنویسید." in r.text
    r = post(client, f"/services/inbox/{ref}/transfer", {"branch": "sso-thr", "reason": "نشانی تهران است"},
             page_url=f"/services/inbox/{ref}")
    assert r.status_code == 303
    page = client.get(f"/services/inbox/{ref}").text
    assert "پرونده به شعبهٔ دیگر منتقل شد" in page and "سازمان sso-isf ← سازمان sso-thr: نشانی تهران است" in page


# --------------------------------------------------------------------------- the fast path


def test_the_fast_path_routes_as_the_general_path(client, db, database) -> None:  # type: ignore[no-untyped-def]
    if not database.is_postgres:
        import pytest

        pytest.skip("intake is PostgreSQL's: on SQLite every submission is the general path's")
    from .test_services_intake import tenant_body, written

    a = arrange(db)
    db.commit()
    for name, branch in (("citizen_isf", "sso-isf"), ("citizen", "sso-thr")):
        headers = auth(api_token(client, a[name]))
        before = written(database)
        r = client.post(f"{API}/applications", headers=headers, json=tenant_body(client, headers, a[name]))
        assert r.status_code == 201, r.text
        assert written(database) == before + 1  # taken by intake, not the general path
        case = db.scalar(select(Application).where(Application.reference == r.json()["reference"]))
        assert case.branch_id == branch_of(db, branch)
