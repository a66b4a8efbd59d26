"""Identity through the API: bad input, throttling, tokens, scopes and agency boundaries."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from smartgov import clock
from smartgov.events import EventRecord
from smartgov.identity.models import Account, ApiToken, LoginAttempt, Person, Role
from tests.factories import PASSWORD, api_token, auth, create_account, create_agency, national_code, totp


def registration(**kw: object) -> dict[str, object]:
    body: dict[str, object] = {
        "national_code": national_code(), "first_name_fa": "علی", "last_name_fa": "رضایی", "first_name_en": "Ali",
        "last_name_en": "Rezaei", "birth_date": "1990-01-02", "username": "ali.rezaei",
        "password": "Good-password-77", "email": "ali@example.ir",
    }
    body.update(kw)
    return body


def counts(db) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    db.expire_all()
    return (db.scalar(select(func.count()).select_from(Person)), db.scalar(select(func.count()).select_from(Account)))


def test_register_then_me(client, db) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/identity/register", json=registration())
    assert r.status_code == 201, r.text
    assert r.json()["roles"] == [{"role": "citizen", "organization": None}]
    token = api_token(client, db.scalar(select(Account).where(Account.username == "ali.rezaei")), password="Good-password-77")
    me = client.get("/api/v1/identity/me", headers=auth(token)).json()
    # linked to its person, who stays closed to it until it proves it is theirs (tests/identity/test_proof.py)
    assert (me["proven"], me["person"]) == (False, None)
    person = db.get(Account, me["id"]).person
    assert person.first_name_fa == "علی" and person.registry_mobile is None  # typed in: not the registry's


def test_wrong_national_code_is_refused_in_persian_and_english(client, db) -> None:  # type: ignore[no-untyped-def]
    before = counts(db)
    r = client.post("/api/v1/identity/register", json=registration(national_code="0012345678"))
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["field"] == "national_code"
    assert "کد ملی" in err["message"]  # Persian is the default language
    r = client.post("/api/v1/identity/register", json=registration(national_code="0012345678"),
                    headers={"Accept-Language": "en"})
    assert "national code is not valid" in r.json()["error"]["message"]
    assert counts(db) == before


def test_duplicate_username_and_weak_password_change_nothing(client, db) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/api/v1/identity/register", json=registration()).status_code == 201
    before = counts(db)
    r = client.post("/api/v1/identity/register", json=registration(), headers={"Accept-Language": "en"})
    assert r.status_code == 409
    assert r.json()["error"] == {"code": "duplicate_username", "message": "This username is taken.", "field": "username"}
    r = client.post("/api/v1/identity/register", json=registration(username="other", password="short1"),
                    headers={"Accept-Language": "en"})
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "password"
    assert "at least 10" in r.json()["error"]["message"]
    r = client.post("/api/v1/identity/register", json=registration(username="other2", password="onlyletters-here"))
    assert r.json()["error"]["field"] == "password"
    assert counts(db) == before


def test_schema_errors_use_the_envelope(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/identity/register", json={"username": "x"}, headers={"Accept-Language": "en"})
    assert r.status_code == 422
    body = r.json()["error"]
    assert body["code"] == "invalid_input" and body["field"] and body["message"] == "This field is required."
    assert len(body["details"]) >= 5


def test_known_person_is_linked_only_with_matching_birth_date(client, db) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import create_person

    person = create_person(db, birth_date=dt.date(1980, 5, 5))
    db.commit()
    r = client.post("/api/v1/identity/register", json=registration(national_code=person.national_code,
                                                                    birth_date="1981-05-05"))
    assert r.status_code == 400 and r.json()["error"]["field"] == "birth_date"
    r = client.post("/api/v1/identity/register", json=registration(national_code=person.national_code,
                                                                    birth_date="1980-05-05"))
    assert r.status_code == 201
    assert (r.json()["proven"], r.json()["person"]) == (False, None)  # linked, and closed until proven
    assert db.get(Account, r.json()["id"]).person_id == person.id


def test_failed_logins_throttle_account_and_ip(client, db, settings) -> None:  # type: ignore[no-untyped-def]
    create_account(db, username="victim")
    db.commit()
    bad = {"username": "victim", "password": "Wrong-password-1"}
    for _ in range(settings.login_max_failures):
        assert client.post("/api/v1/identity/tokens", json=bad).status_code == 401
    r = client.post("/api/v1/identity/tokens", json={"username": "victim", "password": PASSWORD},
                    headers={"Accept-Language": "en"})
    assert r.status_code == 429  # even the right password waits
    assert "Wait 15 minutes" in r.json()["error"]["message"]
    # the same IP is throttled for other accounts too
    create_account(db, username="other")
    db.commit()
    assert client.post("/api/v1/identity/tokens", json={"username": "other", "password": PASSWORD}).status_code == 429
    clock.advance(dt.timedelta(minutes=settings.login_window_minutes + 1))
    assert client.post("/api/v1/identity/tokens", json={"username": "victim", "password": PASSWORD}).status_code == 201


def test_login_successes_and_failures_are_events(client, db) -> None:  # type: ignore[no-untyped-def]
    account = create_account(db, username="eve")
    db.commit()
    client.post("/api/v1/identity/tokens", json={"username": "eve", "password": "nope-nope-1"})
    api_token(client, account)
    names = list(db.scalars(select(EventRecord.name).order_by(EventRecord.id)))
    assert "identity.login_failed" in names and "identity.login_succeeded" in names
    failed = db.scalar(select(EventRecord).where(EventRecord.name == "identity.login_failed"))
    assert failed.payload["username"] == "eve" and "password" not in failed.payload
    assert db.scalar(select(func.count()).select_from(LoginAttempt)) == 2


def test_tokens_are_stored_hashed_scoped_and_revocable(client, db) -> None:  # type: ignore[no-untyped-def]
    account = create_account(db, username="tok")
    db.commit()
    raw = api_token(client, account, scopes=["read"])
    stored = db.scalars(select(ApiToken)).all()
    assert len(stored) == 1
    assert raw not in {stored[0].token_hash, stored[0].prefix} and len(stored[0].token_hash) == 64
    assert client.get("/api/v1/identity/me", headers=auth(raw)).status_code == 200
    # read scope cannot change anything
    assert client.patch("/api/v1/identity/me", json={"language": "en"}, headers=auth(raw)).status_code == 403
    writer = api_token(client, account, scopes=["read", "write"])
    assert client.patch("/api/v1/identity/me", json={"language": "en"}, headers=auth(writer)).json()["language"] == "en"
    listed = client.get("/api/v1/identity/tokens", headers=auth(writer)).json()
    assert all("token" not in t for t in listed) and len(listed) == 2
    token_id = next(t["id"] for t in listed if t["scopes"] == ["read"])
    assert client.delete(f"/api/v1/identity/tokens/{token_id}", headers=auth(writer)).status_code == 200
    assert client.get("/api/v1/identity/me", headers=auth(raw)).status_code == 401
    assert client.get("/api/v1/identity/me", headers=auth("sgp_not-a-token")).status_code == 401


def test_one_user_cannot_revoke_anothers_token(client, db) -> None:  # type: ignore[no-untyped-def]
    a = create_account(db, username="alice")
    b = create_account(db, username="bob")
    db.commit()
    ta, tb = api_token(client, a), api_token(client, b)
    b_token_id = client.get("/api/v1/identity/tokens", headers=auth(tb)).json()[0]["id"]
    assert client.delete(f"/api/v1/identity/tokens/{b_token_id}", headers=auth(ta)).status_code == 404
    assert client.get("/api/v1/identity/me", headers=auth(tb)).status_code == 200


def test_staff_routes_respect_roles_and_agencies(client, db) -> None:  # type: ignore[no-untyped-def]
    create_agency(db, "agency-a")
    create_agency(db, "agency-b")
    create_agency(db, "agency-a1", parent="agency-a")
    citizen = create_account(db, username="cit")
    official_a = create_account(db, username="offa", role=Role.OFFICIAL, organization="agency-a")
    admin_a = create_account(db, username="adma", role=Role.AGENCY_ADMIN, organization="agency-a")
    db.commit()
    t_cit, t_off = api_token(client, citizen), api_token(client, official_a)
    t_adm = api_token(client, admin_a)
    assert client.get("/api/v1/identity/organizations/agency-a/staff", headers=auth(t_cit)).status_code == 403
    assert client.get("/api/v1/identity/organizations/agency-a/staff", headers=auth(t_off)).status_code == 200
    assert client.get("/api/v1/identity/organizations/agency-a1/staff", headers=auth(t_off)).status_code == 200
    r = client.get("/api/v1/identity/organizations/agency-b/staff", headers=auth(t_off))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    new = {"username": "newoff", "password": "Good-password-88", "role": "official"}
    assert client.post("/api/v1/identity/accounts", json={**new, "organization": "agency-b"},
                       headers=auth(t_adm)).status_code == 403
    assert client.post("/api/v1/identity/accounts", json={**new, "organization": "agency-a"},
                       headers=auth(t_off)).status_code == 403
    r = client.post("/api/v1/identity/accounts", json={**new, "organization": "agency-a1"}, headers=auth(t_adm))
    assert r.status_code == 201 and r.json()["roles"][0]["organization"] == "agency-a1"
    assert client.post("/api/v1/identity/accounts", json={**new, "username": "xx2", "role": "platform_admin"},
                       headers=auth(t_adm)).status_code == 403


def test_officials_need_totp_and_a_code_works_once(client, db) -> None:  # type: ignore[no-untyped-def]
    create_agency(db)
    official = create_account(db, username="mfa.off", role=Role.OFFICIAL, organization="agency-a")
    unenrolled = create_account(db, username="mfa.new", role=Role.OFFICIAL, organization="agency-a", mfa=False)
    db.commit()
    body = {"username": "mfa.off", "password": PASSWORD}
    assert client.post("/api/v1/identity/tokens", json=body).status_code == 401
    code = totp(official)
    assert client.post("/api/v1/identity/tokens", json={**body, "otp": code}).status_code == 201
    assert client.post("/api/v1/identity/tokens", json={**body, "otp": code}).status_code == 401  # replay
    r = client.post("/api/v1/identity/tokens", json={"username": unenrolled.username, "password": PASSWORD})
    assert r.status_code == 403 and r.json()["error"]["code"] == "mfa_setup_required"


def test_cookie_sessions_cannot_change_things_through_the_api(client, db) -> None:  # type: ignore[no-untyped-def]
    create_account(db, username="cookie")
    db.commit()
    page = client.get("/login")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/login", data={"username": "cookie", "password": PASSWORD, "csrf_token": csrf, "next": "/account"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/api/v1/identity/me").status_code == 200
    assert client.patch("/api/v1/identity/me", json={"language": "en"}).status_code == 403


def test_pagination_convention(client, db) -> None:  # type: ignore[no-untyped-def]
    for i in range(5):
        create_agency(db, f"ag-{i}")
    db.commit()
    r = client.get("/api/v1/identity/organizations", params={"per_page": 2, "page": 3}).json()
    assert (r["page"], r["per_page"], r["total"], r["pages"], len(r["items"])) == (3, 2, 5, 3, 1)
    assert client.get("/api/v1/identity/organizations", params={"per_page": 1000}).status_code == 422


def test_openapi_documents_the_api(client) -> None:  # type: ignore[no-untyped-def]
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/identity/tokens" in spec["paths"]
    assert "error" in spec["info"]["description"] and "per_page" in spec["info"]["description"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and "/api/v1/identity/register" in docs.text
