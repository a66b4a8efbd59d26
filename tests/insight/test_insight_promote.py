"""A theme promoted to a success factor or indicator of an assessment framework keeps the link both ways;
only someone with rights on both sides (coding the project, extending the agency's frameworks) may do it."""

from __future__ import annotations

import pytest

from smartgov import assessment, identity
from smartgov.errors import Conflict, DomainError, Forbidden, NotFound
from smartgov.identity import Role
from smartgov.insight import promote, service
from tests.factories import api_token, create_account, create_agency, csrf_of, page_login

from .factories import analyst, project


def _admin(db, username: str = "admin-a", agency: str = "agency-a") -> identity.Principal:  # type: ignore[no-untyped-def]
    try:
        identity.organization_by_code(db, agency)
    except NotFound:
        create_agency(db, agency)
    create_account(db, username, Role.AGENCY_ADMIN, organization=agency)
    view = identity.account_view_by_username(db, username)
    assert view is not None
    principal = identity.principal_of(db, view.id)
    assert principal is not None
    return principal


def test_a_theme_becomes_a_success_factor_and_both_sides_show_the_link(client, db) -> None:  # type: ignore[no-untyped-def]
    who = analyst(db)  # makes agency-a
    p = project(db, who)
    theme = service.create_theme(db, p, who, "اعتماد به داده‌های دولت", "basic")
    boss = _admin(db)
    db.commit()
    with pytest.raises(Forbidden):  # an analyst alone may not change the agency's frameworks
        promote.promote_theme(db, p, who, theme, "csf", "A1")
    page_login(client, boss.account, f"/insight/projects/{p.id}/themes/{theme.id}/promote")
    form = client.get(f"/insight/projects/{p.id}/themes/{theme.id}/promote")
    assert form.status_code == 200 and 'value="csf|A1"' in form.text and 'value="dg-sso|C01"' in form.text
    bad = client.post(f"/insight/projects/{p.id}/themes/{theme.id}/promote",
                      data={"csrf_token": csrf_of(form.text), "parent": "csf|Z9", "label": "x"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
    r = client.post(f"/insight/projects/{p.id}/themes/{theme.id}/promote",
                    data={"csrf_token": csrf_of(form.text), "parent": "csf|A1", "label": "اعتماد به داده"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/assessment/frameworks/csf#additions"
    fw_page = client.get("/assessment/frameworks/csf").text
    assert "اعتماد به داده" in fw_page and f"/insight/projects/{p.id}/themes/{theme.id}/promote" in fw_page
    assert "CSF interviews" in fw_page  # the origin's label names the analysis
    back = client.get(f"/insight/projects/{p.id}/themes/{theme.id}/promote").text
    assert "/assessment/frameworks/csf#additions" in back and "A1" in back
    assert "/assessment/frameworks/csf#additions" in client.get(f"/insight/projects/{p.id}").text
    again = client.post(f"/insight/projects/{p.id}/themes/{theme.id}/promote",
                        data={"csrf_token": csrf_of(form.text), "parent": "csf|A2", "label": "x"})
    assert again.status_code == 409
    client.get("/logout")
    client.cookies.clear()
    assert "اعتماد به داده" not in client.get("/assessment/frameworks/csf").text  # not shown to the public


def test_promotion_through_the_api_needs_both_rights(client, db) -> None:  # type: ignore[no-untyped-def]
    who = analyst(db)
    p = project(db, who)
    theme = service.create_theme(db, p, who, "پیگیری برخط", "basic")
    boss = _admin(db)
    other_boss = _admin(db, "admin-b", "agency-b")
    db.commit()
    url = f"/api/v1/insight/projects/{p.id}/themes/{theme.id}/promote"
    body = {"framework": "dg-sso", "parent_code": "C01"}
    as_analyst = client.post(url, json=body, headers={"Authorization": f"Bearer {api_token(client, who.account)}"})
    assert as_analyst.status_code == 403
    as_other = client.post(url, json=body, headers={"Authorization": f"Bearer {api_token(client, other_boss.account)}"})
    assert as_other.status_code == 404  # another agency's project does not exist for them
    h = {"Authorization": f"Bearer {api_token(client, boss.account)}"}
    r = client.post(url, json=body, headers=h)
    assert r.status_code == 201 and r.json()["kind"] == "indicator" and r.json()["label"] == "پیگیری برخط"
    themes = client.get(f"/api/v1/insight/projects/{p.id}/themes", headers=h).json()
    assert themes[0]["promotions"][0]["parent_code"] == "C01"
    org = identity.organization_by_code(db, "agency-a")
    found = assessment.framework_additions(db, "dg-sso", [org.id])
    assert [(a.label, a.origin) for a in found] == [("پیگیری برخط", f"insight.theme:{theme.guid}")]
    with pytest.raises(DomainError) as unknown:
        assessment.add_to_framework(db, org, "gartner", "S1", "x", origin="o", actor_id=None)
    assert unknown.value.code == "framework_not_extensible"
    with pytest.raises(Conflict):
        assessment.add_to_framework(db, org, "dg-sso", "C02", "y", origin=f"insight.theme:{theme.guid}",
                                    actor_id=None)
