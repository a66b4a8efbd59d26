"""Analyses checked against hand-worked examples: kappa, alpha, saturation, frequencies, co-occurrence."""

from __future__ import annotations

import pytest
from sklearn.metrics import cohen_kappa_score

from smartgov.insight import analysis, service

from .factories import TRANSCRIPT, analyst, project


def test_cohen_kappa_by_hand() -> None:
    a = [1, 1, 1, 1, 0, 0, 0, 0, 1, 0]
    b = [1, 1, 1, 0, 0, 0, 0, 1, 1, 0]
    # observed 8/10; each coder says yes half the time: expected .5·.5 + .5·.5 = .5; (.8 − .5) / (1 − .5) = .6
    assert analysis.cohen_kappa(a, b) == pytest.approx(0.6)
    assert analysis.cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))
    assert analysis.cohen_kappa([1, 1], [1, 1]) is None  # chance agreement total: undefined


def test_krippendorff_alpha_on_krippendorffs_own_example() -> None:
    """Krippendorff (2011), nominal data, 4 coders × 12 units: alpha = 0.743."""
    n = None
    coders = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
        [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n],
    ]
    units = [list(u) for u in zip(*coders, strict=True)]
    assert analysis.krippendorff_alpha_nominal(units) == pytest.approx(0.743, abs=5e-4)
    # two coders, binary, hand-worked: values 1,1 / 0,0 / 1,0 → n=6, D_o=2, D_e=(3·3·2)/5=3.6 → 1 − 2/3.6 = 0.444
    assert analysis.krippendorff_alpha_nominal([[1, 1], [0, 0], [1, 0]]) == pytest.approx(1 - 2 / (18 / 5), abs=1e-9)


def test_agreement_saturation_frequencies_on_a_coded_project(db) -> None:  # type: ignore[no-untyped-def]
    sara, reza = analyst(db, "sara"), analyst(db, "reza")
    p = project(db, sara)
    s1 = service.add_source(db, p, sara, "Interview 1", TRANSCRIPT, values={"role": "expert"})
    s2 = service.add_source(db, p, sara, "Interview 2", TRANSCRIPT, values={"role": "manager"})
    s3 = service.add_source(db, p, sara, "Interview 3", TRANSCRIPT, values={"role": "manager"})
    gov, privacy, net = (service.create_code(db, p, sara, n) for n in ("حکمرانی داده", "حریم خصوصی", "اینترنت"))
    service.code_sentence(db, p, sara, s1, 0, [gov.id])
    service.code_sentence(db, p, sara, s1, 1, [privacy.id])
    service.code_sentence(db, p, sara, s2, 2, [net.id, privacy.id])
    service.code_sentence(db, p, sara, s3, 0, [gov.id])
    service.code_sentence(db, p, reza, s1, 0, [gov.id])
    service.code_sentence(db, p, reza, s1, 2, [privacy.id])
    points, flat = analysis.saturation(db, p)
    assert [(pt.source.name, pt.new_codes, pt.total_codes) for pt in points] == [
        ("Interview 1", 2, 2), ("Interview 2", 1, 3), ("Interview 3", 0, 3)]
    assert flat == 3
    freq = {code.name: (n, k) for code, n, k in analysis.frequencies(db, p)}
    assert freq == {"حکمرانی داده": (3, 2), "حریم خصوصی": (3, 2), "اینترنت": (1, 1)}
    columns, rows = analysis.crosstab(db, p, "role")
    assert columns == ["expert", "manager"] and [r[1] for r in rows] == [[1, 1], [1, 1], [0, 1]]
    assert analysis.cooccurrence(db, p) == {(privacy.id, net.id): 1}
    result = analysis.agreement(db, p)
    # Interview 1, three sentences: gov yes/yes, no/no, no/no → kappa undefined-free 1.0;
    # privacy: sara on sentence 2, reza on sentence 3 → a=[F,T,F], b=[F,F,T]: po=1/3, pe=(2·2+1·1)/9=5/9 → −0.5
    kappa = {code.name: k for code, k, _n in result.kappa}
    assert result.units == 3 and kappa["حکمرانی داده"] == pytest.approx(1.0) and kappa["حریم خصوصی"] == pytest.approx(-0.5)
    assert len(result.disagreements) == 2 and {d.code.name for d in result.disagreements} == {"حریم خصوصی"}
    assert result.alpha is not None and result.alpha < 1
