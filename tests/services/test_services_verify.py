"""The public verify page: anyone learns whether a document is genuine, only its holder or whoever holds the
paper (its verification code) learns what it says."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from sqlalchemy import select

from smartgov import clock
from smartgov.services import documents
from smartgov.services.models import IssuedDocument
from tests.factories import api_token, auth, csrf_of

from .helpers import PDF, address_answers, arrange

API = "/api/v1/services"


def issue(client, db) -> tuple[dict, str, str]:  # type: ignore[no-untyped-def]
    """A citizen's automatically decided address change: (accounts, the document id, the holder's token)."""
    accounts = arrange(db)
    db.commit()
    token = auth(api_token(client, accounts["citizen"]))
    proof = client.post(f"{API}/files", headers=token, data={"service_id": "address-change", "field":
                        "documents.proof_of_address"}, files={"file": ("bill.pdf", PDF, "application/pdf")}).json()
    app = client.post(f"{API}/applications", headers=token, json={
        "service_id": "address-change", "answers": address_answers(accounts["citizen"]),
        "documents": {"proof_of_address": proof}}).json()
    return accounts, app["issued_documents"][0]["id"], token


def code_of(db, document_id: str) -> str:  # type: ignore[no-untyped-def]
    doc = db.scalar(select(IssuedDocument).where(IssuedDocument.id == document_id))
    code = documents.verification_code(doc)
    assert code is not None and re.fullmatch(r"[0-9]{10}", code)
    assert doc.verify_code_hash and code not in doc.verify_code_hash and code not in doc.verify_code_sealed
    return code


def post_code(client, document_id: str, code: str, lang: str = "fa"):  # type: ignore[no-untyped-def]
    page = client.get(f"/verify/{document_id}", params={"lang": lang}).text
    return client.post(f"/verify/{document_id}", params={"lang": lang},
                       data={"code": code, "csrf_token": csrf_of(page)})


def test_the_verify_page_masks_the_holder_in_both_languages(client, db) -> None:  # type: ignore[no-untyped-def]
    accounts, doc_id, _token = issue(client, db)
    person = accounts["citizen"].person
    code = person.national_code
    fa = client.get(f"/verify/{doc_id}").text
    assert "معتبر" in fa and "نامعتبر" not in fa
    assert "م. ا." in fa and "•••••••" + "".join("۰۱۲۳۴۵۶۷۸۹"[int(d)] for d in code[-3:]) in fa
    assert "سازمان sso" in fa and "تأییدیه ثبت نشانی جدید" in fa  # type and issuer
    for secret in (code, "".join("۰۱۲۳۴۵۶۷۸۹"[int(d)] for d in code), "مریم", "احمدی", "خیابان آزادی", "SG-"):
        assert secret not in fa
    assert 'name="code"' in fa and "کد استعلام" in fa
    en = client.get(f"/verify/{doc_id}", params={"lang": "en"}).text
    assert "Valid" in en and "M. A." in en and "•••••••" + code[-3:] in en and "Agency sso" in en
    for secret in (code, "Maryam", "Ahmadi", "SG-"):
        assert secret not in en


def test_the_holder_signed_in_sees_everything(client, db) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import page_login

    accounts, doc_id, _token = issue(client, db)
    page_login(client, accounts["citizen"])
    page = client.get(f"/verify/{doc_id}", params={"lang": "en"}).text
    assert "Maryam Ahmadi" in page and accounts["citizen"].person.national_code in page
    assert 'name="code"' not in page
    client.cookies.clear()
    page_login(client, accounts["other"])  # another citizen is anyone
    page = client.get(f"/verify/{doc_id}", params={"lang": "en"}).text
    assert "Maryam" not in page and accounts["citizen"].person.national_code not in page


def test_the_printed_code_shows_the_content_and_wrong_codes_are_throttled(client, db, settings) -> None:  # type: ignore[no-untyped-def]
    accounts, doc_id, _token = issue(client, db)
    code = code_of(db, doc_id)
    wrong = f"{(int(code) + 1) % 10**10:010d}"
    r = post_code(client, doc_id, wrong)
    assert r.status_code == 422 and "کد استعلام درست نیست" in r.text and 'aria-invalid="true"' in r.text
    assert "مریم" not in r.text
    shown = "".join("۰۱۲۳۴۵۶۷۸۹"[int(d)] for d in code)
    r = post_code(client, doc_id, f"{shown[:5]}-{shown[5:]}")  # as printed, typed in Persian digits
    national = "".join("۰۱۲۳۴۵۶۷۸۹"[int(d)] for d in accounts["citizen"].person.national_code)
    assert r.status_code == 200 and "مریم احمدی" in r.text and national in r.text and 'name="code"' not in r.text
    for _ in range(settings.login_max_failures - 1):
        assert post_code(client, doc_id, wrong, "en").status_code == 422
    r = post_code(client, doc_id, code, "en")
    assert r.status_code == 429 and "Too many failed attempts" in r.text and "Maryam" not in r.text
    assert client.post(f"{API}/verify/{doc_id}", json={"code": code}).status_code == 429  # the API counts too
    clock.advance(dt.timedelta(minutes=settings.login_window_minutes + 1))
    assert post_code(client, doc_id, code, "en").status_code == 200


def test_the_json_verify_follows_the_same_rule(client, db) -> None:  # type: ignore[no-untyped-def]
    accounts, doc_id, token = issue(client, db)
    national = accounts["citizen"].person.national_code
    anyone = client.get(f"{API}/verify/{doc_id}", params={"lang": "en"}).json()
    assert anyone["valid"] is True and anyone["disclosed"] is False and anyone["document"] is None
    assert anyone["summary"]["holder"] == {"initials_fa": "م. ا.", "initials_en": "M. A.",
                                           "national_code": "•••••••" + national[-3:]}
    assert anyone["summary"]["agency"]["code"] == "sso" and anyone["summary"]["title_en"]
    assert national not in str(anyone)
    holder = client.get(f"{API}/verify/{doc_id}", headers=token).json()
    assert holder["disclosed"] is True and holder["document"]["applicant"]["national_code"] == national
    r = client.post(f"{API}/verify/{doc_id}", json={"code": "12345"}, params={"lang": "en"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "code"
    with_code = client.post(f"{API}/verify/{doc_id}", json={"code": code_of(db, doc_id)}).json()
    assert with_code["disclosed"] is True and with_code["document"]["applicant"]["national_code"] == national
    missing = client.get(f"{API}/verify/{'0' * 32}").json()
    assert missing["valid"] is False and missing["summary"] is None


def test_the_pdf_prints_the_code_beside_the_qr_code(client, db, settings) -> None:  # type: ignore[no-untyped-def]
    pypdf = pytest.importorskip("pypdf")
    _accounts, doc_id, token = issue(client, db)
    code = code_of(db, doc_id)
    pdf = client.get(f"{API}/documents/{doc_id}/pdf", headers=token)
    assert pdf.status_code == 200
    text = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert f"{code[:5]}-{code[5:]}" in text
    assert f"{settings.base_url}/verify/{doc_id}" in text
