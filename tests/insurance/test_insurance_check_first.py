"""Check before you fill: who cannot apply is told why on the start page, before the long form."""

from __future__ import annotations

from sqlalchemy import func, select

from smartgov.services.models import Draft
from tests.factories import csrf_of, page_login
from tests.insurance.support import arrange


def test_an_ineligible_35_year_old_is_told_before_the_pension_form(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    page_login(client, a["young"], "/home")
    start = client.get("/services/pension-retirement?lang=en").text
    assert "You cannot apply, because:" in start
    assert "Age 35 is below the required 55." in start  # the reason, with her own figures
    assert "below the required 30 years" in start
    assert "/services/pension-retirement/apply" not in start and "Start now" not in start  # no way into the form
    fa = client.get("/services/pension-retirement?lang=fa").text
    assert "نمی‌توانید درخواست دهید، زیرا:" in fa and "۳۵" in fa
    # the form itself sends her back to the reason, and nothing is kept
    r = client.get("/services/pension-retirement/apply", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/services/pension-retirement"
    assert db.scalar(select(func.count()).select_from(Draft)) == 0


def test_a_question_eligibility_depends_on_is_asked_first(client, db) -> None:  # type: ignore[no-untyped-def]
    a = arrange(db)
    db.commit()
    page_login(client, a["retiree"], "/home")
    start = client.get("/services/pension-retirement?lang=en").text
    assert "You cannot apply" not in start and "First, check whether you can apply" in start
    assert 'name="declaration"' in start and 'name="bank_account"' not in start  # only what the rules read
    r = client.post("/services/pension-retirement/eligibility?lang=en",
                    data={"declaration": "no", "csrf_token": csrf_of(start)})
    assert r.status_code == 422 and "You cannot apply, because:" in r.text
    assert "You must accept the declaration to receive a pension." in r.text
    r = client.post("/services/pension-retirement/eligibility", data={"csrf_token": csrf_of(start)})
    assert r.status_code == 422 and 'href="#f-declaration"' in r.text  # unanswered: the error points at it
    r = client.post("/services/pension-retirement/eligibility", data={"declaration": "yes",
                                                                      "csrf_token": csrf_of(start)},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/services/pension-retirement/apply/1"
    page = client.get("/services/pension-retirement/apply/1").text
    assert 'value="yes" checked' in page  # the answer carried into the form
