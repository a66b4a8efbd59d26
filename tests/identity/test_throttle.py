"""One throttle for every secret (``identity.throttle``): each entry point, API and pages, counts a
wrong secret per account and per IP, answers 429 with ``Retry-After`` past the limit, and a success
resets nothing but its own account's count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from smartgov import clock
from smartgov.identity.models import LoginAttempt, Role
from tests.factories import PASSWORD, auth, create_account, create_agency, csrf_of, totp

TOKENS = "/api/v1/identity/tokens"
LIMIT = 5  # settings.login_max_failures in the tests


@contextmanager
def from_ip(app: Any, ip: str) -> Iterator[TestClient]:
    """A client whose requests come from ``ip``."""
    with TestClient(app, base_url="http://testserver", client=(ip, 50000)) as c:
        yield c


def login_api(c: TestClient, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return c.post(TOKENS, json={"username": username, "password": password, **extra})


def attempts(db: Any, **where: Any) -> list[tuple[str | None, str, str, bool]]:
    db.expire_all()
    stmt = select(LoginAttempt.username, LoginAttempt.ip, LoginAttempt.kind, LoginAttempt.success)
    for name, value in where.items():
        stmt = stmt.where(getattr(LoginAttempt, name) == value)
    return [tuple(r) for r in db.execute(stmt.order_by(LoginAttempt.id))]  # type: ignore[misc]


def assert_throttled(r: Any, lang: str = "fa") -> None:
    """429, a wait in seconds, and the message in the caller's language."""
    assert r.status_code == 429, r.text
    assert 0 < int(r.headers["retry-after"]) <= 15 * 60
    if r.headers["content-type"].startswith("application/json"):
        assert r.json()["error"]["code"] == "throttled"
        text = r.json()["error"]["message"]
    else:
        text = r.text
    assert ("دقیقه صبر کنید" in text) if lang == "fa" else ("Too many failed attempts" in text)


def staff(db: Any, username: str = "officer") -> Any:
    create_agency(db, "sso")
    return create_account(db, username=username, role=Role.OFFICIAL, organization="sso")


# --------------------------------------------------------------------------- the API


def test_wrong_passwords_through_the_api_are_throttled_with_retry_after(app, db) -> None:  # type: ignore[no-untyped-def]
    create_account(db, username="victim")
    db.commit()
    with from_ip(app, "10.0.0.1") as c:
        for _ in range(LIMIT):
            assert login_api(c, "victim", "Wrong-pass-123").status_code == 401
        r = login_api(c, "victim")  # even the right password waits
        assert_throttled(r)
        assert_throttled(c.post(TOKENS, json={"username": "victim", "password": PASSWORD},
                                headers={"Accept-Language": "en"}), "en")
    assert attempts(db, success=False) == [("victim", "10.0.0.1", "password", False)] * LIMIT
    clock.advance(dt.timedelta(minutes=16))
    with from_ip(app, "10.0.0.1") as c:
        assert login_api(c, "victim").status_code == 201  # the window has passed


def test_a_right_password_with_a_wrong_totp_is_a_failure_and_never_a_success(app, db) -> None:  # type: ignore[no-untyped-def]
    officer = staff(db)
    db.commit()
    with from_ip(app, "10.0.0.2") as c:
        for _ in range(LIMIT):
            r = login_api(c, "officer", otp="000000")
            assert r.status_code == 401 and r.json()["error"]["code"] == "bad_otp"
        # nothing reset the count: the right password counted as no success at all
        assert attempts(db, username="officer") == [("officer", "10.0.0.2", "totp", False)] * LIMIT
        assert_throttled(login_api(c, "officer", otp=totp(officer)))  # the right code waits too
    with from_ip(app, "10.0.0.3") as c:  # another IP: the account itself is throttled
        assert_throttled(login_api(c, "officer", otp=totp(officer)))
    clock.advance(dt.timedelta(minutes=16))
    with from_ip(app, "10.0.0.3") as c:
        assert login_api(c, "officer", otp=pyotp.TOTP(officer.mfa_secret).at(clock.now())).status_code == 201
    assert attempts(db, success=True) == [("officer", "10.0.0.3", "totp", True)]  # one success, after the code


def test_bad_api_tokens_are_throttled_per_ip_and_count_for_every_entry_point(app, db) -> None:  # type: ignore[no-untyped-def]
    create_account(db, username="owner")
    db.commit()
    with from_ip(app, "10.0.0.4") as c:
        good = c.post(TOKENS, json={"username": "owner", "password": PASSWORD, "scopes": ["read"]}).json()["token"]
        for i in range(LIMIT):
            r = c.get("/api/v1/identity/me", headers=auth(f"sgp_guess{i}"))
            assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
        assert_throttled(c.get("/api/v1/identity/me", headers=auth("sgp_guess-more")))
        assert_throttled(login_api(c, "owner"))  # one mechanism: the IP's count holds for passwords too
        # a token is 256 random bits: a valid one is looked up first and still works (see identity.throttle)
        assert c.get("/api/v1/identity/me", headers=auth(good)).status_code == 200
    assert attempts(db, kind="token") == [(None, "10.0.0.4", "token", False)] * LIMIT
    with from_ip(app, "10.0.0.5") as c:
        assert c.get("/api/v1/identity/me", headers=auth("sgp_other")).status_code == 401  # per IP


def test_bad_reset_links_through_the_api_are_throttled_per_ip(app, db) -> None:  # type: ignore[no-untyped-def]
    with from_ip(app, "10.0.0.6") as c:
        for i in range(LIMIT):
            r = c.post("/api/v1/identity/password-reset/confirm",
                       json={"token": f"not-a-real-token-{i}", "password": "New-password-2024"})
            assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_reset_token"
        assert_throttled(c.post("/api/v1/identity/password-reset/confirm",
                                json={"token": "not-a-real-token-x", "password": "New-password-2024"}))
    assert attempts(db) == [(None, "10.0.0.6", "reset", False)] * LIMIT


def test_unknown_and_known_usernames_are_throttled_alike(app, db) -> None:  # type: ignore[no-untyped-def]
    create_account(db, username="known")
    db.commit()
    answers = {}
    for name, ip in (("known", "10.0.1.1"), ("nobody-here", "10.0.1.2")):
        with from_ip(app, ip) as c:
            seen = [login_api(c, name, "Wrong-pass-123") for _ in range(LIMIT + 1)]
            answers[name] = [(r.status_code, r.json()["error"]["code"], r.json()["error"]["message"]) for r in seen]
    assert answers["known"] == answers["nobody-here"]  # nothing tells whether the account exists
    assert answers["known"][-1][:2] == (429, "throttled")


def test_two_accounts_behind_one_ip_share_the_ips_count(app, db) -> None:  # type: ignore[no-untyped-def]
    for name in ("alpha", "beta", "gamma"):
        create_account(db, username=name)
    db.commit()
    with from_ip(app, "10.0.2.1") as c:
        for name in ("alpha", "alpha", "alpha", "beta", "beta"):
            assert login_api(c, name, "Wrong-pass-123").status_code == 401
        for name in ("alpha", "beta", "gamma"):  # the IP reached the limit: nobody gets in from it
            assert_throttled(login_api(c, name))
    with from_ip(app, "10.0.2.2") as c:  # neither account reached its own limit
        assert login_api(c, "alpha").status_code == 201
        assert login_api(c, "beta").status_code == 201


def test_a_success_on_one_account_resets_neither_another_account_nor_the_ip(app, db) -> None:  # type: ignore[no-untyped-def]
    for name in ("mine", "theirs"):
        create_account(db, username=name)
    db.commit()
    with from_ip(app, "10.0.3.1") as c:
        for _ in range(2):
            assert login_api(c, "theirs", "Wrong-pass-123").status_code == 401
        assert login_api(c, "mine", "Wrong-pass-123").status_code == 401
        assert login_api(c, "mine").status_code == 201  # signing in to my own account between guesses…
        assert login_api(c, "theirs", "Wrong-pass-123").status_code == 401
        assert login_api(c, "theirs", "Wrong-pass-123").status_code == 401
        assert_throttled(login_api(c, "mine"))  # …bought no guess: the IP's 5 failures stand
    with from_ip(app, "10.0.3.2") as c:
        assert login_api(c, "theirs", "Wrong-pass-123").status_code == 401  # the 5th for "theirs"
        assert_throttled(login_api(c, "theirs"))  # my success reset nothing of theirs
        assert login_api(c, "mine").status_code == 201  # my own count did start again


# --------------------------------------------------------------------------- the pages


def page_login(c: TestClient, username: str, password: str) -> Any:
    return c.post("/login", data={"username": username, "password": password, "next": "/account",
                                  "csrf_token": csrf_of(c.get("/login").text)}, follow_redirects=False)


def test_wrong_passwords_on_the_login_page_are_throttled_with_a_page_message(app, db) -> None:  # type: ignore[no-untyped-def]
    create_account(db, username="webuser")
    db.commit()
    with from_ip(app, "10.0.4.1") as c:
        for _ in range(LIMIT):
            assert page_login(c, "webuser", "Wrong-pass-123").status_code == 400
        r = page_login(c, "webuser", PASSWORD)
        assert_throttled(r)
        assert 'role="alert"' in r.text  # the form's error summary says it
    assert attempts(db, success=False) == [("webuser", "10.0.4.1", "password", False)] * LIMIT


def test_wrong_totp_on_the_page_after_the_right_password_is_throttled(app, db) -> None:  # type: ignore[no-untyped-def]
    officer = staff(db, "pageofficer")
    db.commit()
    with from_ip(app, "10.0.4.2") as c:
        r = page_login(c, "pageofficer", PASSWORD)
        assert r.status_code == 303 and "/mfa/verify" in r.headers["location"]
        for _ in range(LIMIT):
            page = c.get("/mfa/verify").text
            r = c.post("/mfa/verify", data={"code": "000000", "next": "/", "csrf_token": csrf_of(page)})
            assert r.status_code == 422
        page = c.get("/mfa/verify").text
        r = c.post("/mfa/verify", data={"code": pyotp.TOTP(officer.mfa_secret).at(clock.now()), "next": "/",
                                        "csrf_token": csrf_of(page)})
        assert_throttled(r)
        assert c.get("/account", follow_redirects=False).status_code == 303  # still not signed in
    assert attempts(db) == [("pageofficer", "10.0.4.2", "totp", False)] * LIMIT  # the password was no success


def test_wrong_codes_while_setting_up_totp_are_throttled(app, db) -> None:  # type: ignore[no-untyped-def]
    create_agency(db, "sso")
    create_account(db, username="newofficer", role=Role.OFFICIAL, organization="sso", mfa=False)
    db.commit()
    with from_ip(app, "10.0.4.3") as c:
        r = page_login(c, "newofficer", PASSWORD)
        assert "/mfa/setup" in r.headers["location"]
        for _ in range(LIMIT):
            page = c.get("/mfa/setup").text
            r = c.post("/mfa/setup", data={"code": "000000", "next": "/", "csrf_token": csrf_of(page)})
            assert r.status_code == 422
        page = c.get("/mfa/setup").text
        assert_throttled(c.post("/mfa/setup", data={"code": "000000", "next": "/", "csrf_token": csrf_of(page)}))
    assert attempts(db, kind="totp") == [("newofficer", "10.0.4.3", "totp", False)] * LIMIT


def test_bad_reset_links_on_the_page_are_throttled(app, db) -> None:  # type: ignore[no-untyped-def]
    with from_ip(app, "10.0.4.4") as c:
        for i in range(LIMIT + 1):
            page = c.get(f"/password/reset/guess-{i}").text
            r = c.post(f"/password/reset/guess-{i}", data={"password": "New-password-2024",
                                                           "password_again": "New-password-2024",
                                                           "csrf_token": csrf_of(page)})
            if i < LIMIT:
                assert r.status_code == 422
        assert_throttled(r)
    assert db.scalar(select(func.count()).select_from(LoginAttempt)) == LIMIT
