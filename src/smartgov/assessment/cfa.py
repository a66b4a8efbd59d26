"""Confirmatory factor analysis: does the framework's structure fit the answers?

The measurement model comes from the framework (items under their components); semopy estimates
it with lavaan's ML conventions (biased covariance, chi² = N·F); this module adds what semopy
lacks (SRMR, the RMSEA confidence interval, CR, AVE, HTMT, Fornell–Larcker) from the standard
formulas and reports an improper solution (Heywood case, correlations beyond ±1) as a note to
show instead of numbers to trust. Data preparation is :mod:`psychometrics`'s.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from smartgov.assessment.psychometrics import MissingPolicy, correlation_matrix, prepare
from smartgov.errors import DomainError
from smartgov.i18n import N_

HEYWOOD = N_(
    "Heywood case: the variance of {name} is estimated at zero or below, an improper solution; do not interpret it."
)
IMPROPER_CORRELATION = N_(
    "Improper solution: the estimated correlation between {a} and {b} is {r}, beyond ±1; do not interpret it."
)
LATENT_NOT_PD = N_(
    "Improper solution: the covariance matrix of the latent variables is not positive definite; "
    "do not interpret it."
)


@dataclass(frozen=True)
class Estimate:
    """One parameter in lavaan's notation (``=~`` loading, ``~~`` (co)variance)."""

    lhs: str
    op: str
    rhs: str
    est: float
    se: float | None
    z: float | None
    p: float | None
    std: float


@dataclass(frozen=True)
class FitIndices:
    """Global fit, lavaan conventions for ML (N, not N−1)."""

    n: int
    chi2: float
    df: int
    p_value: float
    baseline_chi2: float
    baseline_df: int
    cfi: float
    tli: float
    rmsea: float
    rmsea_ci_low: float
    rmsea_ci_high: float
    srmr: float


@dataclass(frozen=True)
class FactorReliability:
    """Composite reliability and average variance extracted from standardized loadings."""

    factor: str
    cr: float
    ave: float

    @property
    def sqrt_ave(self) -> float:
        return math.sqrt(self.ave)


@dataclass(frozen=True)
class CfaResult:
    """Everything a CFA / second-order report shows."""

    estimates: tuple[Estimate, ...]
    fit: FitIndices
    reliability: dict[str, FactorReliability]
    latent_correlations: dict[str, dict[str, float]]
    fornell_larcker: dict[str, bool]
    htmt: dict[str, dict[str, float]]
    n_used: int
    n_dropped: int
    missing: MissingPolicy
    notes: tuple[tuple[str, dict[str, Any]], ...] = ()  # (message id, params) for gettext

    def loading(self, factor: str, indicator: str) -> Estimate:
        for e in self.estimates:
            if e.op == "=~" and e.lhs == factor and e.rhs == indicator:
                return e
        raise KeyError((factor, indicator))


@dataclass(frozen=True)
class MeasurementModel:
    """Items → first-order factors (→ second-order factors), the input of :func:`cfa`."""

    first_order: dict[str, tuple[str, ...]]
    second_order: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fixed_equal: frozenset[str] = frozenset()  # second-order factors with 2 indicators, loadings fixed to 1
    excluded: tuple[str, ...] = ()  # single items that cannot form or join a factor


def measurement_from_framework(
    framework: Any,
    items: Mapping[str, Sequence[str]] | None = None,
    *,
    component_level: str | None = None,
) -> MeasurementModel:
    """Second-order model items → components → dimensions generated from a framework.

    ``items`` maps component codes to item columns (default: the component's leaf codes;
    components missing from ``items`` are left out). Identification rules, so a framework
    never yields a model semopy cannot estimate: a component with one item enters its
    dimension as that observed item; a dimension with one indicator stays first-order (a lone
    single item is left out and listed in ``excluded``); a dimension with two indicators has
    both loadings fixed to 1.
    """
    level = component_level or framework.levels[1]
    first: dict[str, tuple[str, ...]] = {}
    second: dict[str, tuple[str, ...]] = {}
    equal: set[str] = set()
    excluded: list[str] = []
    for dimension in framework.nodes:
        indicators: list[str] = []
        for component in (c for c in dimension.walk() if c.level == level):
            if items is None:
                cols = tuple(leaf.code for leaf in component.leaves())
            elif component.code in items:
                cols = tuple(items[component.code])
            else:
                continue
            if len(cols) == 1:
                indicators.append(cols[0])
            elif cols:
                first[component.code] = cols
                indicators.append(component.code)
        if len(indicators) >= 2:
            second[dimension.code] = tuple(indicators)
            if len(indicators) == 2:
                equal.add(dimension.code)
        elif len(indicators) == 1 and indicators[0] not in first:
            excluded.append(indicators[0])
    return MeasurementModel(first, second, frozenset(equal), tuple(excluded))


def check_identified(spec: MeasurementModel) -> None:
    """Refuse a model that cannot be estimated, before anything is fitted (lavaan fits and warns).

    The structural rules (Bollen 1989; Kline 2016, ch. 9): a first-order factor needs three
    indicators, or two when the model has another factor it covaries with (the two-indicator
    rule); a second-order factor needs three indicators, or two with their loadings fixed equal
    or beside another second-order factor. No indicator twice under one factor, no factor under
    itself. The counting rule (degrees of freedom ≥ 0) is checked in :func:`cfa` by the
    estimator's own parameter count.
    """
    factors = {**spec.first_order, **spec.second_order}
    if not factors:
        raise DomainError("cfa_empty", N_("The model has no factors: write at least one line "
                                          "'factor =~ item1 + item2 + item3'."), field="model")
    for factor, indicators in factors.items():
        if factor in indicators:
            raise DomainError("cfa_self_indicator", N_("Factor {factor} cannot be an indicator of itself."),
                              field=factor, factor=factor)
        seen: set[str] = set()
        for name in indicators:
            if name in seen:
                raise DomainError("cfa_duplicate_indicator", N_("{indicator} is listed twice under factor {factor}."),
                                  field=factor, factor=factor, indicator=name)
            seen.add(name)
    for level, group in ((1, spec.first_order), (2, spec.second_order)):
        for factor, indicators in group.items():
            alone = len(group) == 1 and not (level == 1 and spec.second_order)
            equal = factor in spec.fixed_equal
            if len(indicators) < 2 or (len(indicators) == 2 and alone and not equal):
                raise DomainError(
                    "cfa_not_identified",
                    N_("Factor {factor} has {count} indicator(s) and cannot be identified: a factor needs at least "
                       "three, or two when it is modelled together with another factor."),
                    field=factor, factor=factor, count=len(indicators))


def cfa(
    data: pd.DataFrame,
    model: Mapping[str, Sequence[str]] | MeasurementModel,
    *,
    missing: MissingPolicy = "listwise",
) -> CfaResult:
    """Confirmatory factor analysis by ML with semopy, reported as lavaan reports it.

    Unidentified models are refused (:func:`check_identified`, and degrees of freedom below zero);
    improper solutions (negative variances, latent correlations beyond ±1) are fitted and flagged
    in ``notes``, as lavaan warns about them.
    """
    import semopy

    spec = model if isinstance(model, MeasurementModel) else MeasurementModel({k: tuple(v) for k, v in model.items()})
    if missing == "pairwise":
        raise DomainError(
            "missing_policy", N_("Pairwise deletion is not supported for CFA; use listwise."), field="missing"
        )
    check_identified(spec)
    latents = list(spec.first_order) + list(spec.second_order)
    observed = list(
        dict.fromkeys(
            [i for items in spec.first_order.values() for i in items]
            + [i for ind in spec.second_order.values() for i in ind if i not in latents]
        )
    )
    prepared = prepare(data, observed, missing)
    n = len(prepared.values)
    if n <= len(observed):
        raise DomainError("cfa_too_few", N_("CFA needs more respondents ({n}) than items ({k})."), n=n, k=len(observed))
    correlation_matrix(prepared.values, observed)
    # semopy's parser wants identifiers; item codes such as "C01.1" are not, so alias everything.
    alias = {name: f"v{i}" for i, name in enumerate(observed)}
    alias |= {name: f"f{i}" for i, name in enumerate(latents)}
    back = {v: k for k, v in alias.items()}
    lines = [f"{alias[f]} =~ " + " + ".join(alias[i] for i in items) for f, items in spec.first_order.items()]
    for factor, indicators in spec.second_order.items():
        prefix = "1*" if factor in spec.fixed_equal else ""
        lines.append(f"{alias[factor]} =~ " + " + ".join(prefix + alias[i] for i in indicators))
    frame = pd.DataFrame(prepared.values, columns=[alias[o] for o in observed])
    sem = semopy.Model("\n".join(lines))
    sem.load(frame)
    moments = len(observed) * (len(observed) + 1) // 2
    if len(sem.param_vals) > moments:
        raise DomainError(
            "cfa_negative_df",
            N_("The model is not identified: it has {params} free parameters but the {k} items give only {moments} "
               "variances and covariances (degrees of freedom {df}). Add indicators or fix parameters."),
            field="model", params=len(sem.param_vals), k=len(observed), moments=moments,
            df=moments - len(sem.param_vals))
    root = logging.getLogger()
    was_disabled, root.disabled = root.disabled, True  # semopy reports through the root logger
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # lavaan-tight convergence: semopy's default tolerance leaves the 3rd decimal unsettled.
            result = sem.fit(frame, obj="MLW", solver="SLSQP", options={"ftol": 1e-12, "maxiter": 10000})
            table = sem.inspect(std_est=True)
    finally:
        root.disabled = was_disabled
    if not result.success:
        raise DomainError("cfa_not_converged", N_("The CFA did not converge: {reason}."), reason=str(result.message))
    sample_cov = np.cov(prepared.values, rowvar=False, bias=True)
    implied = sem.calc_sigma()[0]
    order = [alias[o] for o in observed]
    idx = [sem.vars["observed"].index(a) for a in order]
    implied = implied[np.ix_(idx, idx)]
    fit = _fit_indices(sample_cov, implied, n, len(sem.param_vals))
    estimates = tuple(_estimates(table, back, set(alias[x] for x in latents)))
    latent_corr = _latent_correlations(sem, back)
    reliability = _reliability(estimates, list(spec.first_order) + list(spec.second_order))
    corr = np.corrcoef(prepared.values, rowvar=False)
    htmt = _htmt(corr, observed, spec.first_order)
    fl = {}
    names = [f for f in spec.first_order if f in reliability]
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            r = abs(latent_corr[a][b])
            fl[f"{a}~{b}"] = reliability[a].sqrt_ave > r and reliability[b].sqrt_ave > r
    notes = _improper(estimates, latent_corr, floor=1e-6 * float(np.diag(sample_cov).max()))
    return CfaResult(estimates, fit, reliability, latent_corr, fl, htmt, n, prepared.n_dropped, prepared.policy, notes)


def _improper(estimates: Sequence[Estimate], latent_corr: Mapping[str, Mapping[str, float]], floor: float
              ) -> tuple[tuple[str, dict[str, Any]], ...]:
    """lavaan's warnings about a solution that cannot be true: negative variances, correlations beyond ±1.

    semopy bounds variances below by zero, so where lavaan estimates a negative variance semopy
    stops at the bound: a variance within ``floor`` of zero is that case.
    """
    notes: list[tuple[str, dict[str, Any]]] = [
        (HEYWOOD, {"name": e.lhs}) for e in estimates if e.op == "~~" and e.lhs == e.rhs and e.est <= floor]
    names = list(latent_corr)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            r = latent_corr[a][b]
            if math.isfinite(r) and abs(r) > 1:
                notes.append((IMPROPER_CORRELATION, {"a": a, "b": b, "r": round(r, 3)}))
    if names:
        corr = np.array([[latent_corr[a][b] for b in names] for a in names])
        if not np.isfinite(corr).all() or np.linalg.eigvalsh(corr)[0] < -1e-8:
            notes.append((LATENT_NOT_PD, {}))
    return tuple(notes)


def _fit_indices(s: np.ndarray, sigma: np.ndarray, n: int, n_params: int) -> FitIndices:
    """chi² = N·F_ML, CFI, TLI, RMSEA (+90% CI by the non-central chi²) and Bentler's SRMR."""
    p = s.shape[0]
    _, logdet_s = np.linalg.slogdet(s)
    _, logdet_sigma = np.linalg.slogdet(sigma)
    f_ml = logdet_sigma + np.trace(s @ np.linalg.inv(sigma)) - logdet_s - p
    chi2 = max(n * f_ml, 0.0)
    df = p * (p + 1) // 2 - n_params
    base_chi2 = n * (np.log(np.diag(s)).sum() - logdet_s)
    base_df = p * (p - 1) // 2
    d, d0 = max(chi2 - df, 0.0), max(base_chi2 - base_df, 0.0)
    cfi = 1.0 if max(d, d0) == 0 else 1 - d / max(d, d0)
    tli = ((base_chi2 / base_df) - (chi2 / df)) / ((base_chi2 / base_df) - 1) if df > 0 else 1.0
    rmsea = math.sqrt(d / (df * n)) if df > 0 else 0.0
    low, high = _rmsea_ci(chi2, df, n) if df > 0 else (0.0, 0.0)
    scale = np.sqrt(np.outer(np.diag(s), np.diag(s)))
    resid = (s - sigma) / scale
    tri = np.tril_indices(p)
    srmr = float(np.sqrt(np.mean(resid[tri] ** 2)))
    return FitIndices(
        n,
        float(chi2),
        int(df),
        float(stats.chi2.sf(chi2, df)) if df > 0 else 1.0,
        float(base_chi2),
        base_df,
        float(cfi),
        float(tli),
        rmsea,
        low,
        high,
        srmr,
    )


def _rmsea_ci(chi2: float, df: int, n: int, level: float = 0.90) -> tuple[float, float]:
    """Steiger's interval: the non-centrality λ at which the observed chi² sits at 95% / 5%."""

    def root(target: float) -> float:
        def gap(lam: float) -> float:
            return float(stats.ncx2.cdf(chi2, df, lam) - target)

        if gap(1e-12) < 0:  # even λ = 0 puts chi² below the target quantile
            return 0.0
        hi = max(chi2, 1.0)
        while gap(hi) > 0:
            hi *= 2
        return float(optimize.brentq(gap, 1e-12, hi, xtol=1e-10))

    tail = (1 - level) / 2
    lam_low, lam_high = root(1 - tail), root(tail)
    return math.sqrt(lam_low / (df * n)), math.sqrt(lam_high / (df * n))


def _estimates(table: pd.DataFrame, back: Mapping[str, str], latents: set[str]) -> list[Estimate]:
    def num(value: Any) -> float | None:
        try:
            out = float(value)
        except (TypeError, ValueError):
            return None
        return out if math.isfinite(out) else None

    rows: list[Estimate] = []
    for rec in table.to_dict("records"):
        lval, op, rval = rec["lval"], rec["op"], rec["rval"]
        if op == "~" and rval in latents:
            lhs, op_out, rhs = back[rval], "=~", back[lval]
        elif op == "~~":
            lhs, op_out, rhs = back[lval], "~~", back[rval]
        else:
            lhs, op_out, rhs = back[lval], "~", back[rval]
        se = num(rec["Std. Err"])
        rows.append(
            Estimate(
                lhs,
                op_out,
                rhs,
                float(rec["Estimate"]),
                se,
                num(rec["z-value"]) if se else None,
                num(rec["p-value"]) if se else None,
                float(rec["Est. Std"]),
            )
        )
    return rows


def _latent_correlations(sem: Any, back: Mapping[str, str]) -> dict[str, dict[str, float]]:
    """Model-implied latent correlations: (I−B)⁻¹ Ψ (I−B)⁻ᵀ, which also covers second-order models."""
    names = sem.names_beta[0]
    inv = np.linalg.inv(np.eye(len(names)) - sem.mx_beta)
    cov = inv @ sem.mx_psi @ inv.T
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    return {back[a]: {back[b]: float(corr[i, j]) for j, b in enumerate(names)} for i, a in enumerate(names)}


def _reliability(estimates: Sequence[Estimate], factors: Sequence[str]) -> dict[str, FactorReliability]:
    out = {}
    for factor in factors:
        lam = np.array([e.std for e in estimates if e.op == "=~" and e.lhs == factor])
        if len(lam) < 2:
            continue
        theta = 1 - lam**2
        cr = lam.sum() ** 2 / (lam.sum() ** 2 + theta.sum())
        out[factor] = FactorReliability(factor, float(cr), float(np.mean(lam**2)))
    return out


def _htmt(corr: np.ndarray, observed: Sequence[str], first: Mapping[str, Sequence[str]]) -> dict[str, dict[str, float]]:
    """Heterotrait–monotrait ratio (Henseler, Ringle & Sarstedt 2015) on absolute correlations."""
    pos = {name: i for i, name in enumerate(observed)}
    r = np.abs(corr)
    factors = [f for f, items in first.items() if len(items) >= 2]

    def mono(f: str) -> float:
        idx = [pos[i] for i in first[f]]
        block = r[np.ix_(idx, idx)]
        return float(block[np.triu_indices(len(idx), 1)].mean())

    out: dict[str, dict[str, float]] = {f: {} for f in factors}
    for i, a in enumerate(factors):
        for b in factors[i + 1 :]:
            hetero = float(r[np.ix_([pos[x] for x in first[a]], [pos[x] for x in first[b]])].mean())
            value = hetero / math.sqrt(mono(a) * mono(b))
            out[a][b] = out[b][a] = value
    return out
