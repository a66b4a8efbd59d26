"""Identity pages: CSRF, throttling message, MFA, password reset by e-mail, my account."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
from sqlalchemy import func, select

from smartgov import clock, events
from smartgov.identity.models import Account, Person, Role
from tests.factories import PASSWORD, create_account, create_agency, csrf_of, sent_mail


def login(client, username: str, password: str = PASSWORD, next_url: str = "/account"):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                       "next": next_url}, follow_redirects=False)


def test_persian_is_default_rtl_with_jalali_dates_and_english_is_ltr(client, db) -> None:  # type: ignore[no-untyped-def]
    clock.freeze(dt.datetime(2026, 11, 22, 9, tzinfo=dt.UTC))
    page = client.get("/").text
    assert '<html lang="fa" dir="rtl">' in page
    assert "۱ آذر ۱۴۰۵" in page  # Jalali with Persian digits
    assert "پنجرهٔ واحد خدمات عمومی" in page
    r = client.get("/lang/en?next=/", follow_redirects=True)
    assert '<html lang="en" dir="ltr">' in r.text
    assert "22 November 2026" in r.text and "One window for public services" in r.text


def test_missing_or_forged_csrf_token_is_refused_and_changes_nothing(client, db) -> None:  # type: ignore[no-untyped-def]
    form = {"national_code": "0012345679", "first_name_fa": "علی", "last_name_fa": "رضایی", "first_name_en": "Ali",
            "last_name_en": "Rezaei", "birth_date": "1369/10/12", "username": "ali", "password": "Good-password-77",
            "password_again": "Good-password-77"}
    client.get("/register")
    r = client.post("/register", data=form)
    assert r.status_code == 403 and "فرم منقضی شده" in r.text
    r = client.post("/register", data={**form, "csrf_token": "forged"})
    assert r.status_code == 403
    assert db.scalar(select(func.count()).select_from(Account)) == 0
    r = client.post("/register", data={**form, "csrf_token": csrf_of(client.get("/register").text)},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account/prove"  # signed in, to prove the person
    person = db.scalar(select(Person))
    assert person.birth_date == dt.date(1991, 1, 2)  # Jalali 1369/10/12


def test_register_page_ties_errors_to_fields(client, db) -> None:  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/register").text)
    r = client.post("/register", data={"csrf_token": token, "national_code": "1234567890", "username": "a b"})
    assert r.status_code == 422
    assert 'id="f-national_code-error"' in r.text
    assert 'aria-describedby="f-national_code-hint f-national_code-error"' in r.text
    assert 'href="#f-first_name_fa"' in r.text  # the error summary links to the field
    assert db.scalar(select(func.count()).select_from(Person)) == 0


def test_a_birth_date_is_read_like_every_other_typed_date(client, db) -> None:  # type: ignore[no-untyped-def]
    """Jalali for 13xx/14xx years, else ISO, on Persian and English pages alike (digits.parse_date)."""
    form = {"first_name_fa": "علی", "last_name_fa": "رضایی", "first_name_en": "Ali", "last_name_en": "Rezaei",
            "password": "Good-password-77", "password_again": "Good-password-77"}
    cases = [("0012345679", "ali", "۱۳۶۹/۱۰/۱۲"), ("0013542419", "sara", "1991-01-02")]
    for code, username, typed in cases:
        token = csrf_of(client.get("/register").text)
        r = client.post("/register", data={**form, "national_code": code, "username": username, "birth_date": typed,
                                           "csrf_token": token})
        assert r.status_code == 200, r.text
        client.cookies.clear()
    assert set(db.scalars(select(Person.birth_date))) == {dt.date(1991, 1, 2)}
    token = csrf_of(client.get("/register").text)
    r = client.post("/register", data={**form, "national_code": "0010350829", "username": "reza",
                                       "birth_date": "1369/13/40", "csrf_token": token})
    assert r.status_code == 422 and 'id="f-birth_date-error"' in r.text and "۱۳۷۰/۰۶/۳۱" in r.text


def test_page_login_throttles_with_a_localized_message(client, db, settings) -> None:  # type: ignore[no-untyped-def]
    create_account(db, username="pat")
    db.commit()
    for _ in range(settings.login_max_failures):
        r = login(client, "pat", "wrong-password-1")
        assert r.status_code == 400 and "نام کاربری یا گذرواژه نادرست است" in r.text
    r = login(client, "pat")
    assert r.status_code == 429 and "دقیقه صبر کنید" in r.text


def test_login_logout_and_account_page(client, db) -> None:  # type: ignore[no-untyped-def]
    create_account(db, username="maryam", birth_date=dt.date(1985, 3, 21))
    db.commit()
    assert client.get("/account", follow_redirects=False).headers["location"] == "/login?next=/account"
    r = login(client, "maryam")
    assert r.status_code == 303 and r.headers["location"] == "/account"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    page = client.get("/account").text
    assert "۱ فروردین ۱۳۶۴" in page  # birth date in Jalali
    token = csrf_of(page)
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_tokens_and_sessions_from_my_account(client, db) -> None:  # type: ignore[no-untyped-def]
    create_account(db, username="sara")
    db.commit()
    login(client, "sara")
    page = client.post("/account/tokens", data={"csrf_token": csrf_of(client.get("/account").text), "name": "script",
                                               "scope": "write"}).text
    raw = re.search(r'id="new-token">([^<]+)<', page).group(1)
    assert client.get("/api/v1/identity/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    again = client.get("/account").text
    assert raw not in again  # shown once only


def test_official_is_sent_through_mfa_setup_then_verify(client, db) -> None:  # type: ignore[no-untyped-def]
    create_agency(db)
    create_account(db, username="off", role=Role.OFFICIAL, organization="agency-a", mfa=False)
    db.commit()
    r = login(client, "off")
    assert r.headers["location"].startswith("/mfa/setup")
    assert client.get("/account", follow_redirects=False).headers["location"] == "/mfa/setup"
    setup = client.get("/mfa/setup").text
    secret = re.search(r'class="secret">([A-Z2-7]+)<', setup).group(1)
    bad = client.post("/mfa/setup", data={"csrf_token": csrf_of(setup), "code": "000000", "next": "/account"})
    assert bad.status_code == 422 and "کد نادرست" in bad.text
    ok = client.post("/mfa/setup", data={"csrf_token": csrf_of(setup), "code": pyotp.TOTP(secret).now(),
                                         "next": "/account"}, follow_redirects=False)
    assert ok.status_code == 303
    assert client.get("/account").status_code == 200
    # next sign-in asks for the code
    client.cookies.clear()
    clock.advance(dt.timedelta(seconds=31))
    r = login(client, "off")
    assert r.headers["location"].startswith("/mfa/verify")
    verify = client.get("/mfa/verify").text
    code = pyotp.TOTP(secret).at(clock.now())
    r = client.post("/mfa/verify", data={"csrf_token": csrf_of(verify), "code": code, "next": "/account"},
                    follow_redirects=False)
    assert r.status_code == 303 and client.get("/account").status_code == 200


def test_password_reset_link_works_once_and_expires(client, db, app, settings, database) -> None:  # type: ignore[no-untyped-def]
    create_account(db, username="reza", email="reza@example.ir")
    db.commit()
    page = client.get("/password/forgot").text
    r = client.post("/password/forgot", data={"csrf_token": csrf_of(page), "username_or_email": "reza@example.ir"})
    assert "پیوند بازیابی" in r.text
    assert events.drain_outbox(database) == 1
    mail = sent_mail(settings.data_dir)
    assert len(mail) == 1
    to, subject, body = mail[0]
    assert to == "reza@example.ir" and subject == "بازیابی گذرواژه در دولت هوشمند"
    link = re.search(r"http://testserver(/password/reset/\S+)", body).group(1)
    form = client.get(link).text
    r = client.post(link, data={"csrf_token": csrf_of(form), "password": "New-password-2025",
                                "password_again": "New-password-2025"})
    assert "گذرواژهٔ شما تغییر کرد" in r.text
    assert login(client, "reza", "New-password-2025").status_code == 303
    r = client.post(link, data={"csrf_token": csrf_of(form), "password": "Other-password-99",
                                "password_again": "Other-password-99"})
    assert r.status_code == 422 and "منقضی" in r.text  # single use


def test_expired_reset_token_changes_nothing(client, db, database) -> None:  # type: ignore[no-untyped-def]
    account = create_account(db, username="old", email="old@example.ir")
    db.commit()
    before = account.password_hash
    client.post("/api/v1/identity/password-reset", json={"username_or_email": "old"})
    from smartgov.events import OutboxMessage

    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    raw = None
    # read the token from the e-mail the worker would send
    events.drain_outbox(database)
    from smartgov.settings import get_settings

    text = sent_mail(get_settings().data_dir)[0][2]
    raw = re.search(r"/password/reset/(\S+)", text).group(1)
    clock.advance(dt.timedelta(minutes=31))
    r = client.post("/api/v1/identity/password-reset/confirm", json={"token": raw, "password": "Brand-new-pass-1"},
                    headers={"Accept-Language": "en"})
    assert r.status_code == 400
    assert r.json()["error"] == {"code": "invalid_reset_token", "field": "token",
                                 "message": "This reset link is invalid, used or expired. Ask for a new one."}
    db.expire_all()
    assert db.get(Account, account.id).password_hash == before


def test_error_pages_are_localized(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/no-such-page")
    assert r.status_code == 404 and "صفحه یافت نشد" in r.text and 'dir="rtl"' in r.text
    r = client.get("/no-such-page?lang=en")
    assert r.status_code == 404 and "Page not found" in r.text and 'dir="ltr"' in r.text


def test_unknown_reset_request_looks_the_same(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/identity/password-reset", json={"username_or_email": "nobody@example.ir"})
    assert r.status_code == 202 and r.json() == {"accepted": True}
