"""Pages: my record in Persian, the prefilled pension journey with its working, the wage upload with its
error table, officials' views, and the demo population."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from smartgov import demo
from smartgov.identity import nationalcode
from smartgov.insurance import demo as insurance_demo
from smartgov.insurance import pages, service
from smartgov.insurance.models import Contribution, InsuredPerson, WageReport
from smartgov.insurance.wagereport import month_length
from smartgov.services.models import Application
from tests.exchange.support import csrf_of, login

from .support import arrange, codes, last_month, wage_csv


def test_my_record_page_in_persian(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    login(client, a["young"], "/insurance")
    html = client.get("/insurance").text
    year, _month = last_month()
    assert "سابقهٔ بیمهٔ من" in html and "کارگاه ب" in html
    assert service.insurance_number_for(a["young"].person.national_code).translate(
        str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in html
    assert str(year) not in html and str(year).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in html
    assert "۱۰ سال و" in html
    # ten years of months read year by year: 10 or 11 Jalali years, only the newest open
    assert html.count('<details class="year"') in (10, 11) and html.count('<details class="year" open>') == 1
    months = service.monthly_record(db, a["young"].person.national_code)
    newest = pages.by_year(list(reversed(months)))[0]
    assert newest["year"] == year and newest["days"] == sum(m.days for m in months if m.year == year)
    estimate = client.get("/insurance/pension").text
    assert "هنوز شرایط بازنشستگی را ندارید." in estimate
    # each way to qualify is shown with its own conditions and outcome
    assert "یکی از این راه‌ها کافی است." in estimate and "بازنشستگی با شرط سن" in estimate
    assert "بازنشستگی با ۳۰ سال سابقه" in estimate and estimate.count("از این راه هنوز شرایط را ندارید.") == 2


def test_pension_pages_show_the_prefilled_record_and_the_working(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    login(client, a["retiree"], "/services/pension-retirement")
    r = client.get("/services/pension-retirement/apply", follow_redirects=True)
    assert r.status_code == 200 and "prefilled-history" in r.text and "سابقهٔ بیمهٔ شما" in r.text
    assert "تبادل اطلاعات" in r.text
    code = a["retiree"].person.national_code
    accesses = client.get("/api/v1/exchange/my-data-access").json()["items"]
    assert {x["what"] for x in accesses} >= {"contribution-history", "person-status"}
    token = csrf_of(r.text)
    r = client.post("/services/pension-retirement/apply/1", data={
        "csrf_token": token, "bank_account": "120170000000123456789012", "last_day_of_work": "",
        "declaration": "yes"}, follow_redirects=True)
    assert r.status_code == 200, r.text
    check = client.get("/services/pension-retirement/check")
    r = client.post("/services/pension-retirement/submit", data={
        "csrf_token": csrf_of(check.text), "idempotency_key": "p-1"}, follow_redirects=True)
    assert r.status_code == 200, r.text
    ref = db.scalar(select(Application.reference))
    page = client.get(f"/services/applications/{ref}").text
    assert "pension-working" in page and "نحوهٔ محاسبهٔ مبلغ" in page and "متوسط دستمزد ماهانه" in page
    assert db.scalar(select(func.count()).select_from(Application).where(Application.person_id.is_not(None))) == 1
    # another citizen cannot open it
    client.cookies.clear()
    login(client, a["young"], "/insurance")
    assert client.get(f"/services/applications/{ref}").status_code == 404
    # the official's case page shows the working too
    client.cookies.clear()
    login(client, a["official"], "/services/inbox")
    case = client.get(f"/services/inbox/{ref}").text
    assert "pension-working" in case and code  # working on the case page


def test_the_start_page_keeps_the_record_of_the_data_it_read(client, db) -> None:  # type: ignore[no-untyped-def]
    """Judging eligibility reads the person's record through the exchange: the read is logged and kept.

    The start page used to answer without committing, so its exchange log and who-read-my-data
    records were rolled back — and every view asked the exchange again instead of reusing the
    verified answer of the last 30 minutes.
    """
    from smartgov.exchange.models import ExchangeMessage, PersonDataAccess

    a = arrange(db)
    db.commit()
    code = a["retiree"].person.national_code
    login(client, a["retiree"], "/services/pension-retirement")
    assert client.get("/services/pension-retirement").status_code == 200
    logged = db.scalar(select(func.count()).select_from(ExchangeMessage).where(ExchangeMessage.person == code))
    read = db.scalar(select(func.count()).select_from(PersonDataAccess).where(PersonDataAccess.national_code == code))
    assert logged and read
    assert client.get("/services/pension-retirement").status_code == 200  # within the 30 minutes: reused
    assert db.scalar(select(func.count()).select_from(ExchangeMessage).where(ExchangeMessage.person == code)) == logged


def test_wage_upload_page_shows_each_bad_cell_and_imports_nothing(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    login(client, a["boss"], "/insurance/employer")
    page = client.get("/insurance/employer")
    assert page.status_code == 200 and "کارگاه الف" in page.text and "کارگاه ب" not in page.text
    year, month = last_month()
    bad = wage_csv(codes(2), extra="1234567890,علی,رضایی,1400/01/01,30,90000000\n")
    r = client.post("/insurance/employer/wage-reports", data={
        "csrf_token": csrf_of(page.text), "workshop_code": "2000001", "year": str(year), "month": str(month)},
        files={"report_file": ("list.csv", bad, "text/csv")})
    assert r.status_code == 422 and 'id="wage-errors"' in r.text and "national_code" in r.text
    assert "۴" in r.text  # the row number, in Persian digits
    assert db.scalar(select(func.count()).select_from(WageReport)) == 0
    days = min(30, month_length(year, month))
    r = client.post("/insurance/employer/wage-reports", data={
        "csrf_token": csrf_of(page.text), "workshop_code": "2000001", "year": str(year), "month": str(month)},
        files={"report_file": ("list.csv", wage_csv(codes(2), days=days), "text/csv")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    shown = client.get(r.headers["location"]).text
    assert 'id="wage-report"' in shown and "حق بیمهٔ قابل پرداخت" in shown
    # a workshop of another business is refused
    r = client.post("/insurance/employer/wage-reports", data={
        "csrf_token": csrf_of(page.text), "workshop_code": "2000002", "year": str(year), "month": str(month)},
        files={"report_file": ("list.csv", wage_csv(codes(2), days=days), "text/csv")})
    assert r.status_code == 422 and db.scalar(select(func.count()).select_from(WageReport)) == 1


def test_demo_population_is_idempotent_and_the_citizen_can_retire(database) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as db:
        demo.load_identity(db, random.Random(1405), 30)
    for _ in range(2):
        with database.unit_of_work() as db:
            insurance_demo.load_demo(db, random.Random(1405), 30)
    with database.sessions() as db:
        people = db.scalar(select(func.count()).select_from(InsuredPerson))
        assert people == 30 + len(demo.STAFF)
        citizen = nationalcode.make(next(p for _r, u, *_x, p in demo.STAFF if u == "citizen"))
        from smartgov.identity import person_by_code

        estimate = service.pension_estimate(db, person_by_code(db, citizen))
        assert estimate.eligibility.eligible and estimate.pension is not None
        assert db.scalar(select(func.count()).select_from(Contribution)) > 30 * 12
        eligible = 0
        for code, in db.execute(select(InsuredPerson.national_code)).all():
            person = person_by_code(db, code)
            if person is not None and service.pension_estimate(db, person).eligibility.eligible:
                eligible += 1
        assert 1 < eligible < people
