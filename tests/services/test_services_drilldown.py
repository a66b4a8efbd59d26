"""The cases behind a dashboard number (``services.cases_behind``): the inbox's rule, so an official of
one branch never drills into another branch's cases; each basis picks the cases its number counts."""

from __future__ import annotations

import datetime as dt

from smartgov import clock
from smartgov.identity import Principal, Role, organization_by_code
from smartgov.services import cases_behind, service
from tests.factories import create_account

from .helpers import arrange
from .test_services_branches import submit_tenant


def refs(session, principal: Principal, **filters) -> set[str]:  # type: ignore[no-untyped-def]
    today = clock.today()
    rows, total = cases_behind(session, principal, limit=50, **{"basis": "submitted", "start": today,
                                                                "end": today, **filters})
    assert total == len(rows)
    return {r.reference for r in rows}


def test_an_official_of_one_branch_cannot_drill_into_anothers_cases(session) -> None:  # type: ignore[no-untyped-def]
    a = arrange(session)
    thr, isf = submit_tenant(session, a["citizen"]), submit_tenant(session, a["citizen_isf"])
    isf_id = organization_by_code(session, "sso-isf").id
    official, admin = Principal(account=a["official"]), Principal(account=a["admin"])
    assert refs(session, official) == {thr.reference}
    # asking for the other branch by name shows nothing, rather than its cases
    assert refs(session, official, branch_id=isf_id) == set()
    assert refs(session, Principal(account=a["official_isf"]), branch_id=isf_id) == {isf.reference}
    assert refs(session, admin) == {thr.reference, isf.reference}  # a supervisor: the subtree
    assert refs(session, Principal(account=a["stranger"])) == set()  # another agency's official
    auditor = Principal(account=create_account(session, "auditor-d", Role.AUDITOR))
    assert refs(session, auditor, service_id="address-change") == {thr.reference, isf.reference}
    assert refs(session, admin, service_id="no-such-service") == set()


def test_each_basis_picks_the_cases_its_number_counts(session) -> None:  # type: ignore[no-untyped-def]
    a = arrange(session)
    admin = Principal(account=a["admin"])
    decided, withdrawn, waiting = (submit_tenant(session, a[k]) for k in ("citizen", "other", "citizen_isf"))
    service.take_action(session, admin, decided, "start_review")
    service.take_action(session, admin, decided, "approve", reason="checked")
    service.take_action(session, Principal(account=a["other"]), withdrawn, "withdraw")
    today = clock.today()
    assert decided.terminal and withdrawn.terminal and not waiting.terminal
    assert refs(session, admin, basis="decided") == {decided.reference}  # a withdrawal is no decision
    assert refs(session, admin, basis="open") == {waiting.reference}
    assert refs(session, admin, basis="submitted") == {decided.reference, withdrawn.reference, waiting.reference}
    yesterday = today - dt.timedelta(days=1)
    assert refs(session, admin, start=yesterday, end=yesterday) == set()
    # open at the end of yesterday: none had been submitted yet
    assert refs(session, admin, basis="open", start=yesterday, end=yesterday) == set()
