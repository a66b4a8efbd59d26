"""Through the real routes, on SQLite and PostgreSQL: a national code, amount or date written in any
of Unicode's ~70 digit scripts is the same person/value (Latin, Persian, Arabic-Indic) or refused
with a 422 naming the field — never a 500 (the test client raises them), never a second person.

The scripts are walked deterministically (each script's digits, plus a sample of superscripts,
circled digits and other numeric characters) rather than sampled at random.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from sqlalchemy import func, select

from smartgov import digits
from smartgov.exchange.models import ExchangeMessage
from smartgov.identity.models import Account, Person
from smartgov.services.models import Application
from tests.factories import api_token, auth, create_account, create_person, csrf_of

from .test_digits import NUMERIC_NOT_ND, ZEROS, written

OTHER_NUMERIC = ["²", "①", "⑴", "Ⅴ", "½", "₃", "五", *NUMERIC_NOT_ND[::97]]
"""Characters Python's ``str.isdigit`` or ``unicodedata.numeric`` accepts that are not decimal digits."""
CASES = [(zero, zero in digits.ACCEPTED_ZEROS) for zero in ZEROS]
IDS = [f"{unicodedata.name(z, hex(ord(z))).removesuffix(' ZERO')}" for z in ZEROS]


def count(db, model) -> int:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def error_codes(r) -> set[str]:  # type: ignore[no-untyped-def]
    """The refusal's code and its details' (a pydantic-typed field answers ``invalid_input`` with details)."""
    error = r.json()["error"]
    return {error["code"], *(d["code"] for d in error.get("details") or [])}


def with_other(text: str, char: str) -> str:
    """``text`` with its second digit replaced by ``char`` (a superscript, a circled digit …)."""
    return text[:1] + char + text[2:]


def registration(code: str, username: str, birth_date: str = "1985-03-21") -> dict[str, str]:
    return {"national_code": code, "first_name_fa": "علی", "last_name_fa": "رضایی", "first_name_en": "Ali",
            "last_name_en": "Rezaei", "birth_date": birth_date, "username": username,
            "password": "Good-password-77"}


def test_register_one_person_per_national_code_in_every_script(client, db) -> None:  # type: ignore[no-untyped-def]
    """The code of someone with an account, and of someone known without one (an insured person whose
    birth date the stranger does not know), in every script: never a second person, never a 500."""
    citizen = create_account(db, "citizen1", birth_date=dt.date(1985, 3, 21))
    insured = create_person(db, birth_date=dt.date(1960, 7, 1))
    db.commit()
    has_account, no_account = citizen.person.national_code, insured.national_code
    people, accounts = count(db, Person), count(db, Account)
    for n, (zero, accepted) in enumerate(CASES):
        r = client.post("/api/v1/identity/register", json=registration(written(has_account, zero), f"user{n}a"))
        assert r.status_code == (409 if accepted else 422), (zero, r.text)
        assert r.json()["error"]["field"] == "national_code"
        assert ("already_registered" if accepted else "digits_script") in error_codes(r)
        r = client.post("/api/v1/identity/register", json=registration(written(no_account, zero), f"user{n}b",
                                                                        birth_date="1970-01-01"))
        assert r.status_code == (400 if accepted else 422), (zero, r.text)
        assert ("identity_mismatch" if accepted else "digits_script") in error_codes(r)
    for char in OTHER_NUMERIC:
        r = client.post("/api/v1/identity/register", json=registration(with_other(has_account, char), "other"),
                        headers={"Accept-Language": "en"})
        assert r.status_code == 422 and r.json()["error"]["field"] == "national_code", (char, r.text)
        assert error_codes(r) & {"digits_script", "invalid_national_code"}
        r = client.post("/api/v1/identity/register", json=registration(CODE_OK, "other", birth_date=f"199{char}-01-02"))
        assert r.status_code == 422 and r.json()["error"]["field"] == "birth_date", (char, r.text)
    assert (count(db, Person), count(db, Account)) == (people, accounts)
    # refusals are localized and say what to do
    r = client.post("/api/v1/identity/register", json=registration(written(has_account, "０"), "x1"),
                    headers={"Accept-Language": "fa"})
    assert "۰ تا ۹" in r.json()["error"]["message"]
    # accepted scripts and invisible marks give the one canonical form that is stored
    r = client.post("/api/v1/identity/register", json={
        **registration("\u200f" + written(CODE_OK, "٠") + "\u200e", "newcomer", birth_date="۱۳۷۰/۰۶/۳۱"),
        "phone": "+98 ۹۱۲ ۱۲۳ ۴۵۶۷"})
    assert r.status_code == 201, r.text
    person = db.scalar(select(Person).where(Person.national_code == CODE_OK))
    assert person is not None and person.birth_date == dt.date(1991, 9, 22) and person.phone == "09121234567"


CODE_OK = "0012345679"


@pytest.mark.parametrize("zero", [z for z in ZEROS if z in digits.ACCEPTED_ZEROS] + ["０", "५", "๐"])
def test_register_page_in_every_script(client, db, zero: str) -> None:  # type: ignore[no-untyped-def]
    citizen = create_account(db, "citizen1", birth_date=dt.date(1985, 3, 21))
    db.commit()
    people = count(db, Person)
    token = csrf_of(client.get("/register").text)
    form = {**registration(written(citizen.person.national_code, zero), "someone", written("1364/01/01", zero)),
            "password_again": "Good-password-77", "csrf_token": token}
    r = client.post("/register", data=form)
    assert r.status_code == 422 and 'id="f-national_code-error"' in r.text
    if zero not in digits.ACCEPTED_ZEROS:
        assert 'id="f-birth_date-error"' in r.text
    assert count(db, Person) == people


def test_submission_in_every_script(client, db) -> None:  # type: ignore[no-untyped-def]
    """A service form's national code, postal code and date, written in each script."""
    from tests.services.helpers import address_answers, arrange
    from tests.services.test_services_api import upload

    accounts = arrange(db)
    db.commit()
    citizen = accounts["citizen"]
    headers = auth(api_token(client, citizen))
    code = citizen.person.national_code
    stored = 0
    for n, (zero, accepted) in enumerate(CASES):
        answers = address_answers(citizen, national_code=written(code, zero), postal_code=written("1234567890", zero),
                                  moved_on=written("1403/05/12", zero))
        body = {"service_id": "address-change", "answers": answers,
                "documents": {"proof_of_address": upload(client, headers, "documents.proof_of_address")}}
        r = client.post("/api/v1/services/applications", headers={**headers, "Idempotency-Key": f"k-{n}"}, json=body)
        if accepted:
            assert r.status_code == 201, (zero, r.text)
            stored += 1
        else:
            assert r.status_code == 422, (zero, r.text)
            fields = {d["field"] for d in r.json()["error"]["details"]}
            assert fields == {"national_code", "postal_code", "moved_on"}, r.text
            assert {d["code"] for d in r.json()["error"]["details"]} == {"digits_script"}
    for char in OTHER_NUMERIC:
        answers = address_answers(citizen, national_code=with_other(code, char))
        r = client.post("/api/v1/services/applications", headers=headers,
                        json={"service_id": "address-change", "answers": answers, "documents": {}})
        assert r.status_code == 422 and "national_code" in {d["field"] for d in r.json()["error"]["details"]}
    rows = list(db.scalars(select(Application)))
    assert len(rows) == stored == len(digits.ACCEPTED_ZEROS)
    for app in rows:
        assert app.answers["national_code"] == code and app.answers["postal_code"] == "1234567890"
        assert app.answers["moved_on"] == "2024-08-02"


def test_wage_report_check_in_every_script(client, db) -> None:  # type: ignore[no-untyped-def]
    """The same worker twice (Latin and another script) is a duplicate or a refused cell, never two workers."""
    from smartgov.insurance.wagereport import month_length
    from tests.insurance.support import WAGE, arrange, codes, last_month

    a = arrange(db)
    db.commit()
    boss = auth(api_token(client, a["boss"]))
    year, month = last_month()
    days = min(30, month_length(year, month))
    worker, other = codes(2)
    for zero, accepted in CASES + [(c, False) for c in OTHER_NUMERIC]:
        spelled = written(worker, zero) if len(zero) == 1 and zero in ZEROS else with_other(worker, zero)
        wage = written(str(WAGE), zero) if zero in ZEROS else with_other(str(WAGE), zero)
        csv = (f"national_code,first_name,last_name,start_date,days_worked,monthly_wage\n"
               f"{worker},علی,رضایی,1400/01/01,{days},{WAGE}\n"
               f"{spelled},علی,رضایی,1400/01/01,{days},{WAGE}\n"
               f"{other},سارا,احمدی,1400/01/01,{days},{wage}\n").encode()
        r = client.post("/api/v1/insurance/wage-reports/check", headers=boss, data={"year": year, "month": month},
                        files={"file": ("list.csv", csv, "text/csv")})
        assert r.status_code == 200, r.text
        check = r.json()
        assert check["valid"] is False, (zero, check)
        found = {(e["row"], e["column"], e["code"]) for e in check["errors"]}
        if accepted:
            assert found == {(3, "national_code", "duplicate_national_code")}, (zero, found)
        else:
            assert (3, "national_code", "digits_script") in found or \
                (3, "national_code", "national_code_invalid") in found, (zero, found)
            assert (4, "monthly_wage", "digits_script") in found or (4, "monthly_wage", "amount_invalid") in found
    ok = client.post("/api/v1/insurance/wage-reports/check", headers=boss, data={"year": year, "month": month},
                     files={"file": ("list.csv", (f"national_code,first_name,last_name,start_date,days_worked,"
                                                  f"monthly_wage\n{written(worker, '۰')},علی,رضایی,"
                                                  f"{written('1400/01/01', '٠')},{days},{written(str(WAGE), '۰')}\n"
                                                  ).encode(), "text/csv")}).json()
    assert ok["valid"] and ok["rows"] == 1 and ok["total_wages"] == WAGE


def test_exchange_request_in_every_script(client, db, database) -> None:  # type: ignore[no-untyped-def]
    """A member asking about a person whose code is in another script: the same person, or refused by name."""
    from tests.exchange.support import registry, request

    cases = CASES + [(c, False) for c in OTHER_NUMERIC]
    with database.unit_of_work() as s:
        reg = registry(s)
        code = create_person(s).national_code
        messages = [request(s, reg.client, reg.service, written(code, zero) if zero in ZEROS else
                            with_other(code, zero)) for zero, _accepted in cases]
    for (zero, accepted), message in zip(cases, messages, strict=True):
        r = client.post("/api/v1/exchange/messages", json=message)
        if accepted:
            assert r.status_code == 200, (zero, r.text)
            assert r.json()["envelope"]["body"]["national_code"] == code
        else:
            assert r.status_code == 422, (zero, r.text)
            assert r.json()["error"] == {**r.json()["error"], "code": "invalid_person", "field": "envelope.person"}
    served = set(db.scalars(select(ExchangeMessage.person).where(ExchangeMessage.outcome == "served")))
    assert served == {code}


def test_sms_in_every_script(client, db) -> None:  # type: ignore[no-untyped-def]
    """The sender's number and a command's numbers, in each script: read, or answered with what to fix."""
    from smartgov.participation import service
    from tests.participation.helpers import agency, citizen
    from tests.participation.test_participation_api import sms_post

    org = agency(db)
    author = citizen(db, "author")
    petition = service.create_petition(db, account=author, organization=org, title="Thursday offices",
                                       body="Please open the offices on Thursdays for workers.", threshold=5)
    citizen(db, "texter", phone="09127770003")
    db.commit()
    before = petition.signature_count
    for n, (zero, accepted) in enumerate(CASES):
        reply = sms_post(client, written("+98 912 777 0003", zero), f"SIGN {petition.id}", f"a-{n}").json()["reply"]
        assert ("not linked" not in reply) is accepted, (zero, reply)
        reply = sms_post(client, "09127770003", f"SIGN {written(str(petition.id), zero)}", f"b-{n}").json()["reply"]
        assert ("0–9" not in reply) is accepted, (zero, reply)
    for n, char in enumerate(OTHER_NUMERIC):
        reply = sms_post(client, "09127770003", f"SIGN 1{char}", f"c-{n}").json()["reply"]
        assert "0–9" in reply or "Not found" in reply, (char, reply)
    db.expire_all()
    assert service.petition_by_id(db, petition.id).signature_count == before + 1  # the texter, once


@pytest.mark.parametrize("zero", ["۰", "٠", "０", "५"])
def test_wage_report_upload_files_each_worker_once(client, db, zero: str) -> None:  # type: ignore[no-untyped-def]
    """The employer's upload page: a worker repeated in another script is one worker (refused as a
    duplicate) or a refused cell; the workshop code typed in that script is the same workshop or refused."""
    from smartgov.insurance.models import WageReport, WageReportRow
    from smartgov.insurance.wagereport import month_length
    from tests.exchange.support import login
    from tests.insurance.support import arrange, codes, last_month, wage_csv

    a = arrange(db)
    db.commit()
    login(client, a["boss"], "/insurance/employer")
    token = csrf_of(client.get("/insurance/employer").text)
    year, month = last_month()
    days = min(30, month_length(year, month))
    worker, other = codes(2)
    accepted = zero in digits.ACCEPTED_ZEROS
    form = {"csrf_token": token, "workshop_code": written("2000001", zero), "year": str(year), "month": str(month)}
    twice = wage_csv([worker, other], days=days, extra=f"{written(worker, zero)},علی,رضایی,1400/01/01,{days},90000000\n")
    r = client.post("/insurance/employer/wage-reports", data=form, files={"report_file": ("l.csv", twice, "text/csv")})
    assert r.status_code == 422, r.text
    assert ('id="wage-errors"' in r.text) is accepted and ('id="f-workshop_code-error"' in r.text) is not accepted
    once = wage_csv([written(worker, zero), other], days=days)
    r = client.post("/insurance/employer/wage-reports", data=form, files={"report_file": ("l.csv", once, "text/csv")},
                    follow_redirects=False)
    assert r.status_code == (303 if accepted else 422), r.text
    assert db.scalar(select(func.count()).select_from(WageReport)) == (1 if accepted else 0)
    assert set(db.scalars(select(WageReportRow.national_code))) == ({worker, other} if accepted else set())
