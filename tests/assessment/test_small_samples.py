"""Small samples said plainly: a chart that cannot be drawn from the answers so far is replaced by a
sentence saying why (page and PDF, fa and en), and texts cite the framework in use, not another's."""

from __future__ import annotations

import io

import pytest

from smartgov.assessment import charts, service
from smartgov.assessment.demo import simulated_frame
from smartgov.identity import service as identity_service
from smartgov.identity.models import Role
from tests.assessment.test_assessment_service import _xlsx
from tests.factories import create_account, create_agency, page_login


@pytest.fixture
def admin(db):  # type: ignore[no-untyped-def]
    create_agency(db, "agency-a")
    account = create_account(db, "admin-a", role=Role.AGENCY_ADMIN, organization="agency-a")
    db.commit()
    return account


def _round(db, framework: str, respondents: int):  # type: ignore[no-untyped-def]
    rnd = service.create_round(db, organization=identity_service.organization_by_code(db, "agency-a"),
                               framework_id=framework, title_fa="دور یک", title_en="Round one")
    if respondents:
        frame = simulated_frame(rnd.instrument, respondents, seed=3)
        service.import_responses(db, rnd, "a.xlsx", _xlsx(frame, [f"p{n}" for n in range(respondents)]))
    db.commit()
    return rnd


def test_one_respondent_gets_sentences_not_an_empty_alpha_chart(client, db, admin) -> None:  # type: ignore[no-untyped-def]
    rnd = _round(db, "dg-sso", 1)
    results = service.compute_results(db, rnd, full=False)
    assert all(a.alpha is None for a in results.alphas)
    assert "alphas" not in charts.specs(results, "en") and {"radar", "bars"} <= set(charts.specs(results, "en"))
    said = charts.notes(results, "en")
    assert set(said) == {"sample", "alphas"} and "respondents: 1" in said["alphas"]
    assert "(۱)" in charts.notes(results, "fa")["sample"]
    page_login(client, admin, f"/assessment/rounds/{rnd.id}/results")
    fa = client.get(f"/assessment/rounds/{rnd.id}/results").text
    assert 'id="chart-alphas"' not in fa and 'id="chart-alphas-note"' in fa and 'id="small-sample-note"' in fa
    assert "نمودار آلفا کشیده نشد" in fa and "شمار پاسخ‌دهندگان: ۱" in fa
    assert 'id="chart-radar"' in fa and 'id="chart-bars"' in fa  # scores of one person can be drawn
    en = client.get(f"/assessment/rounds/{rnd.id}/results?lang=en").text
    assert "No chart of alpha" in en and "Few respondents (1)" in en
    pdf = client.get(f"/assessment/rounds/{rnd.id}/report.pdf?lang=en")
    assert pdf.status_code == 200
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Few respondents" in " ".join(text.split())


def test_enough_respondents_draw_every_chart_without_a_sample_note(db, admin) -> None:  # type: ignore[no-untyped-def]
    rnd = _round(db, "dg-sso", charts.SMALL_SAMPLE + 20)
    results = service.compute_results(db, rnd, full=False)
    assert set(charts.specs(results, "fa")) == {"radar", "bars", "alphas"}
    assert charts.notes(results, "fa") == {}


def test_no_answers_draw_nothing_and_say_nothing_of_few_respondents(db, admin) -> None:  # type: ignore[no-untyped-def]
    results = service.compute_results(db, _round(db, "dg-sso", 0), full=False)
    assert charts.specs(results, "en") == {} and charts.notes(results, "en") == {}


def test_a_framework_of_two_dimensions_gets_a_sentence_instead_of_a_flat_radar(client, db, admin) -> None:  # type: ignore[no-untyped-def]
    rnd = _round(db, "csf", 40)  # CSF: two overarching themes, twelve organizing ones
    results = service.compute_results(db, rnd, full=False)
    assert "radar" not in charts.specs(results, "en") and "bars" in charts.specs(results, "en")
    assert "this framework has 2" in charts.notes(results, "en")["radar"]
    page_login(client, admin, f"/assessment/rounds/{rnd.id}/results")
    fa = client.get(f"/assessment/rounds/{rnd.id}/results").text
    assert 'id="chart-radar-note"' in fa and "این چارچوب ۲ بُعد دارد" in fa and 'id="dimension-table"' in fa


def test_texts_cite_the_framework_in_use(client, db, admin) -> None:  # type: ignore[no-untyped-def]
    """CSF published no alphas: its page cites no other study's; DG's page names DG's own study."""
    csf = _round(db, "csf", 40)
    dg = _round(db, "dg-sso", 40)
    page_login(client, admin, f"/assessment/rounds/{csf.id}/results")
    csf_page = client.get(f"/assessment/rounds/{csf.id}/results?lang=en").text
    assert "Published alpha" not in csf_page and "published alphas" not in csf_page and "seed 00" not in csf_page
    assert "Social Security" not in csf_page.split('id="alpha-title"')[1].split("</section>")[0]
    dg_page = client.get(f"/assessment/rounds/{dg.id}/results?lang=en").text
    assert "Published alpha" in dg_page and "seed 00" not in dg_page
    assert ("the study that built this framework (Digital governance model of the Social Security Organization)"
            in dg_page)
    dg_fa = client.get(f"/assessment/rounds/{dg.id}/results").text
    assert "پژوهشِ سازندهٔ این چارچوب (مدل حکمرانی دیجیتال سازمان تأمین اجتماعی)" in dg_fa
    assert "مقالهٔ ۰۰۴" not in dg_fa
    roadmap = client.get(f"/assessment/rounds/{dg.id}/roadmap?lang=en")
    assert roadmap.status_code == 200 and "seed 002" not in roadmap.text
