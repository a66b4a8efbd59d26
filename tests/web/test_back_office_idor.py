"""One IDOR test for the whole back office: every admin route of the app, found by walking
``app.routes`` (so a route added later is covered without anyone remembering to add it), opened and
posted by people who must not reach the records of another agency's branch:

* an official of another agency, an official of a sibling branch, an agency admin of another agency
  and a citizen get 403 or 404 on every route that names one of the branch's records, for every
  method the route takes, and nothing is recorded;
* on the routes that name no record (lists, "new" forms) staff of other agencies may see their own
  screens but never the branch's records, and a citizen gets 403/404 on every one of them.

A back-office route this test cannot exercise is listed in ``NOT_COVERED`` with the reason; an
unknown path parameter fails the test, so a new kind of record is added here rather than skipped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute
from sqlalchemy import func, select

from smartgov import clock
from smartgov.events import EventRecord
from smartgov.exchange import service as exchange
from smartgov.exchange.purposes import ensure_purpose
from smartgov.identity import Role, organization_by_code
from smartgov.identity.models import Account, Invitation, MfaReset
from smartgov.participation import service as participation
from tests.factories import create_account, csrf_of, page_login
from tests.participation.helpers import consultation
from tests.services.helpers import arrange
from tests.services.test_services_designer import new_service

#: Where the back office lives; any other path with "admin" in it is selected too.
ADMIN_PREFIXES = ("/services/admin", "/participation/admin", "/participation/moderation", "/participation/answers",
                  "/staff", "/agencies", "/audit")
#: Staff routes outside those prefixes that act on an agency's records.
ALSO = {"/participation/consultations/{slug}/respond"}
#: Back-office routes deliberately left out, each with its reason.
NOT_COVERED: dict[str, str] = {}
#: Markers of the branch's records: none may appear on another agency's screens.
SECRETS = ("idor-consultation", "idor-poll", "idor-budget", "IDOR accountability", "IDOR petition title",
           "idor-permit", "victim.official")


def _walk(items: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    for r in items:
        if isinstance(r, APIRoute):
            yield prefix + r.path, r
        inner = getattr(r, "original_router", None)
        if inner is not None:
            context = getattr(r, "include_context", None)
            yield from _walk(inner.routes, prefix + (getattr(context, "prefix", "") or ""))


def back_office_routes(app: Any) -> list[tuple[str, str]]:
    """``(method, path)`` of every back-office route, by the rule above."""
    found = set()
    for path, route in _walk(app.routes):
        if path.startswith("/api/") or path in NOT_COVERED:
            continue
        if path.startswith(ADMIN_PREFIXES) or "admin" in path or path in ALSO:
            found |= {(m, path) for m in route.methods if m in ("GET", "POST")}
    return sorted(found)


def _arrange(client: Any, db: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The Tehran branch of SSO with one record of every kind; the people who must not reach them."""
    people = arrange(db)
    people["other_admin"] = create_account(db, "nocradmin", Role.AGENCY_ADMIN, organization="nocr")
    people["second_admin"] = create_account(db, "ssoadmin2", Role.AGENCY_ADMIN, organization="sso")
    victim = create_account(db, "victim.official", Role.OFFICIAL, organization="sso-thr")
    thr = organization_by_code(db, "sso-thr")
    now = clock.now()
    c = consultation(db, thr, slug="idor-consultation", phase="decision")
    poll = participation.create_poll(db, organization=thr, slug="idor-poll", question_fa="س", question_en="Q",
                                     options=[("الف", "A"), ("ب", "B")], opens_at=now - dt.timedelta(hours=1),
                                     closes_at=now + dt.timedelta(days=1))
    budget = participation.create_budget(db, organization=thr, slug="idor-budget", title_fa="ب", title_en="B",
                                         total=10, style="knapsack", projects=[("الف", "A", 5)],
                                         opens_at=now - dt.timedelta(hours=1), closes_at=now + dt.timedelta(days=1))
    item = participation.create_item(db, organization=thr, kind="decision", title_fa="ت",
                                     title_en="IDOR accountability", deadline=dt.date(2031, 1, 1))
    petition = participation.create_petition(db, account=people["citizen"], organization=thr,
                                             title="IDOR petition title",
                                             body="A petition addressed to the Tehran branch, for this test.",
                                             threshold=10)
    member = exchange.create_member(db, instance="IR", member_class="GOV", member_code="idormember",
                                    name_fa="عضو", name_en="IDOR member", organization_code="sso")
    subsystem = exchange.create_subsystem(db, member, "idorsub")
    offered = exchange.create_service(db, subsystem, code="idorservice", name_fa="خدمت", name_en="IDOR service",
                                      response_schema={"type": "object"})
    ensure_purpose(db, "idorpurpose", "هدف", "IDOR purpose")
    right = exchange.grant_access(db, subsystem, offered, legal_basis_fa="قانون", legal_basis_en="Law",
                                  purposes=["idorpurpose"])
    db.commit()
    page_login(client, people["admin"])
    definition = new_service(client, "idor-permit")
    r = client.post("/staff/invite", data={"csrf_token": csrf_of(client.get("/staff/invite").text),
                                           "email": "idor@example.ir", "role": "official",
                                           "organization": str(thr.id)}, follow_redirects=False)
    assert r.status_code == 303
    r = client.post(f"/staff/{victim.id}/mfa-reset", data={"csrf_token": csrf_of(client.get(f"/staff/{victim.id}").text),
                                                            "reason": "lost phone"}, follow_redirects=False)
    assert r.status_code == 303
    client.cookies.clear()
    invitation = db.scalar(select(Invitation.id).where(Invitation.email == "idor@example.ir"))
    reset = db.scalar(select(MfaReset.id).where(MfaReset.account_id == victim.id))
    grant = db.get(Account, victim.id).grants[0].id
    params = {"consultation_id": str(c.id), "poll_id": str(poll.id), "budget_id": str(budget.id),
              "item_id": str(item.id), "petition_id": str(petition.id), "definition_id": str(definition),
              "account_id": str(victim.id), "grant_id": str(grant), "invitation_id": str(invitation),
              "reset_id": str(reset), "org_id": str(thr.id), "slug": c.slug, "key": "services.submitted",
              "member_id": str(member.id), "subsystem_id": str(subsystem.id), "service_id": str(offered.id),
              "right_id": str(right.id)}
    return people, params


#: A value for the path parameters that are verbs rather than records.
VERBS = {"change": ("publish", "retire", "deactivate", "reactivate", "schedule", "new-version", "withdraw", "reoffer"),
         "decision": ("approve", "cancel")}
#: What a hostile form carries: every field pointing at the branch.
HOSTILE = {"organization": "sso-thr", "agency": "sso", "status": "completed", "progress": "100", "title_fa": "x",
           "title_en": "x", "threshold": "1", "response_days": "1", "role": "agency_admin", "reason": "x",
           "email": "x@example.ir", "action": "hide", "s1_body_fa": "x", "s1_body_en": "x", "response_fa": "x",
           "response_en": "x", "yaml": "id: x", "at": "fee", "to": "down"}


def _urls(path: str, params: dict[str, str]) -> list[str]:
    names = re.findall(r"{(\w+)}", path)
    unknown = [n for n in names if n not in params and n not in VERBS]
    assert not unknown, f"{path}: add a record for {unknown} to this test (or list the route in NOT_COVERED)"
    urls = [path]
    for name in names:
        values = VERBS.get(name) or (params[name],)
        urls = [u.replace("{" + name + "}", v) for u in urls for v in values]
    return urls


def test_no_one_outside_a_branch_reaches_any_back_office_route_of_it(app, client, db) -> None:  # type: ignore[no-untyped-def]
    people, params = _arrange(client, db)
    routes = back_office_routes(app)
    assert len(routes) > 55 and ("POST", "/participation/admin/polls/{poll_id}") in routes
    recorded = select(func.count()).select_from(EventRecord).where(~EventRecord.name.in_(
        ["identity.signed_in", "identity.session_started", "identity.login_succeeded", "identity.mfa_verified"]))
    for who in ("stranger", "official_isf", "other_admin", "citizen"):
        client.cookies.clear()
        page_login(client, people[who])
        token = csrf_of(client.get("/account").text)
        before = db.scalar(recorded)
        for method, path in routes:
            for url in _urls(path, params):
                r = (client.get(url, follow_redirects=False) if method == "GET"
                     else client.post(url, data={"csrf_token": token, **HOSTILE}, follow_redirects=False))
                if "{" in path or who == "citizen":
                    assert r.status_code in (403, 404), (who, method, url, r.status_code)
                else:  # their own list or an empty form: never the branch's records, never a change to them
                    assert r.status_code in (200, 303, 403, 404, 409, 422), (who, method, url, r.status_code)
                    assert not any(s in r.text for s in SECRETS), (who, method, url)
        db.expire_all()
        assert db.scalar(recorded) == before, who
    db.expire_all()
    assert participation.poll_by_ref(db, params["poll_id"]).closes_at > clock.now()
    assert participation.item_by_id(db, int(params["item_id"])).status.value == "planned"
