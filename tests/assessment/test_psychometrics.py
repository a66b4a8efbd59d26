"""Psychometrics against published numbers (lavaan, HS39) and independent computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from semopy.examples import holzinger39

from smartgov.assessment.cfa import (
    HEYWOOD,
    IMPROPER_CORRELATION,
    LATENT_NOT_PD,
    MeasurementModel,
    cfa,
    measurement_from_framework,
)
from smartgov.assessment.frameworks import Framework, Node, load_framework
from smartgov.assessment.psychometrics import (
    ALPHA_NO_VARIANCE,
    ALPHA_ONE_ITEM,
    alpha_by_component,
    cronbach_alpha,
    efa,
    parallel_analysis,
    sampling_adequacy,
)
from smartgov.errors import DomainError
from smartgov.i18n import gettext

HS_ITEMS = [f"x{i}" for i in range(1, 10)]
HS_MODEL = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}


def close(value: float | None, expected: float) -> bool:
    """Equal to 3 decimals, as lavaan prints them."""
    return value is not None and abs(value - expected) < 0.0005


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return holzinger39.get_data()


@pytest.fixture(scope="module")
def hs_cfa(hs: pd.DataFrame):
    return cfa(hs, HS_MODEL)


# lavaan: summary(cfa(HS.model, data = HolzingerSwineford1939), fit.measures = TRUE, standardized = TRUE)
LAVAAN_ESTIMATES = [
    # lhs, op, rhs, est, se, z, std.all
    ("visual", "=~", "x1", 1.000, None, None, 0.772),
    ("visual", "=~", "x2", 0.554, 0.100, 5.554, 0.424),
    ("visual", "=~", "x3", 0.729, 0.109, 6.685, 0.581),
    ("textual", "=~", "x4", 1.000, None, None, 0.852),
    ("textual", "=~", "x5", 1.113, 0.065, 17.014, 0.855),
    ("textual", "=~", "x6", 0.926, 0.055, 16.703, 0.838),
    ("speed", "=~", "x7", 1.000, None, None, 0.570),
    ("speed", "=~", "x8", 1.180, 0.165, 7.152, 0.723),
    ("speed", "=~", "x9", 1.082, 0.151, 7.155, 0.665),
    ("visual", "~~", "textual", 0.408, 0.074, 5.552, 0.459),
    ("visual", "~~", "speed", 0.262, 0.056, 4.660, 0.471),
    ("textual", "~~", "speed", 0.173, 0.049, 3.518, 0.283),
    ("x1", "~~", "x1", 0.549, 0.114, 4.833, 0.404),
    ("x2", "~~", "x2", 1.134, 0.102, 11.146, 0.821),
    ("x3", "~~", "x3", 0.844, 0.091, 9.317, 0.662),
    ("x4", "~~", "x4", 0.371, 0.048, 7.779, 0.275),
    ("x5", "~~", "x5", 0.446, 0.058, 7.642, 0.269),
    ("x6", "~~", "x6", 0.356, 0.043, 8.277, 0.298),
    ("x7", "~~", "x7", 0.799, 0.081, 9.823, 0.676),
    ("x8", "~~", "x8", 0.488, 0.074, 6.573, 0.477),
    ("x9", "~~", "x9", 0.566, 0.071, 8.003, 0.558),
    ("visual", "~~", "visual", 0.809, 0.145, 5.564, 1.000),
    ("textual", "~~", "textual", 0.979, 0.112, 8.737, 1.000),
    ("speed", "~~", "speed", 0.384, 0.086, 4.451, 1.000),
]


def test_hs39_fit_indices_equal_lavaan(hs_cfa) -> None:
    fit = hs_cfa.fit
    assert fit.n == 301 and fit.df == 24 and fit.baseline_df == 36
    assert close(fit.chi2, 85.306) and close(fit.baseline_chi2, 918.852)
    assert close(fit.cfi, 0.931) and close(fit.tli, 0.896)
    assert close(fit.rmsea, 0.092)
    assert close(fit.rmsea_ci_low, 0.071) and close(fit.rmsea_ci_high, 0.114)
    assert close(fit.srmr, 0.065)
    assert fit.p_value < 0.001


@pytest.mark.parametrize(("lhs", "op", "rhs", "est", "se", "z", "std"), LAVAAN_ESTIMATES)
def test_hs39_estimates_equal_lavaan(hs_cfa, lhs, op, rhs, est, se, z, std) -> None:
    found = [e for e in hs_cfa.estimates if e.op == op and {e.lhs, e.rhs} == {lhs, rhs}]
    assert len(found) == 1
    e = found[0]
    assert close(e.est, est) and close(e.std, std)
    if se is None:
        assert e.se is None and e.z is None  # the fixed marker loading
    else:
        assert close(e.se, se) and close(e.z, z)


def test_hs39_reliability_validity(hs: pd.DataFrame, hs_cfa) -> None:
    rel = hs_cfa.reliability
    # CR = (Σλ)²/((Σλ)² + Σ(1−λ²)), AVE = mean λ², from the standardized loadings above.
    lam = np.array([0.7718801543590853, 0.4236006587965118, 0.5811322979804394])
    assert rel["visual"].cr == pytest.approx(lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum()), abs=1e-6)
    assert rel["visual"].ave == pytest.approx(np.mean(lam**2), abs=1e-6)
    assert close(rel["textual"].cr, 0.885) and close(rel["textual"].ave, 0.720)
    assert close(hs_cfa.latent_correlations["visual"]["textual"], 0.459)
    assert hs_cfa.fornell_larcker == {"visual~textual": True, "visual~speed": True, "textual~speed": True}
    corr = hs[HS_ITEMS].corr().abs().to_numpy()
    hetero = corr[np.ix_([0, 1, 2], [3, 4, 5])].mean()
    mono_v = corr[np.ix_([0, 1, 2], [0, 1, 2])][np.triu_indices(3, 1)].mean()
    mono_t = corr[np.ix_([3, 4, 5], [3, 4, 5])][np.triu_indices(3, 1)].mean()
    assert hs_cfa.htmt["visual"]["textual"] == pytest.approx(hetero / np.sqrt(mono_v * mono_t))
    assert hs_cfa.n_dropped == 0 and hs_cfa.missing == "listwise"


def test_hs39_kmo_bartlett_and_parallel_analysis(hs: pd.DataFrame) -> None:
    adequacy = sampling_adequacy(hs, HS_ITEMS)
    assert close(adequacy.kmo, 0.752)
    assert adequacy.bartlett_df == 36 and close(adequacy.bartlett_chi2, 904.097)
    pa = parallel_analysis(hs, HS_ITEMS)
    assert pa.n_factors == 3
    result = efa(hs, HS_ITEMS)
    assert result.n_factors == 3 and result.parallel is not None
    # each trio of items loads mainly on one factor, a different one per trio
    main = {item: max(row, key=lambda f: abs(row[f])) for item, row in result.loadings.items()}
    assert len({main["x4"], main["x5"], main["x6"]}) == 1
    assert len({main["x1"], main["x2"], main["x3"]}) == 1
    assert len({main["x7"], main["x8"]}) == 1
    assert len({main["x1"], main["x4"], main["x7"]}) == 3


def textbook_alpha(x: np.ndarray) -> float:
    """Independent computation: the full covariance matrix, trace over total."""
    c = np.cov(x, rowvar=False)
    k = x.shape[1]
    return k / (k - 1) * (1 - np.trace(c) / c.sum())


def likert(n: int, k: int, seed: int, noise: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    trait = rng.normal(size=(n, 1))
    return np.clip(np.rint(3 + trait + rng.normal(scale=noise, size=(n, k))), 1, 5)


def test_alpha_equals_independent_computation_with_item_statistics() -> None:
    x = likert(500, 6, seed=7)
    r = cronbach_alpha(x)
    assert r.alpha == pytest.approx(textbook_alpha(x), abs=1e-12)
    assert r.ci_low < r.alpha < r.ci_high and r.n_used == 500 and r.k == 6
    for i, item in enumerate(r.items):
        rest = np.delete(x, i, axis=1)
        assert item.alpha_if_deleted == pytest.approx(textbook_alpha(rest), abs=1e-12)
        assert item.item_total_r == pytest.approx(np.corrcoef(x[:, i], rest.sum(axis=1))[0, 1], abs=1e-12)
        assert item.mean == pytest.approx(x[:, i].mean()) and item.sd == pytest.approx(x[:, i].std(ddof=1))


def test_feldt_interval() -> None:
    from scipy.stats import f

    x = likert(200, 5, seed=3)
    r = cronbach_alpha(x)
    df1, df2 = 199, 199 * 4
    # (1 − α)/(1 − α̂) ~ F(n−1, (n−1)(k−1)) — Feldt (1965)
    assert r.ci_low == pytest.approx(1 - (1 - r.alpha) * f.ppf(0.975, df1, df2))
    assert r.ci_high == pytest.approx(1 - (1 - r.alpha) * f.ppf(0.025, df1, df2))
    wider = cronbach_alpha(x[:50])
    assert wider.ci_high - wider.ci_low > r.ci_high - r.ci_low


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.int64, st.tuples(st.integers(3, 25), st.integers(2, 6)), elements=st.integers(1, 5)),
    st.floats(-50, 50, allow_nan=False),
    st.floats(0.1, 20, allow_nan=False),
)
def test_alpha_invariants(x: np.ndarray, shift: float, scale: float) -> None:
    base = cronbach_alpha(x)
    assume(base.alpha is not None and np.var(x, axis=0).min() > 0)
    assert base.alpha <= 1 + 1e-12
    moved = cronbach_alpha(x * scale + shift)
    assert moved.alpha == pytest.approx(base.alpha, rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(4, 40), st.just(2)),
        elements=st.floats(-100, 100, allow_nan=False, allow_infinity=False),
    )
)
def test_two_parallel_items_follow_spearman_brown(x: np.ndarray) -> None:
    sd = x.std(axis=0, ddof=1)
    assume(sd.min() > 1e-3)
    z = (x - x.mean(axis=0)) / sd  # equal variances: alpha = 2r / (1 + r)
    r = np.corrcoef(z, rowvar=False)[0, 1]
    assume(r > -0.99)
    assert cronbach_alpha(z).alpha == pytest.approx(2 * r / (1 + r), abs=1e-9)


def test_one_item_and_constant_totals_give_a_message_not_nan() -> None:
    one = cronbach_alpha(likert(30, 1, seed=1), component="C03")
    assert one.alpha is None and one.message == ALPHA_ONE_ITEM == "alpha undefined (one item)"
    assert one.as_dict()["alpha"] is None and one.ci_low is None
    flat = cronbach_alpha(np.full((10, 3), 4.0))
    assert flat.alpha is None and flat.message == ALPHA_NO_VARIANCE


def test_alpha_by_component_and_missing_policies() -> None:
    x = pd.DataFrame(likert(100, 4, seed=5), columns=["a1", "a2", "a3", "b1"])
    x.loc[[3, 10, 11], "a2"] = np.nan
    results = alpha_by_component(x, {"A": ["a1", "a2", "a3"], "B": ["b1"]})
    assert results["A"].n_dropped == 3 and results["A"].n_used == 97
    assert results["A"].alpha == pytest.approx(textbook_alpha(x[["a1", "a2", "a3"]].dropna().to_numpy()))
    assert results["B"].message == ALPHA_ONE_ITEM
    pairwise = cronbach_alpha(x, ["a1", "a2", "a3"], missing="pairwise")
    assert pairwise.n_dropped == 0 and pairwise.n_used == 97 and pairwise.alpha is not None
    with pytest.raises(DomainError) as err:
        cronbach_alpha(x, ["a1", "a2"], missing="fail")
    assert err.value.code == "missing_values" and err.value.params["count"] == 3


def test_non_numeric_cell_and_unknown_item_are_named() -> None:
    frame = pd.DataFrame({"q1": [1, 2, 3], "q2": [2, "x", 4]})
    with pytest.raises(DomainError) as err:
        cronbach_alpha(frame)
    assert err.value.field == "q2" and err.value.params["row"] == 2
    with pytest.raises(DomainError) as err:
        cronbach_alpha(frame, ["q1", "q9"])
    assert err.value.code == "unknown_item" and err.value.field == "q9"


def test_singular_matrix_is_a_clear_domain_error(hs: pd.DataFrame) -> None:
    data = hs[HS_ITEMS].copy()
    data["x10"] = data["x1"] + data["x2"]
    for call in (
        lambda: sampling_adequacy(data),
        lambda: efa(data, n_factors=2),
        lambda: cfa(data, {"a": ["x1", "x2", "x10"], "b": ["x4", "x5", "x6"]}),
    ):
        with pytest.raises(DomainError) as err:
            call()
        assert err.value.code == "singular_matrix"
        assert {"x1", "x2", "x10"} <= set(err.value.params["items"].split(", "))
        assert "x4" not in err.value.params["items"]
    data["x10"] = 3.0
    with pytest.raises(DomainError) as err:
        sampling_adequacy(data)
    assert err.value.params["items"] == "x10"


def tiny_framework() -> Framework:
    def comp(code: str, n_items: int) -> Node:
        leaves = tuple(Node(f"{code}.{i}", "گویه", "item", "indicator") for i in range(1, n_items + 1))
        return Node(code, "مؤلفه", code, "component", children=leaves)

    dims = (
        Node("D1", "بعد", "D1", "dimension", children=(comp("C1", 3), comp("C2", 3), comp("C3", 3))),
        Node("D2", "بعد", "D2", "dimension", children=(comp("C4", 3), comp("C5", 1))),
        Node("D3", "بعد", "D3", "dimension", children=(comp("C6", 3),)),
    )
    return Framework("tiny", "1", "آ", "t", {}, ("dimension", "component", "indicator"), {}, dims)


def simulate(model: MeasurementModel, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    general = rng.normal(size=n)
    cols: dict[str, np.ndarray] = {}
    factors: dict[str, np.ndarray] = {}
    for indicators in model.second_order.values():
        g = 0.6 * general + 0.8 * rng.normal(size=n)
        for ind in indicators:
            value = 0.8 * g + 0.6 * rng.normal(size=n)
            (factors if ind in model.first_order else cols)[ind] = value
    for factor, items in model.first_order.items():
        f = factors.get(factor, 0.6 * general + 0.8 * rng.normal(size=n))
        for item in items:
            cols[item] = 0.8 * f + 0.6 * rng.normal(size=n)
    return pd.DataFrame(cols)


def test_second_order_model_generated_from_a_framework() -> None:
    model = measurement_from_framework(tiny_framework())
    assert model.first_order == {c: (f"{c}.1", f"{c}.2", f"{c}.3") for c in ("C1", "C2", "C3", "C4", "C6")}
    assert model.second_order == {"D1": ("C1", "C2", "C3"), "D2": ("C4", "C5.1")}
    assert model.fixed_equal == frozenset({"D2"})
    result = cfa(simulate(model, 800, seed=11), model)
    assert result.fit.df > 0 and result.fit.cfi > 0.98 and result.fit.rmsea < 0.05
    loading = result.loading("D1", "C2")
    assert loading.se is not None and loading.p < 0.001 and 0.6 < loading.std < 0.95
    assert result.loading("D2", "C4").est == 1.0  # fixed for identification
    assert 0.6 < result.loading("C1", "C1.2").std < 0.95
    assert set(result.reliability) >= {"C1", "C6", "D1"}
    assert "C1" in result.htmt and result.latent_correlations["C6"]["D1"] > 0


def test_dg_model_generates_an_identified_second_order_spec() -> None:
    model = measurement_from_framework(load_framework("dg-sso"))
    assert len(model.first_order) == 21  # the 10 single-indicator components enter as observed items
    assert set(model.second_order) == {"D1", "D2", "D4", "D5", "D6", "D7", "D8", "D9"}
    assert model.second_order["D5"] == ("C18.1", "C19.1") and "D5" in model.fixed_equal
    assert "C09" in model.first_order and model.excluded == ()
    items = {i for v in model.first_order.values() for i in v}
    items |= {i for v in model.second_order.values() for i in v if "." in i}
    assert len(items) == 85


def test_streaming_alpha_is_exact_across_chunks_and_dtypes() -> None:
    x = likert(150_000, 5, seed=9).astype(np.int8)  # > 2 chunks of 65,536 rows
    expected = textbook_alpha(x.astype(np.float64))
    for dtype in (np.int8, np.float32, np.float64):
        assert cronbach_alpha(x.astype(dtype)).alpha == pytest.approx(expected, abs=1e-10)


@pytest.mark.slow
def test_full_dg_model_second_order_cfa_recovers_a_simulated_structure() -> None:
    """All 85 indicators → 31 components → 9 dimensions, as the framework generates it (~16 s)."""
    fw = load_framework("dg-sso")
    model = measurement_from_framework(fw)
    rng = np.random.default_rng(5)
    n = 600
    general = rng.normal(size=n)
    cols = {}
    for dim in fw.nodes:
        d = 0.7 * general + 0.71 * rng.normal(size=n)
        for comp in dim.children:
            c = 0.8 * d + 0.6 * rng.normal(size=n)
            for leaf in comp.children:
                cols[leaf.code] = 0.8 * c + 0.6 * rng.normal(size=n)
    result = cfa(pd.DataFrame(cols), model)
    assert result.n_used == 600 and result.fit.df == 85 * 86 // 2 - 223
    assert result.fit.cfi > 0.98 and result.fit.rmsea < 0.02 and result.fit.srmr < 0.05
    assert 0.6 < result.loading("D4", "C12").std < 0.95
    assert result.loading("D5", "C18.1").est == 1.0 and result.loading("D5", "C19.1").est == 1.0


def test_alpha_is_undefined_when_every_total_is_equal() -> None:
    """Found by Hypothesis: equal totals gave rounding noise as the total variance and alpha ≈ −9e31."""
    x = np.array([[2, 4, 1, 4, 4], [1, 4, 4, 2, 4], [1, 3, 4, 4, 3]])
    for data in (x, x * 3.0, x * 3.0 - 7.5):
        r = cronbach_alpha(data)
        assert r.alpha is None and r.message == ALPHA_NO_VARIANCE


def test_minres_with_the_exact_gradient_fits_what_factor_analyzer_fits_alone(hs: pd.DataFrame) -> None:
    """The gradient shim changes the cost of an EFA, not its result."""
    from factor_analyzer import factor_analyzer as module
    from scipy import optimize

    from smartgov.assessment.psychometrics import _factor_analyzer

    rng = np.random.default_rng(3)
    many = rng.normal(size=(240, 6)) @ rng.normal(size=(6, 40)) + rng.normal(size=(240, 40)) * 2
    fa_class = _factor_analyzer()
    for data, k in ((hs[HS_ITEMS].to_numpy(float), 3), (many, 6), (many, 2)):
        fast = fa_class(n_factors=k, rotation="oblimin", method="minres").fit(data)
        shimmed, module.minimize = module.minimize, optimize.minimize
        try:
            alone = fa_class(n_factors=k, rotation="oblimin", method="minres").fit(data)
        finally:
            module.minimize = shimmed
        assert np.abs(fast.loadings_ - alone.loadings_).max() < 1e-5
        assert np.abs(fast.get_communalities() - alone.get_communalities()).max() < 1e-5
    ml = fa_class(n_factors=3, rotation=None, method="ml").fit(hs[HS_ITEMS].to_numpy(float))  # untouched path
    assert ml.loadings_.shape == (9, 3)


# --------------------------------------------------------------------------- identification and improper solutions


def exactly(cov: list[list[float]], n: int, seed: int) -> pd.DataFrame:
    """Data whose sample covariance (N in the denominator, as ML uses) is exactly ``cov``."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, len(cov)))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False, bias=True))).T
    return pd.DataFrame(z @ np.linalg.cholesky(np.array(cov)).T, columns=[f"x{i + 1}" for i in range(len(cov))])


@pytest.mark.parametrize(("model", "code", "field"), [
    ({}, "cfa_empty", "model"),
    ({"a": ("x1", "x2")}, "cfa_not_identified", "a"),  # lavaan: chi2(-1)
    ({"a": ("x1",), "b": ("x2", "x3", "x4")}, "cfa_not_identified", "a"),
    ({"a": ("x1", "x1", "x2", "x3")}, "cfa_duplicate_indicator", "a"),
    ({"a": ("x1", "x2", "x10")}, "unknown_item", "x10"),
    ({"a": ("x1", "x2", "x3", "x4"), "b": ("x1", "x2", "x3", "x4")}, "cfa_negative_df", "model"),  # df = -3
    (MeasurementModel({"a": ("x1", "x2", "x3"), "b": ("x4", "x5", "x6")}, {"g": ("a", "b")}), "cfa_not_identified",
     "g"),
])
def test_unidentified_models_are_refused_before_fitting(hs: pd.DataFrame, model, code: str, field: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as err:
        cfa(hs, model)
    assert err.value.code == code and err.value.field == field


def test_identified_edge_cases_are_fitted(hs: pd.DataFrame) -> None:
    two_by_two = cfa(hs, {"a": ("x1", "x2"), "b": ("x4", "x5")})  # the two-indicator rule
    assert two_by_two.fit.df == 1
    just = cfa(hs, {"a": ("x1", "x2", "x3")})
    assert just.fit.df == 0 and just.notes == ()
    cross = cfa(hs, {"a": ("x1", "x2", "x3", "x4"), "b": ("x4", "x5", "x6")})  # a cross-loading is a model
    assert cross.loading("a", "x4").se is not None and cross.fit.df == 7


def test_improper_solutions_are_flagged_as_lavaan_warns() -> None:
    heywood = cfa(exactly([[1, .8, .8], [.8, 1, .5], [.8, .5, 1]], 400, seed=2), {"a": ("x1", "x2", "x3")})
    assert heywood.notes[0] == (HEYWOOD, {"name": "x1"})  # x1's loading² would be .8·.8/.5 = 1.28
    within, between = .3, .4  # items correlate more across the factors than within them
    cov = [[1 if i == j else (within if (i < 3) == (j < 3) else between) for j in range(6)] for i in range(6)]
    two = cfa(exactly(cov, 500, seed=1), {"a": ("x1", "x2", "x3"), "b": ("x4", "x5", "x6")})
    assert two.latent_correlations["a"]["b"] == pytest.approx(4 / 3, abs=1e-3)
    assert (IMPROPER_CORRELATION, {"a": "a", "b": "b", "r": 1.333}) in two.notes and (LATENT_NOT_PD, {}) in two.notes
    assert gettext(IMPROPER_CORRELATION, "fa", **dict(two.notes)[IMPROPER_CORRELATION]).count("۱٫۳۳۳") == 1
    fine = cfa(exactly([[1, .5, .5], [.5, 1, .5], [.5, .5, 1]], 300, seed=3), {"a": ("x1", "x2", "x3")})
    assert fine.notes == ()


# --------------------------------------------------------------------------- pairwise deletion


def with_gaps(frame: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return frame.mask(rng.random(frame.shape) < share)


def test_pairwise_efa_factors_the_pairwise_correlation_matrix(hs: pd.DataFrame) -> None:
    from factor_analyzer import FactorAnalyzer

    gappy = with_gaps(hs[HS_ITEMS].astype(float), 0.12, seed=5)
    assert gappy.isna().any(axis=1).mean() > 0.5  # listwise would lose most respondents
    pairwise = efa(gappy, HS_ITEMS, n_factors=3, missing="pairwise")
    listwise = efa(gappy, HS_ITEMS, n_factors=3, missing="listwise")
    answered = gappy.notna().astype(int)
    assert pairwise.missing == "pairwise" and pairwise.n_dropped == 0
    assert pairwise.n_used == int((answered.T @ answered).to_numpy().min()) > listwise.n_used
    independent = FactorAnalyzer(n_factors=3, rotation="oblimin", method="minres", is_corr_matrix=True)
    independent.fit(gappy.corr().to_numpy())  # pandas' corr is pairwise-complete
    for item, row in zip(HS_ITEMS, independent.loadings_, strict=True):
        assert [pairwise.loadings[item][f] for f in ("F1", "F2", "F3")] == pytest.approx(list(row), abs=1e-4)
    assert pairwise.loadings != listwise.loadings
    adequacy = sampling_adequacy(gappy, HS_ITEMS, missing="pairwise")
    assert adequacy.n_used == pairwise.n_used and adequacy.missing == "pairwise" and 0.6 < adequacy.kmo < 0.9


def test_kmo_and_bartlett_from_the_matrix_equal_factor_analyzer(hs: pd.DataFrame) -> None:
    from factor_analyzer.factor_analyzer import calculate_bartlett_sphericity, calculate_kmo

    ours = sampling_adequacy(hs, HS_ITEMS)
    per_item, overall = calculate_kmo(hs[HS_ITEMS])
    chi2, p_value = calculate_bartlett_sphericity(hs[HS_ITEMS])
    assert ours.kmo == pytest.approx(overall) and list(ours.kmo_per_item.values()) == pytest.approx(list(per_item))
    assert ours.bartlett_chi2 == pytest.approx(chi2) and ours.bartlett_p == pytest.approx(p_value, rel=1e-9)


def test_pairwise_refuses_what_it_cannot_do(hs: pd.DataFrame) -> None:
    gappy = hs[HS_ITEMS].astype(float).copy()
    gappy.loc[2:, "x1"] = np.nan  # x1 answered twice only
    with pytest.raises(DomainError) as err:
        efa(gappy, HS_ITEMS, missing="pairwise")
    assert err.value.code == "pairwise_too_few" and err.value.field == "x1"
    with pytest.raises(DomainError) as err:
        efa(with_gaps(hs[HS_ITEMS].astype(float), 0.1, seed=1), HS_ITEMS, method="principal", missing="pairwise")
    assert err.value.code == "efa_principal_pairwise"
