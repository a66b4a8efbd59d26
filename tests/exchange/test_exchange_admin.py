"""The exchange admin screens in the browser's forms (no JavaScript, no API): members, subsystems,
keys, services, access rights, purposes and filtered monitoring, in Persian, with errors named next
to their fields; an official of another agency, an agency admin and a citizen can neither open nor
post any of it."""

from __future__ import annotations

import re
from typing import Any

import jdatetime
import pytest
from sqlalchemy import func, select

from smartgov import clock
from smartgov.events import EventRecord
from smartgov.exchange import service
from smartgov.exchange.models import ExchangeAccessRight, ExchangeMember, ExchangeService, ExchangeSubsystem
from smartgov.i18n import localize_digits
from smartgov.identity import Role
from tests.exchange.support import member, purposes, registry, request
from tests.factories import create_account, create_agency, create_person, csrf_of, page_login

BASE = "/exchange/admin"


def post(client: Any, url: str, data: dict[str, str], page_url: str | None = None) -> Any:
    token = csrf_of(client.get(page_url or url).text)
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def events(db: Any, name: str) -> list[dict[str, Any]]:
    return [e.payload for e in db.scalars(select(EventRecord).where(EventRecord.name == name))]


def actors(db: Any, name: str) -> set[int | None]:
    return {e.actor_id for e in db.scalars(select(EventRecord).where(EventRecord.name == name))}


def jalali_today() -> str:
    j = jdatetime.date.fromgregorian(date=clock.today())
    return localize_digits(f"{j.year:04d}/{j.month:02d}/{j.day:02d}", "fa")


def log_table(html: str) -> str:
    """The message log's table, as the page shows it (the filter's option values are not shown)."""
    return re.search(r'<table class="table" id="log">.*?</table>', html, re.S).group(0)  # type: ignore[union-attr]


@pytest.fixture
def admin(db: Any) -> Any:
    account = create_account(db, username="exadmin", role=Role.PLATFORM_ADMIN)
    db.commit()
    return account


def test_an_admin_registers_a_member_a_subsystem_and_a_service(client, db, admin) -> None:  # type: ignore[no-untyped-def]
    create_agency(db, "sso")
    db.commit()
    page_login(client, admin)
    home = client.get(BASE)
    assert home.status_code == 200 and 'dir="rtl"' in home.text and f'href="{BASE}/members/new"' in home.text
    assert f'href="{BASE}"' in client.get("/account").text  # in the shell's navigation
    # every problem named next to its field, what was typed shown again, nothing saved
    r = post(client, f"{BASE}/members/new", {"instance": "IR", "member_class": "GOV", "member_code": "s so",
                                              "name_fa": "", "name_en": "Social Security",
                                              "organization_code": "nope", "server_url": "ftp://x"},
             page_url=f"{BASE}/members/new")
    assert r.status_code == 422
    for field in ("member_code", "name_fa", "organization_code", "server_url"):
        assert f'href="#f-{field}"' in r.text and f'id="f-{field}-error"' in r.text, field
    assert 'aria-invalid="true"' in r.text and 'value="Social Security"' in r.text
    assert db.scalar(select(func.count()).select_from(ExchangeMember)) == 0
    r = post(client, f"{BASE}/members/new", {"instance": "IR", "member_class": "GOV", "member_code": "sso",
                                              "name_fa": "سازمان تأمین اجتماعی", "name_en": "Social Security",
                                              "organization_code": "sso", "server_url": ""},
             page_url=f"{BASE}/members/new")
    assert r.status_code == 303, r.text
    m = db.scalar(select(ExchangeMember))
    assert r.headers["location"] == f"{BASE}/members/{m.id}?done=created" and m.is_local
    assert actors(db, "exchange.member_registered") == {admin.id}
    page = client.get(r.headers["location"]).text
    assert "ساخته شد" in page and "IR/GOV/sso" in page
    # the same code twice is refused on its field
    r = post(client, f"{BASE}/members/new", {"instance": "IR", "member_class": "GOV", "member_code": "sso",
                                              "name_fa": "الف", "name_en": "A"}, page_url=f"{BASE}/members/new")
    assert r.status_code == 422 and 'href="#f-member_code"' in r.text
    # edit
    r = post(client, f"{BASE}/members/{m.id}", {"name_fa": "تأمین اجتماعی", "name_en": "SSO", "organization_code": "sso"})
    assert r.status_code == 303
    assert events(db, "exchange.member_updated")[0]["changed"] == ["name_en", "name_fa"]
    r = post(client, f"{BASE}/members/{m.id}", {"name_fa": "", "name_en": "SSO", "server_url": "https://x.ir"})
    assert r.status_code == 422 and 'href="#f-name_fa"' in r.text
    # a subsystem, with its first key
    r = post(client, f"{BASE}/members/{m.id}/subsystems/new", {"subsystem_code": "pension"}, f"{BASE}/members/{m.id}")
    assert r.status_code == 303, r.text
    sub = db.scalar(select(ExchangeSubsystem))
    assert r.headers["location"] == f"{BASE}/subsystems/{sub.id}?done=created"
    assert events(db, "exchange.subsystem_registered") == [{"subsystem": "IR/GOV/sso/pension"}]
    assert "فعال: پیام‌های این زیرسامانه را امضا می‌کند" in client.get(f"{BASE}/subsystems/{sub.id}").text
    r = post(client, f"{BASE}/members/{m.id}/subsystems/new", {"subsystem_code": "pension"}, f"{BASE}/members/{m.id}")
    assert r.status_code == 422 and 'id="f-subsystem_code-error"' in r.text
    # a data service, its schema checked
    url = f"{BASE}/subsystems/{sub.id}/services/new"
    data = {"service_code": "pension-status", "service_version": "v1", "name_fa": "وضعیت مستمری",
            "name_en": "Pension status", "response_schema": "{not json"}
    r = post(client, url, data, f"{BASE}/subsystems/{sub.id}")
    assert r.status_code == 422 and 'href="#f-response_schema"' in r.text and "وضعیت مستمری" in r.text
    r = post(client, url, {**data, "response_schema": '{"type": "object", "properties": {"status": {"type": "string"}}}'},
             f"{BASE}/subsystems/{sub.id}")
    assert r.status_code == 303, r.text
    svc = db.scalar(select(ExchangeService))
    assert svc.response_schema["properties"] == {"status": {"type": "string"}}
    assert actors(db, "exchange.service_registered") == {admin.id}
    r = post(client, f"{BASE}/services/{svc.id}/withdraw", {}, f"{BASE}/subsystems/{sub.id}")
    assert r.status_code == 303
    db.expire_all()
    assert not db.get(ExchangeService, svc.id).is_active and events(db, "exchange.service_withdrawn")
    assert post(client, f"{BASE}/services/{svc.id}/explode", {}, f"{BASE}/subsystems/{sub.id}").status_code == 404


def test_key_rotation_retires_the_old_key_and_the_page_says_so(client, db, admin) -> None:  # type: ignore[no-untyped-def]
    reg = registry(db)
    code = create_person(db).national_code
    db.commit()
    old = reg.client.keys[0]
    signed_before = request(db, reg.client, reg.service, code)
    page_login(client, admin)
    r = post(client, f"{BASE}/subsystems/{reg.client.id}/rotate-key", {}, f"{BASE}/subsystems/{reg.client.id}")
    assert r.status_code == 303 and r.headers["location"].endswith("done=rotated")
    db.expire_all()
    keys = db.get(ExchangeSubsystem, reg.client.id).keys
    retired = next(k for k in keys if k.key_id == old.key_id)
    assert retired.retired_at is not None and retired.sealed_private_key is None
    assert len([k for k in keys if k.retired_at is None]) == 1
    event = events(db, "exchange.key_rotated")[-1]
    assert event["retired_key_ids"] == [old.key_id] and actors(db, "exchange.key_rotated") >= {admin.id}
    page = client.get(f"{BASE}/subsystems/{reg.client.id}").text
    assert "بازنشسته" in page and "نیمهٔ خصوصی آن از میان رفته است" in page
    # signed before the rotation: still verifies; a new request signs with the new key
    assert client.post("/api/v1/exchange/messages", json=signed_before).status_code == 200
    fresh = request(db, db.get(ExchangeSubsystem, reg.client.id), reg.service, code)
    assert fresh["signature"]["key_id"] != old.key_id
    assert client.post("/api/v1/exchange/messages", json=fresh).status_code == 200


def test_a_deactivated_member_neither_calls_nor_answers_until_reactivated(client, db, admin) -> None:  # type: ignore[no-untyped-def]
    reg = registry(db)
    code = create_person(db).national_code
    db.commit()
    page_login(client, admin)
    sso = reg.client.member_id
    r = post(client, f"{BASE}/members/{sso}/deactivate", {}, f"{BASE}/members/{sso}")
    assert r.status_code == 303 and events(db, "exchange.member_deactivated") == [{"member": "IR/GOV/sso"}]
    r = client.post("/api/v1/exchange/messages", json=request(db, reg.client, reg.service, code))
    assert r.status_code == 403 and r.json()["error"]["code"] == "client_deactivated"
    assert "غیرفعال" in client.get(f"{BASE}/members/{sso}").text
    post(client, f"{BASE}/members/{sso}/reactivate", {}, f"{BASE}/members/{sso}")
    assert client.post("/api/v1/exchange/messages", json=request(db, reg.client, reg.service, code)).status_code == 200
    # a provider's subsystem deactivated: its service is no longer offered
    post(client, f"{BASE}/subsystems/{reg.provider.id}/deactivate", {}, f"{BASE}/subsystems/{reg.provider.id}")
    r = client.post("/api/v1/exchange/messages", json=request(db, reg.client, reg.service, code))
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_service"
    assert events(db, "exchange.subsystem_deactivated") and events(db, "exchange.member_reactivated")


def test_an_admin_grants_filters_and_revokes_access_rights(client, db, admin) -> None:  # type: ignore[no-untyped-def]
    reg = registry(db)
    tax = service.subsystem(db, member(db, "inta", ["tax"]).subsystems[0].address)
    db.commit()
    page_login(client, admin)
    form = client.get(f"{BASE}/access-rights/new").text
    assert '<label for="f-purpose_tax-assessment">' in form and 'id="f-valid_from-hint"' in form
    url = f"{BASE}/access-rights/new"
    r = post(client, url, {"client": str(tax.id), "service": str(reg.service.id), "legal_basis_fa": "",
                           "legal_basis_en": "Tax law", "valid_from": "1405/13/40", "valid_until": ""})
    assert r.status_code == 422
    for field in ("purposes", "legal_basis_fa", "valid_from"):
        assert f'href="#f-{field}"' in r.text, field
    assert 'value="۱۴۰۵/۱۳/۴۰"' in r.text and "Tax law" in r.text  # shown again, in Persian digits
    r = post(client, url, {"client": "999999", "service": "x", "purpose_tax-assessment": "1"})
    assert r.status_code == 422 and 'href="#f-client"' in r.text and 'href="#f-service"' in r.text
    before = db.scalar(select(func.count()).select_from(ExchangeAccessRight))
    r = post(client, url, {"client": str(tax.id), "service": str(reg.service.id), "purpose_tax-assessment": "1",
                           "legal_basis_fa": "قانون مالیات‌های مستقیم، مادهٔ ۱۶۹", "legal_basis_en": "Direct Taxation Act",
                           "valid_from": jalali_today(), "valid_until": "۱۴۹۹/۰۱/۰۱"})
    assert r.status_code == 303, r.text
    right = db.scalar(select(ExchangeAccessRight).order_by(ExchangeAccessRight.id.desc()))
    assert db.scalar(select(func.count()).select_from(ExchangeAccessRight)) == before + 1
    assert right.purposes == ["tax-assessment"] and right.valid_from == clock.today()
    assert actors(db, "exchange.access_right_granted") >= {admin.id}
    listing = client.get(f"{BASE}/access-rights?purpose=tax-assessment")
    assert f'id="right-{right.id}"' in listing.text and "قانون مالیات‌های مستقیم" in listing.text
    assert listing.text.count('id="right-') == 1
    assert client.get(f"{BASE}/access-rights?client={reg.client.id}").text.count('id="right-') == 1
    bad = client.get(f"{BASE}/access-rights?state=whatever")
    assert bad.status_code == 422 and 'href="#f-state"' in bad.text
    r = post(client, f"{BASE}/access-rights/{right.id}/revoke", {}, f"{BASE}/access-rights")
    assert r.status_code == 303
    db.expire_all()
    assert db.get(ExchangeAccessRight, right.id).revoked_at is not None
    assert events(db, "exchange.access_right_revoked") == [{"right_id": right.id}]
    revoked = client.get(f"{BASE}/access-rights?state=revoked").text
    assert f'id="right-{right.id}"' in revoked and "باطل" in revoked


def test_the_purpose_register(client, db, admin) -> None:  # type: ignore[no-untyped-def]
    purposes(db)
    db.commit()
    page_login(client, admin)
    url = f"{BASE}/purposes"
    r = post(client, url, {"code": "pension-claim", "label_fa": "x", "label_en": "x"})
    assert r.status_code == 422 and 'href="#f-code"' in r.text and "پیش‌تر" in r.text
    r = post(client, url, {"code": "bad code", "label_fa": "", "label_en": "Audit"})
    assert r.status_code == 422 and all(f'href="#f-{f}"' in r.text for f in ("code", "label_fa"))
    r = post(client, url, {"code": "audit", "label_fa": "حسابرسی", "label_en": "Audit"})
    assert r.status_code == 303 and events(db, "exchange.purpose_registered") == [{"purpose": "audit"}]
    assert "حسابرسی" in client.get(url).text and "audit" in service.purpose_labels(db)


def test_monitoring_filters_and_names_every_reason_in_words(client, db, admin) -> None:  # type: ignore[no-untyped-def]
    reg = registry(db)
    code = create_person(db).national_code
    db.commit()
    assert client.post("/api/v1/exchange/messages", json=request(db, reg.client, reg.service, code)).status_code == 200
    refused = request(db, reg.client, reg.service, code, purpose="tax-assessment")
    assert client.post("/api/v1/exchange/messages", json=refused).status_code == 403
    page_login(client, admin)
    r = client.get("/exchange/monitoring?outcome=refused")
    table = log_table(r.text)
    assert r.status_code == 200 and "این هدف برای این درخواست‌کننده و این خدمت مجاز نیست" in table
    assert "purpose_not_allowed" not in table and "مالیات" in table and "ردشده" in table
    assert "purpose_not_allowed" not in re.sub(r"<[^>]+>", "", r.text)  # no raw code anywhere on the page
    assert "ردشده" not in log_table(client.get("/exchange/monitoring?purpose=pension-claim&outcome=refused").text)
    today = jalali_today()
    assert "ردشده" in log_table(client.get("/exchange/monitoring", params={
        "member": "IR/GOV/sso", "service_code": "person-status", "since": today, "until": today}).text)
    assert "هنوز" not in log_table(client.get("/exchange/monitoring?reason=purpose_not_allowed").text)
    early = client.get("/exchange/monitoring", params={"until": "1400/01/01"}).text
    assert "ردشده" not in log_table(early)
    bad = client.get("/exchange/monitoring", params={"since": "1405/02/40", "outcome": "nope"})
    assert bad.status_code == 422 and 'href="#f-since"' in bad.text and 'href="#f-outcome"' in bad.text
    assert 'value="۱۴۰۵/۰۲/۴۰"' in bad.text
    english = client.get("/exchange/monitoring?outcome=refused", headers={"Accept-Language": "en"})
    client.get("/lang/en?next=/exchange/monitoring")
    english = client.get("/exchange/monitoring?outcome=refused").text
    assert "This purpose is not allowed for this client and service." in log_table(english)


def test_no_one_but_a_platform_admin_opens_or_posts_any_admin_screen(client, db) -> None:  # type: ignore[no-untyped-def]
    reg = registry(db)
    create_agency(db, "tax")
    right = service.access_rights(db)[0]
    people = [create_account(db, username="taxofficial", role=Role.OFFICIAL, organization="tax"),
              create_account(db, username="ssoadmin", role=Role.AGENCY_ADMIN, organization="sso"),
              create_account(db, username="someone")]
    db.commit()
    m, sub, svc = reg.client.member_id, reg.client.id, reg.service.id
    gets = [BASE, f"{BASE}/members/new", f"{BASE}/members/{m}", f"{BASE}/subsystems/{sub}",
            f"{BASE}/access-rights", f"{BASE}/access-rights/new", f"{BASE}/purposes", "/exchange/monitoring"]
    posts = [f"{BASE}/members/new", f"{BASE}/members/{m}", f"{BASE}/members/{m}/deactivate",
             f"{BASE}/members/{m}/reactivate", f"{BASE}/members/{m}/subsystems/new",
             f"{BASE}/subsystems/{sub}/rotate-key", f"{BASE}/subsystems/{sub}/deactivate",
             f"{BASE}/subsystems/{sub}/reactivate", f"{BASE}/subsystems/{sub}/services/new",
             f"{BASE}/services/{svc}/withdraw", f"{BASE}/services/{svc}/reoffer", f"{BASE}/access-rights/new",
             f"{BASE}/access-rights/{right.id}/revoke", f"{BASE}/purposes"]
    mine = select(func.count()).select_from(EventRecord).where(EventRecord.name.like("exchange.%"))
    before = db.scalar(mine)
    for person in people:
        client.cookies.clear()
        page_login(client, person)
        nav = client.get("/account").text
        assert f'href="{BASE}"' not in nav, person.username
        for url in gets:
            assert client.get(url).status_code == 403, (person.username, url)
        token = csrf_of(client.get("/account").text) if "csrf_token" in client.get("/account").text \
            else csrf_of(client.get("/login").text)
        for url in posts:
            r = client.post(url, data={"csrf_token": token, "member_code": "x", "name_fa": "x", "name_en": "x",
                                       "subsystem_code": "x", "client": str(sub), "service": str(svc),
                                       "purpose_pension-claim": "1", "code": "x", "label_fa": "x", "label_en": "x"})
            assert r.status_code == 403, (person.username, url)
    db.expire_all()
    assert db.scalar(mine) == before
    assert db.get(ExchangeAccessRight, right.id).revoked_at is None
    assert db.get(ExchangeMember, m).is_active
