"""The four social-security services through the API, end to end, and the walls between people."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from smartgov.exchange.models import ExchangeMessage, PersonDataAccess
from smartgov.insurance.models import (
    Contribution,
    InsuredPerson,
    MedicalClaim,
    Pension,
    WageReport,
    WageReportRow,
    WageReportStatus,
)
from smartgov.insurance.wagereport import month_length
from smartgov.services.models import Application
from smartgov.services.payments import SimulatedGateway
from tests.factories import api_token, auth

from .support import API, PDF, WAGE, arrange, codes, last_month, wage_csv

S = f"{API}/services"
I = f"{API}/insurance"  # noqa: E741


def tokens(client, accounts, *names):  # type: ignore[no-untyped-def]
    return {n: auth(api_token(client, accounts[n])) for n in names}


def pay_twice(client, headers, reference: str, amount: int) -> None:  # type: ignore[no-untyped-def]
    started = client.post(f"{S}/applications/{reference}/pay", headers=headers)
    assert started.status_code == 201, started.text
    token = started.json()["redirect_url"].rsplit("/", 1)[1]
    callback = SimulatedGateway().sign(token, "success", amount, "SIM-INS")
    assert client.post(f"{S}/payments/callback/simulated", data=callback).status_code == 200
    assert client.post(f"{S}/payments/callback/simulated", data=callback).status_code == 200


def file_report(client, headers, data: bytes, *, year: int, month: int, key: str = "k1"):  # type: ignore[no-untyped-def]
    up = client.post(f"{S}/files", headers=headers, data={"service_id": "employer-wage-report", "field": "report_file"},
                     files={"file": ("list.csv", data, "text/csv")})
    assert up.status_code == 201, up.text
    return client.post(f"{S}/applications", headers={**headers, "Idempotency-Key": key}, json={
        "service_id": "employer-wage-report", "organization": "emp-a",
        "answers": {"workshop_code": "2000001", "year": year, "month": str(month), "report_file": up.json()}})


# --------------------------------------------------------------------------- record certificate


def test_record_certificate_is_issued_at_once_and_verifies(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    t = tokens(client, a, "retiree", "outsider")
    r = client.post(f"{S}/applications", headers=t["retiree"],
                    json={"service_id": "insurance-record", "answers": {"purpose": "bank"}})
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["state"] == "issued" and app["decided_automatically"]
    rec = app["computed"]["insurance_record"]
    assert rec["total_days"] == db.scalar(select(func.sum(Contribution.days)).where(
        Contribution.national_code == a["retiree"].person.national_code))
    assert rec["years"] == 25 and [e["workshop_code"] for e in rec["employers"]] == ["2000001"]
    doc = app["issued_documents"][0]
    record = client.get(doc["json_url"], headers=t["retiree"]).json()
    labels = [f["label_en"] for f in record["document"]["fields"]]
    assert "Insurance number" in labels and "Employer: Workshop A" in labels and "Days by year" in labels
    assert client.get(f"{S}/verify/{doc['id']}").json()["valid"] is True
    pdf = client.get(doc["pdf_url"], headers=t["retiree"]).content
    assert client.post(f"{S}/verify", files={"file": ("c.pdf", pdf, "application/pdf")}).json()["valid"]
    record["document"]["fields"][1]["value_en"] = "40 years"
    assert client.post(f"{S}/verify", files={"file": ("c.json", json.dumps(record).encode(),
                                                      "application/json")}).json()["valid"] is False
    # someone with no record is told why, and nothing is created
    r = client.post(f"{S}/applications", headers=t["outsider"],
                    json={"service_id": "insurance-record", "answers": {"purpose": "bank"}}, params={"lang": "en"})
    assert r.status_code == 422 and "no insurance record" in r.json()["error"]["message"]
    assert db.scalar(select(func.count()).select_from(Application)) == 1


def test_my_record_and_contributions_are_my_own(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    t = tokens(client, a, "young", "outsider")
    me = client.get(f"{I}/me", headers=t["young"]).json()
    assert me["national_code"] == a["young"].person.national_code and me["years"] == 10
    page = client.get(f"{I}/me/contributions", headers=t["young"], params={"per_page": 5}).json()
    assert page["total"] == 120 and page["items"][0]["workshop_code"] == "2000002"
    assert (page["items"][0]["year"], page["items"][0]["month"]) == last_month()
    assert client.get(f"{I}/me", headers=t["outsider"]).status_code == 404
    estimate = client.get(f"{I}/me/pension-estimate", headers=t["young"]).json()
    assert estimate["eligible"] is False and any(not r["met"] for r in estimate["reasons"])


# --------------------------------------------------------------------------- wage reports


def test_wage_report_journey_credits_each_worker_once(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    t = tokens(client, a, "boss", "rival", "official")
    year, month = last_month()
    days = min(30, month_length(year, month))
    workers = [a["retiree"].person.national_code, *codes(3)]
    r = file_report(client, t["boss"], wage_csv(workers, days=days), year=year, month=month)
    assert r.status_code == 201, r.text
    app = r.json()
    imported = app["computed"]["wage_report_import"]
    assert imported["rows"] == 4 and app["fee"] == imported["amount_due"] > 0
    assert imported["amount_due"] == imported["employer_share"] + imported["insured_share"]
    assert app["state"] == "awaiting_payment" and app["invoices"][0]["amount"] == app["fee"]
    ref = app["reference"]
    before = db.scalar(select(func.count()).select_from(Contribution))
    # the same month again is refused while the first report stands
    again = file_report(client, t["boss"], wage_csv(workers, days=days), year=year, month=month, key="k2")
    assert again.status_code == 409 and again.json()["error"]["code"] == "wage_report_exists"

    pay_twice(client, t["boss"], ref, app["fee"])
    done = client.get(f"{S}/applications/{ref}", headers=t["boss"]).json()
    assert done["state"] == "credited" and done["issued_documents"]
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Contribution)) == before + 4
    assert db.scalar(select(WageReport.status)) == WageReportStatus.CREDITED
    assert db.scalar(select(func.count()).select_from(InsuredPerson).where(
        InsuredPerson.national_code.in_(workers[1:]))) == 3
    credited = db.scalar(select(Contribution).where(Contribution.national_code == workers[1]))
    assert (credited.year, credited.month, credited.days, credited.wage) == (year, month, days, WAGE)

    # employers see their own reports only
    mine = client.get(f"{I}/employers/emp-a/wage-reports", headers=t["boss"]).json()
    assert mine["total"] == 1 and mine["items"][0]["status"] == "credited"
    assert client.get(f"{I}/employers/emp-a/wage-reports", headers=t["rival"]).status_code == 404
    assert client.get(f"{I}/employers/emp-a/workshops", headers=t["rival"]).status_code == 404
    assert client.get(f"{I}/employers/emp-b/workshops", headers=t["rival"]).json()[0]["code"] == "2000002"
    assert client.get(f"{I}/wage-reports/{ref}", headers=t["rival"]).status_code == 404
    assert client.get(f"{S}/applications/{ref}", headers=t["rival"]).status_code == 404
    assert client.get(f"{I}/wage-reports/{ref}", headers=t["official"]).json()["rows"] == 4
    # a business cannot file for a workshop of another business
    r = client.post(f"{S}/applications", headers=t["rival"], json={
        "service_id": "employer-wage-report", "organization": "emp-a",
        "answers": {"workshop_code": "2000001", "year": year, "month": str(month)}})
    assert r.status_code == 403


def test_wage_reports_go_to_the_branch_of_the_workshops_province(client, db) -> None:  # type: ignore[no-untyped-def]
    from smartgov.identity import Role, organization_by_code
    from tests.factories import create_account, create_agency

    a = arrange(db)
    create_agency(db, "sso-frs", parent="sso", province="Fars")
    a["official_frs"] = create_account(db, "official-frs", Role.OFFICIAL, organization="sso-frs")
    db.commit()
    t = tokens(client, a, "boss", "rival", "official", "official_frs")
    year, month = last_month()
    days = min(30, month_length(year, month))
    tehran = file_report(client, t["boss"], wage_csv(codes(2), days=days), year=year, month=month)
    up = client.post(f"{S}/files", headers=t["rival"], data={"service_id": "employer-wage-report",
                                                             "field": "report_file"},
                     files={"file": ("list.csv", wage_csv(codes(2, start=310_000_000), days=days), "text/csv")})
    fars = client.post(f"{S}/applications", headers=t["rival"], json={
        "service_id": "employer-wage-report", "organization": "emp-b",
        # typed in Persian digits: the routing rule reads the code as the form does
        "answers": {"workshop_code": "۲۰۰۰۰۰۲", "year": year, "month": str(month), "report_file": up.json()}})
    assert tehran.status_code == 201 and fars.status_code == 201, (tehran.text, fars.text)
    branch = {r.reference: r.branch_id for r in db.scalars(select(Application))}
    assert branch[tehran.json()["reference"]] == organization_by_code(db, "sso-thr").id
    assert branch[fars.json()["reference"]] == organization_by_code(db, "sso-frs").id
    ref = fars.json()["reference"]
    # the Tehran official does not see the Fars workshop's report; the Fars official does
    assert client.get(f"{S}/applications/{ref}", headers=t["official"]).status_code == 404
    assert client.get(f"{I}/wage-reports/{ref}", headers=t["official"]).status_code == 404
    assert client.get(f"{I}/wage-reports/{ref}", headers=t["official_frs"]).json()["rows"] == 2
    assert [c["reference"] for c in client.get(f"{S}/inbox", headers=t["official_frs"]).json()["items"]] == [ref]


def test_bad_wage_csv_is_refused_row_by_row_and_nothing_is_imported(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    t = tokens(client, a, "boss")
    year, month = last_month()
    good = codes(2)
    bad = wage_csv(good, extra="1234567890,علی,رضایی,1400/01/01,30,90000000\n"
                               f"{good[0]},مریم,احمدی,1400/13/01,30,1000\n")
    r = file_report(client, t["boss"], bad, year=year, month=month)
    assert r.status_code == 422, r.text
    fields = [d["field"] for d in r.json()["error"]["details"]]
    assert "report_file: row 4, column national_code" in fields
    assert "report_file: row 5, column national_code" in fields  # a duplicate of row 2
    assert "report_file: row 5, column start_date" in fields
    assert "report_file: row 5, column monthly_wage" in fields
    for table in (Application, WageReport, WageReportRow, Contribution):
        before = 0 if table is not Contribution else 12 * 35
        assert db.scalar(select(func.count()).select_from(table)) == before, table
    # the check route says the same without filing anything
    check = client.post(f"{I}/wage-reports/check", headers=t["boss"], data={"year": year, "month": month},
                        files={"file": ("list.csv", bad, "text/csv")}).json()
    assert check["valid"] is False and {"row": 4, "column": "national_code"}.items() <= check["errors"][0].items()
    ok = client.post(f"{I}/wage-reports/check", headers=t["boss"], data={"year": year, "month": month},
                     files={"file": ("list.csv", wage_csv(good, days=min(30, month_length(year, month))),
                                     "text/csv")}).json()
    assert ok["valid"] and ok["rows"] == 2 and ok["amount_due"] > 0


def test_fifty_thousand_rows_import_in_one_transaction(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    t = tokens(client, a, "boss")
    year, month = last_month()
    days = min(30, month_length(year, month))
    workers = codes(50_000, start=400_000_000)
    # one bad row at the very end: the 49,999 good rows before it are not kept either
    spoiled = wage_csv(workers[:-1], days=days, extra=f"{workers[-1]},علی,رضایی,1400/01/01,{days},5\n")
    r = file_report(client, t["boss"], spoiled, year=year, month=month, key="bad")
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "report_file: row 50001, column monthly_wage"
    assert db.scalar(select(func.count()).select_from(WageReportRow)) == 0
    r = file_report(client, t["boss"], wage_csv(workers, days=days), year=year, month=month, key="good")
    assert r.status_code == 201, r.text
    app = r.json()
    assert db.scalar(select(func.count()).select_from(WageReportRow)) == 50_000
    assert app["computed"]["wage_report_import"]["rows"] == 50_000
    pay_twice(client, t["boss"], app["reference"], app["fee"])
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Contribution).where(Contribution.report_id.is_not(None))) == 50_000
    assert db.scalar(select(func.count()).select_from(InsuredPerson)) == 50_000 + 2


# --------------------------------------------------------------------------- pensions


def test_pension_journey_through_the_exchange(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    t = tokens(client, a, "retiree", "young", "official", "stranger")
    prefill = client.get(f"{S}/catalog/pension-retirement/prefill", headers=t["retiree"])
    assert prefill.status_code == 200 and prefill.json()["eligibility_problems"] == []
    answers = {"bank_account": "120170000000123456789012", "declaration": True}
    r = client.post(f"{S}/applications", headers=t["retiree"], json={"service_id": "pension-retirement",
                                                                     "answers": answers})
    assert r.status_code == 201, r.text
    app = r.json()
    p = app["computed"]["pension_assess"]
    assert p["eligible"] and p["rule"] == "age" and p["contribution_years"] == 25
    # 24 months of 90,000,000: average × days ÷ (365 × 30), above the minimum pension
    assert p["average_wage"] == WAGE and p["amount"] == (WAGE * p["contribution_days"] * 2 + 365 * 30) // (2 * 365 * 30)
    assert [s["code"] for s in p["steps"]][-1] == "pension" and p["steps"][-1]["value"] == p["amount"]
    assert p["steps"][1]["label_fa"].startswith("متوسط دستمزد")
    ref = app["reference"]
    # asked through the exchange once (the prefill's answer was reused at submission)
    served = db.scalar(select(func.count()).select_from(ExchangeMessage).where(
        ExchangeMessage.outcome == "served", ExchangeMessage.service_code == "contribution-history"))
    assert served == 1

    assert client.get(f"{I}/pensions/{ref}", headers=t["young"]).status_code == 404
    assert client.get(f"{I}/pensions/{ref}", headers=t["stranger"]).status_code == 404
    seen = client.get(f"{I}/pensions/{ref}", headers=t["official"]).json()
    assert seen["amount"] == p["amount"] and seen["status"] == "proposed"
    r = client.post(f"{S}/applications/{ref}/transitions", headers=t["official"],
                    json={"action": "approve", "reason": "سابقه و سن احراز شد."})
    assert r.status_code == 200 and r.json()["state"] == "approved"
    doc = r.json()["issued_documents"][0]
    record = client.get(doc["json_url"], headers=t["retiree"]).json()
    fields = {f["label_en"]: f["value_en"] for f in record["document"]["fields"]}
    assert fields["Monthly pension granted (rial)"] == f"{p['amount']:,}"
    assert client.get(f"{S}/verify/{doc['id']}").json()["valid"] is True
    db.expire_all()
    row = db.scalar(select(Pension))
    assert row.status.value == "approved" and row.decision_ref == doc["id"]
    assert db.scalar(select(InsuredPerson.status).where(
        InsuredPerson.national_code == a["retiree"].person.national_code)).value == "retired"

    # who read my data: the exchange calls with their purpose, and the official's look at the pension
    accesses = client.get(f"{API}/exchange/my-data-access", headers=t["retiree"]).json()["items"]
    seen_by = {(x["what"], x["purpose"]) for x in accesses}
    assert ("contribution-history", "pension-claim") in seen_by and ("person-status", "pension-claim") in seen_by
    assert ("insurance.pension", "pension-claim") in seen_by
    look = next(x for x in accesses if x["what"] == "insurance.pension")
    assert look["what_label"].startswith("درخواست مستمری ") and look["purpose_label"] != "pension-claim"
    assert db.scalar(select(func.count()).select_from(PersonDataAccess).where(
        PersonDataAccess.national_code == a["young"].person.national_code)) == 0


def test_pension_refused_with_reasons_when_not_eligible(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    t = tokens(client, a, "young")
    r = client.post(f"{S}/applications", headers=t["young"], params={"lang": "en"}, json={
        "service_id": "pension-retirement", "answers": {"bank_account": "120170000000123456789012",
                                                        "declaration": True}})
    assert r.status_code == 422
    messages = [d["message"] for d in r.json()["error"]["details"]]
    assert "Age 35 is below the required 55." in messages
    assert any("below the required 30 years" in m for m in messages)
    assert db.scalar(select(func.count()).select_from(Application)) == 0
    assert db.scalar(select(func.count()).select_from(Pension)) == 0


# --------------------------------------------------------------------------- medical claims


def test_medical_claim_partial_approval_and_payment(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    t = tokens(client, a, "young", "retiree", "official")
    receipts = []
    for i in range(2):
        up = client.post(f"{S}/files", headers=t["young"], data={"service_id": "medical-reimbursement",
                                                                  "field": f"items[{i}].receipt"},
                         files={"file": (f"r{i}.pdf", PDF, "application/pdf")})
        assert up.status_code == 201, up.text
        receipts.append(up.json())
    items = [{"category": "outpatient", "description": "ویزیت متخصص", "amount": 4_000_000, "receipt": receipts[0]},
             {"category": "medicine", "description": "دارو", "amount": 10_000_000, "receipt": receipts[1]}]
    r = client.post(f"{S}/applications", headers=t["young"], json={
        "service_id": "medical-reimbursement", "answers": {"items": items, "bank_account": "120170000000123456789012"}})
    assert r.status_code == 201, r.text
    ref = r.json()["reference"]
    assert r.json()["computed"]["medical_claim_register"]["claimed"] == 14_000_000
    assert client.get(f"{I}/medical-claims/{ref}", headers=t["retiree"]).status_code == 404
    assert client.put(f"{I}/medical-claims/{ref}/approved-amounts", headers=t["young"],
                      json={"items": [{"position": 1, "approved_amount": 1}]}).status_code == 403
    client.post(f"{S}/applications/{ref}/transitions", headers=t["official"], json={"action": "start_review"})
    too_much = client.put(f"{I}/medical-claims/{ref}/approved-amounts", headers=t["official"],
                          json={"items": [{"position": 2, "approved_amount": 10_000_001}]})
    assert too_much.status_code == 422 and too_much.json()["error"]["field"] == "items[2].approved_amount"
    r = client.put(f"{I}/medical-claims/{ref}/approved-amounts", headers=t["official"],
                   json={"items": [{"position": 2, "approved_amount": 6_000_000}]})
    assert r.status_code == 200 and r.json()["items"][1]["approved_amount"] == 6_000_000
    r = client.post(f"{S}/applications/{ref}/transitions", headers=t["official"],
                    json={"action": "approve", "reason": "دارو تا سقف نسخه پذیرفته شد."})
    assert r.status_code == 200 and r.json()["state"] == "approved"
    decided = r.json()["computed"]["medical_claim_decide"]
    # 70 % of 4,000,000 + 70 % of the 6,000,000 accepted
    assert decided == {**decided, "claimed": 14_000_000, "approved": 10_000_000, "reimbursed": 7_000_000,
                       "partial": True}
    r = client.post(f"{S}/applications/{ref}/transitions", headers=t["official"],
                    json={"action": "record_payment", "reason": "واریز به حساب شبا"})
    assert r.status_code == 200 and r.json()["state"] == "paid"
    claim = client.get(f"{I}/medical-claims/{ref}", headers=t["young"]).json()
    assert claim["status"] == "paid" and claim["reimbursed"] == 7_000_000 and claim["payment_reference"]
    assert [i["reimbursed"] for i in claim["items"]] == [2_800_000, 4_200_000]
    doc = r.json()["issued_documents"][0]
    fields = {f["label_en"]: f["value_en"] for f in client.get(doc["json_url"], headers=t["young"]).json()[
        "document"]["fields"]}
    assert fields["Amount reimbursed (rial)"] == "7,000,000" and fields["Payment reference"]
    db.expire_all()
    assert db.scalar(select(MedicalClaim.paid_at)) is not None
