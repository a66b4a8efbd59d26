"""People and roles: invitations (lifecycle, expiry), roles and branches, deactivation, the
two-person MFA reset, agencies, and scoping (an admin of one agency or branch reaches nothing of
another's). Pages in Persian; every change is an event."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pyotp
from sqlalchemy import func, select

from smartgov import clock, events
from smartgov.events import EventRecord
from smartgov.identity.models import Account, ApiToken, Invitation, LoginSession, Organization, Role
from tests.factories import (
    PASSWORD,
    api_token,
    auth,
    create_account,
    create_agency,
    csrf_of,
    national_code,
    page_login,
    sent_mail,
)


def about(**kw: str) -> dict[str, str]:
    """What an invitee types about themselves on the invitation's page (a fresh national code each time)."""
    return {"national_code": national_code(), "first_name_fa": "نرگس", "last_name_fa": "کریمی",
            "first_name_en": "Narges", "last_name_en": "Karimi", "birth_date": "۱۳۶۵/۰۲/۱۰", **kw}


def arrange(db: Any) -> dict[str, Any]:
    """Agency A with a branch A1, agency B; admins of A (two), of A1 and of B; an official in A1; a platform admin."""
    create_agency(db, "agency-a")
    create_agency(db, "agency-a1", parent="agency-a")
    create_agency(db, "agency-b")
    out = {
        "admin_a": create_account(db, "admin-a", Role.AGENCY_ADMIN, organization="agency-a"),
        "admin_a2": create_account(db, "admin-a2", Role.AGENCY_ADMIN, organization="agency-a"),
        "admin_a1": create_account(db, "admin-a1", Role.AGENCY_ADMIN, organization="agency-a1"),
        "admin_b": create_account(db, "admin-b", Role.AGENCY_ADMIN, organization="agency-b"),
        "official_a1": create_account(db, "official-a1", Role.OFFICIAL, organization="agency-a1"),
        "platform": create_account(db, "platform", Role.PLATFORM_ADMIN),
        "auditor": create_account(db, "auditor", Role.AUDITOR),
    }
    db.commit()
    return out


def org_id(db: Any, code: str) -> int:
    return int(db.scalar(select(Organization.id).where(Organization.code == code)))


def post(client: Any, url: str, data: dict[str, Any], page_url: str) -> Any:
    token = csrf_of(client.get(page_url).text)
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=False)


def signed_in_as(client: Any, account: Account) -> None:
    client.cookies.clear()
    page_login(client, account, "/staff")


def names(db: Any) -> list[str]:
    return list(db.scalars(select(EventRecord.name).order_by(EventRecord.id)))


def invite(client: Any, db: Any, email: str, org: str, role: str = "official") -> Any:
    return post(client, "/staff/invite", {"email": email, "role": role, "organization": str(org_id(db, org))},
                "/staff/invite")


def invitation_link(database: Any, settings: Any, to: str) -> str:
    events.drain_outbox(database)
    mails = [m for m in sent_mail(settings.data_dir) if m[0] == to]
    assert mails, f"no mail to {to}"
    return re.search(r"http://testserver(/invitation/\S+)", mails[-1][2]).group(1)  # type: ignore[union-attr]


# --------------------------------------------------------------------------- invitations


def test_an_invitation_is_mailed_accepted_once_and_the_official_enrols_totp(client, db, database, settings) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    signed_in_as(client, a["admin_a"])
    r = invite(client, db, "new.official@example.ir", "agency-a1")
    assert r.status_code == 303 and r.headers["location"] == "/staff?done=invited"
    listing = client.get(r.headers["location"]).text
    assert "new.official@example.ir" in listing and "دعوت در راه است" in listing
    link = invitation_link(database, settings, "new.official@example.ir")
    subject = sent_mail(settings.data_dir)[-1][1]
    assert subject == "دعوت به کار در دولت هوشمند"
    stored = db.scalar(select(Invitation))
    assert link.rsplit("/", 1)[1] not in (stored.token_hash,)  # only the hash is kept

    client.cookies.clear()
    page = client.get(link)
    assert page.status_code == 200 and "سازمان agency-a1" in page.text
    r = client.post(link, data={"csrf_token": csrf_of(page.text), "username": "new.official",
                                "password": PASSWORD, "password_again": PASSWORD, **about()}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/mfa/setup")
    # signed in with the password only: nothing until the second factor is enrolled
    assert client.get("/account", follow_redirects=False).status_code in (303, 401)
    setup = client.get(r.headers["location"]).text
    secret = re.search(r'class="secret">([A-Z2-7]+)<', setup).group(1)  # type: ignore[union-attr]
    r = client.post("/mfa/setup", data={"csrf_token": csrf_of(setup), "code": pyotp.TOTP(secret).at(clock.now()),
                                        "next": "/account"}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/account").status_code == 200
    account = db.scalar(select(Account).where(Account.username == "new.official"))
    assert account.mfa_enabled and account.proven_at is not None and account.proof_method == "admin"
    assert {(g.role, g.organization.code) for g in account.grants} == {(Role.OFFICIAL, "agency-a1")}
    # the link works once
    again = client.get(link)
    assert again.status_code == 410 and "نامعتبر" in again.text
    assert {"identity.invitation_sent", "identity.invitation_accepted", "identity.account_created",
            "identity.mfa_enabled"} <= set(names(db))


def test_an_invitation_expires_and_a_withdrawn_one_stops_working(client, db, database, settings) -> None:  # type: ignore[no-untyped-def]
    clock.freeze(dt.datetime(2026, 11, 22, 8, tzinfo=dt.UTC))
    a = arrange(db)
    signed_in_as(client, a["admin_a"])
    invite(client, db, "late@example.ir", "agency-a")
    invite(client, db, "withdrawn@example.ir", "agency-a")
    late = invitation_link(database, settings, "late@example.ir")
    withdrawn = invitation_link(database, settings, "withdrawn@example.ir")
    inv = db.scalar(select(Invitation).where(Invitation.email == "withdrawn@example.ir"))
    r = post(client, f"/staff/invitations/{inv.id}/revoke", {}, "/staff")
    assert r.status_code == 303
    client.cookies.clear()
    assert client.get(withdrawn).status_code == 410
    assert client.get(late).status_code == 200
    clock.advance(dt.timedelta(hours=settings.invitation_hours, seconds=1))
    page = client.get(late)
    assert page.status_code == 410
    r = client.post(late, data={"csrf_token": csrf_of(client.get("/login").text), "username": "late.one",
                                "password": PASSWORD, "password_again": PASSWORD})
    assert r.status_code == 410
    assert db.scalar(select(Account.id).where(Account.username == "late.one")) is None
    assert "identity.invitation_revoked" in names(db)


def test_invitation_forms_name_the_field_and_change_nothing(client, db, database, settings) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    signed_in_as(client, a["admin_a"])
    r = post(client, "/staff/invite", {"email": "not-an-address", "role": "platform_admin", "organization": "۹۹۹"},
             "/staff/invite")
    assert r.status_code == 422
    for f in ("email", "role", "organization"):
        assert f'href="#f-{f}"' in r.text, f
    assert 'aria-describedby="f-email-error"' in r.text
    assert db.scalar(select(func.count()).select_from(Invitation)) == 0
    invite(client, db, "x@example.ir", "agency-a")
    link = invitation_link(database, settings, "x@example.ir")
    client.cookies.clear()
    page = client.get(link).text
    r = client.post(link, data={"csrf_token": csrf_of(page), "username": "a b", "password": "short",
                                "password_again": "other", **about(national_code="۱۲۳۴۵۶۷۸۹۰", birth_date="",
                                                                   last_name_en="")})
    assert r.status_code == 422
    for f in ("username", "password", "password_again", "national_code", "birth_date", "last_name_en"):
        assert f'id="f-{f}-error"' in r.text, f
    assert "نرگس" in r.text and "short" not in r.text  # what was typed is kept, passwords are not
    r = client.post(link, data={"csrf_token": csrf_of(page), "username": "admin-a", "password": PASSWORD,
                                "password_again": PASSWORD, **about()})
    assert r.status_code == 409 and 'id="f-username-error"' in r.text  # taken
    assert client.get(link).status_code == 200  # still usable


# --------------------------------------------------------------------------- scoping


def test_an_admin_reaches_only_their_subtree(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    official = a["official_a1"]
    # admin of B: cannot invite into A, nor see or change A's people
    signed_in_as(client, a["admin_b"])
    assert "official-a1" not in client.get("/staff").text
    r = invite(client, db, "intruder@example.ir", "agency-a")
    assert r.status_code == 422 and 'href="#f-organization"' in r.text
    assert "agency-a" not in client.get("/staff/invite").text.replace("agency-b", "")
    assert client.get(f"/staff/{official.id}").status_code == 404
    for url, data in ((f"/staff/{official.id}/deactivate", {}),
                      (f"/staff/{official.id}/roles", {"role": "official", "organization": org_id(db, "agency-b")}),
                      (f"/staff/{official.id}/mfa-reset", {"reason": "lost phone"})):
        assert post(client, url, data, "/staff").status_code == 404, url
    # a branch admin does not reach the parent agency
    signed_in_as(client, a["admin_a1"])
    assert client.get(f"/staff/{a['admin_a'].id}").status_code == 404
    assert invite(client, db, "up@example.ir", "agency-a").status_code == 422
    assert "admin-a2" not in client.get("/staff").text and "official-a1" in client.get("/staff").text
    # the parent's admin reaches the branch
    signed_in_as(client, a["admin_a"])
    assert client.get(f"/staff/{official.id}").status_code == 200
    # an official, an auditor and a citizen have no people screen
    for who in ("official_a1", "auditor"):
        signed_in_as(client, a[who])
        assert client.get("/staff").status_code == 403
        assert client.get("/staff/invite").status_code == 403
        assert post(client, "/staff/invite", {"email": "z@example.ir", "role": "official",
                                              "organization": org_id(db, "agency-a1")}, "/account").status_code == 403
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Invitation)) == 0
    assert db.get(Account, official.id).is_active


# --------------------------------------------------------------------------- roles, deactivation


def test_roles_and_branches_are_given_and_taken(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    official = a["official_a1"]
    signed_in_as(client, a["admin_a"])
    page = f"/staff/{official.id}"
    r = post(client, f"{page}/roles", {"role": "agency_admin", "organization": org_id(db, "agency-a1")}, page)
    assert r.status_code == 303
    r = post(client, f"{page}/roles", {"role": "agency_admin", "organization": org_id(db, "agency-a1")}, page)
    assert r.status_code == 409 and "f-role" in r.text
    r = post(client, f"{page}/roles", {"role": "official", "organization": org_id(db, "agency-b")}, page)
    assert r.status_code == 422 and 'href="#f-organization"' in r.text
    db.expire_all()
    account = db.get(Account, official.id)
    assert {g.role for g in account.grants} == {Role.OFFICIAL, Role.AGENCY_ADMIN}
    grant = next(g for g in account.grants if g.role == Role.OFFICIAL)
    assert post(client, f"{page}/roles/{grant.id}/remove", {}, page).status_code == 303
    db.expire_all()
    last = db.get(Account, official.id).grants[0]
    r = post(client, f"{page}/roles/{last.id}/remove", {}, page)
    assert r.status_code == 409  # the last role stays: deactivate instead
    assert names(db).count("identity.role_granted") == 1 and "identity.role_revoked" in names(db)


def test_deactivation_ends_sessions_and_tokens(client, db, app) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    a = arrange(db)
    official = a["official_a1"]
    token = api_token(client, official)
    clock.advance(dt.timedelta(seconds=30))  # a TOTP code works once: the page sign-in uses the next one
    with TestClient(app, base_url="http://testserver") as other:
        page_login(other, official, "/account")
        assert other.get("/account").status_code == 200
        assert client.get("/api/v1/identity/me", headers=auth(token)).status_code == 200
        signed_in_as(client, a["admin_a"])
        r = post(client, f"/staff/{official.id}/deactivate", {}, f"/staff/{official.id}")
        assert r.status_code == 303
        assert other.get("/account", follow_redirects=False).status_code in (303, 401)
    client.cookies.clear()
    assert client.get("/api/v1/identity/me", headers=auth(token)).status_code == 401
    db.expire_all()
    assert not db.get(Account, official.id).is_active
    assert db.scalar(select(func.count()).select_from(LoginSession).where(
        LoginSession.account_id == official.id, LoginSession.revoked_at.is_(None))) == 0
    assert db.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.account_id == official.id, ApiToken.revoked_at.is_(None))) == 0
    r = client.post("/login", data={"username": official.username, "password": PASSWORD,
                                    "csrf_token": csrf_of(client.get("/login").text)})
    assert r.status_code == 400
    assert "identity.account_deactivated" in names(db)
    # nobody deactivates themselves
    clock.advance(dt.timedelta(seconds=30))
    signed_in_as(client, a["admin_a"])
    assert post(client, f"/staff/{a['admin_a'].id}/deactivate", {}, "/staff").status_code == 404


# --------------------------------------------------------------------------- two-person MFA reset


def test_an_mfa_reset_needs_a_second_admin(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    official = a["official_a1"]
    page = f"/staff/{official.id}"
    signed_in_as(client, a["admin_a"])
    r = post(client, f"{page}/mfa-reset", {"reason": ""}, page)
    assert r.status_code == 422 and 'href="#f-reason"' in r.text
    assert post(client, f"{page}/mfa-reset", {"reason": "گوشی گم شد"}, page).status_code == 303
    from smartgov.identity.models import MfaReset

    reset = db.scalar(select(MfaReset))
    # the admin who asked cannot approve
    r = post(client, f"/staff/mfa-resets/{reset.id}/approve", {"account": official.id}, page)
    assert r.status_code == 403
    db.expire_all()
    assert db.get(Account, official.id).mfa_enabled
    # an admin of another agency cannot either
    signed_in_as(client, a["admin_b"])
    assert post(client, f"/staff/mfa-resets/{reset.id}/approve", {"account": official.id}, "/staff").status_code == 404
    # a second admin of the subtree approves: TOTP cleared, sessions ended, enrolled anew at the next sign-in
    signed_in_as(client, a["admin_a2"])
    assert "گوشی گم شد" in client.get("/staff").text
    assert post(client, f"/staff/mfa-resets/{reset.id}/approve", {"account": official.id}, "/staff").status_code == 303
    db.expire_all()
    account = db.get(Account, official.id)
    assert not account.mfa_enabled and account.mfa_secret is None
    assert post(client, f"/staff/mfa-resets/{reset.id}/approve", {"account": official.id}, "/staff").status_code == 409
    client.cookies.clear()
    r = client.post("/login", data={"username": official.username, "password": PASSWORD, "next": "/account",
                                    "csrf_token": csrf_of(client.get("/login").text)}, follow_redirects=False)
    assert r.headers["location"].startswith("/mfa/setup")
    evts = db.scalars(select(EventRecord).where(EventRecord.name.like("identity.mfa_reset_%"))
                      .order_by(EventRecord.id)).all()
    assert [(e.name, e.actor_id) for e in evts] == [("identity.mfa_reset_requested", a["admin_a"].id),
                                                    ("identity.mfa_reset_approved", a["admin_a2"].id)]


# --------------------------------------------------------------------------- agencies


def test_platform_admins_manage_the_agency_tree(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    signed_in_as(client, a["admin_a"])
    assert client.get("/agencies").status_code == 403
    assert post(client, "/agencies", {"code": "x", "name_fa": "x", "name_en": "x"}, "/staff").status_code == 403
    signed_in_as(client, a["platform"])
    r = post(client, "/agencies", {"code": "Bad Code", "name_fa": "", "name_en": "Tax"}, "/agencies")
    assert r.status_code == 422 and 'href="#f-code"' in r.text and 'href="#f-name_fa"' in r.text
    r = post(client, "/agencies", {"code": "tax", "name_fa": "سازمان مالیات", "name_en": "Tax",
                                   "parent": org_id(db, "agency-b")}, "/agencies")
    assert r.status_code == 303
    tax = org_id(db, "tax")
    assert post(client, f"/agencies/{tax}/rename", {"name_fa": "سازمان امور مالیاتی", "name_en": "Tax Affairs"},
                f"/agencies/{tax}").status_code == 303
    # no loops: A cannot move under its own branch
    a_id = org_id(db, "agency-a")
    r = post(client, f"/agencies/{a_id}/move", {"parent": org_id(db, "agency-a1")}, f"/agencies/{a_id}")
    assert r.status_code == 422 and 'href="#f-parent"' in r.text
    assert post(client, f"/agencies/{tax}/move", {"parent": ""}, f"/agencies/{tax}").status_code == 303
    # A has staff and a branch: it stays open
    r = post(client, f"/agencies/{a_id}/deactivate", {}, f"/agencies/{a_id}")
    assert r.status_code == 409
    assert post(client, f"/agencies/{tax}/deactivate", {}, f"/agencies/{tax}").status_code == 303
    db.expire_all()
    row = db.get(Organization, tax)
    assert (row.name_en, row.parent_id, row.active) == ("Tax Affairs", None, False)
    assert "سازمان امور مالیاتی" in client.get("/agencies").text
    assert [n for n in names(db) if n.startswith("identity.organization_")] == [
        "identity.organization_created", "identity.organization_renamed", "identity.organization_moved",
        "identity.organization_deactivated"]
    # nobody is invited into a deactivated agency
    assert invite(client, db, "y@example.ir", "tax").status_code == 422


# --------------------------------------------------------------------------- the invitee's person


def test_an_invited_official_has_a_person_record_and_resets_a_forgotten_password(client, db, database,  # type: ignore[no-untyped-def]
                                                                                  settings) -> None:
    """The invitee says who they are; the national code is read in any accepted digit script (and its
    check digit checked); the account has its person, so the normal reset flow reaches them."""
    from smartgov.identity.models import Person
    from tests.factories import national_code as fresh_code

    a = arrange(db)
    signed_in_as(client, a["admin_a"])
    invite(client, db, "narges@example.ir", "agency-a1")
    link = invitation_link(database, settings, "narges@example.ir")
    client.cookies.clear()
    page = client.get(link).text
    assert '<label for="f-national_code">' in page and '<label for="f-birth_date">' in page
    code = fresh_code()
    wrong = code[:9] + str((int(code[9]) + 1) % 10)
    persian, arabic = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"), str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    for typed in (wrong.translate(persian), wrong.translate(arabic), "12345"):
        r = client.post(link, data={"csrf_token": csrf_of(page), "username": "narges", "password": PASSWORD,
                                    "password_again": PASSWORD, **about(national_code=typed)})
        assert r.status_code == 422 and 'href="#f-national_code"' in r.text, typed
    assert db.scalar(select(func.count()).select_from(Person).where(Person.national_code == code)) == 0
    r = client.post(link, data={"csrf_token": csrf_of(page), "username": "narges", "password": PASSWORD,
                                "password_again": PASSWORD, **about(national_code=code.translate(arabic))},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    account = db.scalar(select(Account).where(Account.username == "narges"))
    assert account.person.national_code == code and account.person.email == "narges@example.ir"
    assert account.person.full_name("fa") == "نرگس کریمی" and account.person.birth_date == dt.date(1986, 4, 30)
    # the normal flow: she forgot her password; the link goes to the invitation's address and works
    client.cookies.clear()
    forgot = client.get("/password/forgot").text
    client.post("/password/forgot", data={"csrf_token": csrf_of(forgot), "username_or_email": "narges"})
    events.drain_outbox(database)
    mail = [m for m in sent_mail(settings.data_dir) if m[0] == "narges@example.ir"][-1]
    reset = re.search(r"http://testserver(/password/reset/\S+)", mail[2]).group(1)  # type: ignore[union-attr]
    form = client.get(reset).text
    r = client.post(reset, data={"csrf_token": csrf_of(form), "password": "New-password-2026",
                                 "password_again": "New-password-2026"}, follow_redirects=False)
    assert r.status_code in (200, 303) and "identity.password_reset" in " ".join(names(db))
    r = client.post("/login", data={"csrf_token": csrf_of(client.get("/login").text), "username": "narges",
                                    "password": "New-password-2026", "next": "/"}, follow_redirects=False)
    assert r.status_code == 303 and "/mfa/" in r.headers["location"]  # the password worked; TOTP comes next


def test_an_invitee_claiming_a_known_person_must_match_the_birth_date_and_is_not_proven_by_it(  # type: ignore[no-untyped-def]
        client, db, database, settings) -> None:
    a = arrange(db)
    known = create_account(db, username="insured", email="insured@example.ir")
    db.commit()
    signed_in_as(client, a["admin_a"])
    invite(client, db, "claimer@example.ir", "agency-a1")
    link = invitation_link(database, settings, "claimer@example.ir")
    client.cookies.clear()
    page = client.get(link).text
    data = {"csrf_token": csrf_of(page), "username": "claimer", "password": PASSWORD, "password_again": PASSWORD,
            **about(national_code=known.person.national_code)}
    r = client.post(link, data={**data, "birth_date": "1990-01-01"})
    assert r.status_code == 422 and 'id="f-birth_date-error"' in r.text
    r = client.post(link, data={**data, "birth_date": known.person.birth_date.isoformat()}, follow_redirects=False)
    assert r.status_code == 303
    claimer = db.scalar(select(Account).where(Account.username == "claimer"))
    assert claimer.person_id == known.person_id and claimer.proven_at is None
    assert claimer.person.email == "insured@example.ir"  # the person's own address stays
