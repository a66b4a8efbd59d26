"""The engine's pages: a Persian journey without JavaScript, the inbox, payments and public verification."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
from sqlalchemy import func, select

from smartgov import clock
from smartgov.services.models import Application, Invoice, Payment
from tests.factories import PASSWORD, csrf_of

from .conftest import MINIMAL
from .helpers import PDF, arrange, principal


def login(client, account) -> None:  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": account.username, "password": PASSWORD, "csrf_token": token,
                                    "next": "/services"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    if "/mfa/verify" in r.headers["location"]:
        page = client.get(r.headers["location"]).text
        code = pyotp.TOTP(account.mfa_secret).at(clock.now())  # the test may have moved the clock
        r = client.post("/mfa/verify", data={"code": code, "csrf_token": csrf_of(page), "next": "/services"},
                        follow_redirects=False)
        assert r.status_code == 303, r.text


def post(client, url: str, data: dict, files=None, page_url: str | None = None):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(page_url or url).text)
    return client.post(url, data={**data, "csrf_token": token}, files=files, follow_redirects=False)


def apply_for_address_change(client, citizen, *, owns_home: str = "no") -> str:  # type: ignore[no-untyped-def]
    """Walk the address-change journey page by page; returns the reference number."""
    r = client.get("/services/address-change/apply", follow_redirects=False)
    assert r.headers["location"] == "/services/address-change/apply/1"
    page = client.get("/services/address-change/apply/1").text
    assert citizen.person.national_code in page  # prefilled from identity
    r = post(client, "/services/address-change/apply/1", {
        "national_code": citizen.person.national_code, "province": "tehran", "city": "تهران",
        "address": "خیابان انقلاب، کوچهٔ بهار، پلاک ۷"})
    assert r.headers["location"] == "/services/address-change/apply/2"
    r = post(client, "/services/address-change/apply/2", {"postal_code": "۱۲۳۴۵۶۷۸۹۰", "moved_on": "۱۴۰۳/۰۵/۱۲",
                                                          "owns_home": owns_home})
    if owns_home == "no":
        assert r.headers["location"] == "/services/address-change/apply/3"
        r = post(client, "/services/address-change/apply/3", {"household_moved": "yes"},
                 files={"lease_contract": ("lease.pdf", PDF, "application/pdf")})
    else:
        assert r.headers["location"] == "/services/address-change/apply/3"
        r = post(client, "/services/address-change/apply/3", {"household_moved": "yes"})
    assert r.headers["location"] == "/services/address-change/apply/4"
    # a repeating group: add two rows, remove one, all as plain form submits
    post(client, "/services/address-change/apply/4", {"household__rows": "0", "_add": "household"})
    post(client, "/services/address-change/apply/4", {"household__rows": "1", "_add": "household"})
    page = client.get("/services/address-change/apply/4").text
    assert 'name="household[1].full_name"' in page
    post(client, "/services/address-change/apply/4", {"household__rows": "2", "_remove": "household:1"})
    r = post(client, "/services/address-change/apply/4", {"household__rows": "1", "household[0].full_name": "علی احمدی",
                                                          "household[0].national_code": "0012345679",
                                                          "household[0].relation": "child"})
    assert r.headers["location"] == "/services/address-change/apply/5", r.text
    r = post(client, "/services/address-change/apply/5", {"phone": ""})
    assert r.headers["location"] == "/services/address-change/apply/6"
    r = post(client, "/services/address-change/apply/6", {},
             files={"documents.proof_of_address": ("bill.pdf", PDF, "application/pdf")})
    assert r.headers["location"] == "/services/address-change/check"
    check = client.get("/services/address-change/check").text
    assert "بررسی پاسخ‌ها" in check or "Check your answers" in check
    assert "علی احمدی" in check and "۱۲ مرداد ۱۴۰۳" in check
    r = post(client, "/services/address-change/submit", {"idempotency_key": re.search(
        r'name="idempotency_key" value="([^"]+)"', check).group(1)}, page_url="/services/address-change/check")
    assert r.status_code == 303 and "/confirmation" in r.headers["location"]
    return r.headers["location"].split("/")[3]


def test_persian_catalog_and_start_page(client, db) -> None:  # type: ignore[no-untyped-def]
    arrange(db)
    db.commit()
    page = client.get("/services").text
    assert '<html lang="fa" dir="rtl">' in page and "اعلام تغییر نشانی" in page
    assert "اعلام تغییر نشانی" in client.get("/services", params={"q": "address"}).text
    assert "اعلام تغییر نشانی" not in client.get("/services", params={"q": "pension"}).text
    start = client.get("/services/address-change").text
    assert "قبض آب، برق یا گاز" in start and "رایگان" in start
    english = client.get("/services/address-change", params={"lang": "en"}).text
    assert '<html lang="en" dir="ltr">' in english and "Notify a change of address" in english


def test_question_page_errors_are_tied_to_fields(client, db) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    login(client, accounts["citizen"])
    client.get("/services/address-change/apply")
    r = post(client, "/services/address-change/apply/1", {"national_code": "123", "province": "", "city": "",
                                                          "address": "کوتاه"})
    assert r.status_code == 422
    assert 'id="f-national_code-error"' in r.text and 'href="#f-province"' in r.text
    assert "کد ملی" in r.text


def test_whole_journey_in_persian_then_decision_and_verify(client, db) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    clock.freeze(dt.datetime(2026, 11, 22, 9, tzinfo=dt.UTC))
    login(client, accounts["citizen"])
    ref = apply_for_address_change(client, accounts["citizen"])
    confirmation = client.get(f"/services/applications/{ref}/confirmation").text
    assert re.sub(r"[0-9]", "", ref.split("-", 1)[1]) == "-"
    assert "شمارهٔ پیگیری" in confirmation or "شماره پیگیری" in confirmation
    assert "SG-۱۴۰۵-" in confirmation
    mine = client.get(f"/services/applications/{ref}").text
    assert "ثبت شده" in mine and "علی احمدی" in mine
    assert db.scalar(select(func.count()).select_from(Application)) == 1

    # the official decides
    client.cookies.clear()
    login(client, accounts["official"])
    inbox = client.get("/services/inbox").text
    assert ref in inbox and "کارتابل" in inbox
    r = post(client, f"/services/inbox/{ref}/assign", {"assignee": "me"}, page_url=f"/services/inbox/{ref}")
    assert r.status_code == 303
    r = post(client, f"/services/inbox/{ref}/action", {"action": "start_review"}, page_url=f"/services/inbox/{ref}")
    assert r.status_code == 303
    r = post(client, f"/services/inbox/{ref}/action", {"action": "approve", "reason": ""},
             page_url=f"/services/inbox/{ref}")
    assert r.status_code == 422 and "دلیل" in r.text
    r = post(client, f"/services/inbox/{ref}/action", {"action": "approve", "reason": "اجاره‌نامه بررسی شد."},
             page_url=f"/services/inbox/{ref}")
    assert r.status_code == 303
    case = client.get(f"/services/inbox/{ref}").text
    assert "ثبت شد" in case and "اجاره‌نامه بررسی شد." in case

    # the citizen downloads the document; the public verify page says valid, a changed file says invalid
    client.cookies.clear()
    login(client, accounts["citizen"])
    page = client.get(f"/services/applications/{ref}").text
    doc_id = re.search(r'/verify/([0-9a-f]{32})', page).group(1)
    pdf = client.get(f"/api/v1/services/documents/{doc_id}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    client.cookies.clear()
    verify = client.get(f"/verify/{doc_id}").text
    assert "معتبر" in verify and "نامعتبر" not in verify
    r = post(client, "/verify", {}, files={"file": ("doc.pdf", pdf.content, "application/pdf")})
    assert r.status_code == 200 and "معتبر" in r.text and "نامعتبر" not in r.text
    tampered = pdf.content.replace(b"/MediaBox [0 0 595.28", b"/MediaBox [0 0 595.29", 1)
    r = post(client, "/verify", {}, files={"file": ("doc.pdf", tampered, "application/pdf")})
    assert "نامعتبر" in r.text
    r = post(client, "/verify", {}, files={"file": ("doc.json", b'{"document": {}}', "application/json")})
    assert "نامعتبر" in r.text


def test_citizens_cannot_open_each_others_pages(client, db) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    login(client, accounts["citizen"])
    ref = apply_for_address_change(client, accounts["citizen"])
    app = db.scalar(select(Application))
    file_ref = app.documents["proof_of_address"]["ref"]
    assert client.get(f"/api/v1/services/files/{file_ref}").content == PDF
    client.cookies.clear()
    login(client, accounts["other"])
    assert client.get(f"/services/applications/{ref}").status_code == 404
    assert client.get(f"/services/applications/{ref}/confirmation").status_code == 404
    assert client.get(f"/api/v1/services/files/{file_ref}").status_code == 404
    r = post(client, f"/services/applications/{ref}/withdraw", {"confirm": "yes"}, page_url="/services")
    assert r.status_code == 404
    assert client.get("/services/inbox").status_code == 403
    client.cookies.clear()
    login(client, accounts["stranger"])
    assert client.get(f"/services/inbox/{ref}").status_code == 404
    assert ref not in client.get("/services/inbox").text


def test_sla_breach_flag_in_the_inbox_page(client, db) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    login(client, accounts["citizen"])
    ref = apply_for_address_change(client, accounts["citizen"])
    client.cookies.clear()
    login(client, accounts["official"])
    assert "⚠" not in client.get("/services/inbox").text
    clock.advance(dt.timedelta(hours=9))
    page = client.get("/services/inbox", params={"breached": "yes"}).text
    assert ref in page and "⚠" in page and "تأخیر" in page
    # filters and the per-service table name services and states in the reader's language
    assert '<option value="address-change">اعلام تغییر نشانی</option>' in page
    assert '<option value="in_review">در حال بررسی</option>' in page and ">address-change<" not in page
    assert ref in client.get("/services/inbox", params={"state": "submitted"}).text
    assert ref not in client.get("/services/inbox", params={"state": "in_review"}).text
    # the assignee's name is in the case's row
    from sqlalchemy import update

    from smartgov.services.models import Application

    db.execute(update(Application).where(Application.reference == ref).values(assignee_id=accounts["official"].id))
    db.commit()
    assert f"<td><bdi>{accounts['official'].username}</bdi></td>" in client.get("/services/inbox").text  # a Latin username isolated


def test_pay_through_the_simulated_gateway_with_a_duplicate_callback(client, db) -> None:  # type: ignore[no-untyped-def]
    from smartgov.services import service

    accounts = arrange(db)
    text = MINIMAL.replace("relationship: G2B", "relationship: G2C")
    defn, agency = service.prepare_definition(db, text, "permit.yaml")
    service.store_definition(db, defn, agency, text, "permit.yaml")
    db.commit()
    login(client, accounts["citizen"])
    client.get("/services/permit/apply")
    post(client, "/services/permit/apply/1", {"workers": "۳", "wage": "۱٬۰۰۰٬۰۰۰"})
    check = client.get("/services/permit/check").text
    assert "۷۰٬۰۰۰ ریال" in check
    key = re.search(r'name="idempotency_key" value="([^"]+)"', check).group(1)
    r = post(client, "/services/permit/submit", {"idempotency_key": key}, page_url="/services/permit/check")
    ref = r.headers["location"].split("/")[3]
    r = post(client, f"/services/applications/{ref}/pay", {})
    gateway = r.headers["location"]
    assert gateway.startswith("/services/gateway/simulated/")
    r = post(client, gateway, {"outcome": "duplicate"})
    receipt = client.get(r.headers["location"]).text
    assert "رسید" in receipt and "۷۰٬۰۰۰" in receipt
    db.expire_all()
    assert db.scalar(select(Payment.callbacks)) == 2 and db.scalar(select(Invoice.status)).value == "paid"


def test_finance_staff_reconcile_a_day_on_a_page(client, db) -> None:  # type: ignore[no-untyped-def]
    from smartgov.i18n import gregorian_to_jalali
    from smartgov.services import payments, service

    accounts = arrange(db)
    text = MINIMAL.replace("relationship: G2B", "relationship: G2C")
    defn, agency = service.prepare_definition(db, text, "permit.yaml")
    service.store_definition(db, defn, agency, text, "permit.yaml")
    app = service.submit_application(db, principal(accounts["citizen"]), "permit", {"workers": 3, "wage": 1000000})
    invoice = db.scalar(select(Invoice).where(Invoice.application_id == app.application.id))
    wrong, _ = payments.start_payment(db, invoice)
    payments.handle_callback(db, "simulated", payments.gateway("simulated").sign(wrong.token, "success", 1, "SIM-9"))
    db.commit()
    login(client, accounts["citizen"])
    assert client.get("/services/reconciliation").status_code == 403
    client.cookies.clear()
    login(client, accounts["admin"])
    page = client.get("/services/reconciliation").text
    assert "تطبیق روزانهٔ پرداخت‌ها" in page and "۷۰٬۰۰۰" in page  # invoiced today
    assert "درگاه مبلغی جز مبلغ صورت‌حساب را تأیید کرده است." in page and "مبلغ متفاوت" in page
    assert f"day={clock.today().isoformat()}&amp;format=csv" in page
    yesterday = clock.today() - dt.timedelta(days=1)
    page = client.get("/services/reconciliation", params={"day": yesterday.isoformat(), "lang": "en"}).text
    assert "Everything adds up." in page and "No payments on this day." in page
    jalali_today = gregorian_to_jalali(clock.today())
    assert "۷۰٬۰۰۰" in client.get("/services/reconciliation", params={"day": jalali_today.replace("/", "-")}).text
    bad = client.get("/services/reconciliation", params={"day": "۱۴۰۵/۱۳/۰۱"})
    assert bad.status_code == 422 and 'href="#f-day"' in bad.text and 'aria-invalid="true"' in bad.text


def test_definition_page_shows_line_numbers(client, db) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    login(client, accounts["admin"])
    page = client.get("/services/admin/definitions")
    assert page.status_code == 200 and "address-change" in page.text
    r = post(client, "/services/admin/definitions", {"yaml": MINIMAL.replace("type: money", "type: monee"),
                                                      "publish": "yes"})
    assert r.status_code == 422 and "definition.yaml:14: form[1]" in r.text
    r = post(client, "/services/admin/definitions", {},
             files={"file": ("permit.yaml", MINIMAL.encode(), "text/yaml")})
    assert r.status_code == 200 and "permit@2" in r.text


def test_saved_answers_are_listed_and_resumable(client, db) -> None:  # type: ignore[no-untyped-def]
    accounts = arrange(db)
    db.commit()
    login(client, accounts["citizen"])
    client.get("/services/address-change/apply")
    post(client, "/services/address-change/apply/1", {"national_code": accounts["citizen"].person.national_code,
                                                      "province": "qom", "city": "قم", "address": "خیابان صفاییه، پلاک ۹"})
    page = client.get("/services/applications").text
    assert "هنوز فرستاده نشده" in page and "/services/address-change/apply" in page
    assert "ادامهٔ درخواست" in client.get("/services/address-change").text
    assert client.get("/services/address-change/apply", follow_redirects=False).headers["location"].endswith("/apply/1")
    assert 'value="قم"' in client.get("/services/address-change/apply/1").text


def test_notifications_are_sent_in_the_applicants_language(client, db, database, settings) -> None:  # type: ignore[no-untyped-def]
    from smartgov.events import drain_outbox
    from tests.factories import sent_mail

    accounts = arrange(db)
    db.commit()
    login(client, accounts["citizen"])
    ref = apply_for_address_change(client, accounts["citizen"], owns_home="yes")
    drain_outbox(database)
    subjects = [s for _to, s, _b in sent_mail(settings.data_dir)]
    assert any(ref in s and "ثبت شد" in s for s in subjects)
    assert any("سند" in s for s in subjects)
    bodies = "\n".join(b for _to, _s, b in sent_mail(settings.data_dir))
    assert "/verify/" in bodies
