"""Can the instrument be trusted? Data preparation, reliability, sampling adequacy and EFA.

Estimation is delegated to well-kept libraries (numpy/scipy, factor_analyzer); this module
chooses the conventions and turns degenerate input into a message id or a ``DomainError``
instead of a NaN that would be shown as a number. The confirmatory factor analysis (semopy,
lavaan's conventions) is :mod:`smartgov.assessment.cfa`, built on :func:`prepare` and
:func:`correlation_matrix` here.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from smartgov.errors import DomainError
from smartgov.i18n import N_

MissingPolicy = Literal["listwise", "pairwise", "fail"]

ALPHA_ONE_ITEM = N_("alpha undefined (one item)")
ALPHA_FEW_ROWS = N_("alpha undefined (fewer than two respondents)")
ALPHA_NO_VARIANCE = N_("alpha undefined (no variance in the total score)")
ALPHA_THRESHOLD = 0.7
_CHUNK_ROWS = 1 << 16


# --------------------------------------------------------------------------- data preparation


@dataclass(frozen=True)
class Prepared:
    """Numeric data after the missing-data policy; the counts are reported with every result."""

    values: np.ndarray
    items: tuple[str, ...]
    n_dropped: int
    policy: MissingPolicy


def prepare(
    data: pd.DataFrame | np.ndarray,
    items: Sequence[str] | None = None,
    missing: MissingPolicy = "listwise",
) -> Prepared:
    """Select ``items`` and apply the missing-data policy (listwise unless told otherwise)."""
    if missing not in ("listwise", "pairwise", "fail"):
        raise DomainError(
            "missing_policy",
            N_("Unknown missing-data policy: {policy}."),
            field="missing",
            policy=str(missing),
        )
    if isinstance(data, np.ndarray):
        if data.ndim != 2:
            raise DomainError("data_shape", N_("The data must be a table of respondents by items."))
        names = tuple(items) if items is not None else tuple(f"item{i + 1}" for i in range(data.shape[1]))
        if len(names) != data.shape[1]:
            raise DomainError("data_shape", N_("The data must be a table of respondents by items."))
        values = (
            data
            if np.issubdtype(data.dtype, np.number)
            else _numeric_frame(pd.DataFrame(data, columns=list(names))).to_numpy(np.float64)
        )
    else:
        names = tuple(items) if items is not None else tuple(str(c) for c in data.columns)
        unknown = [name for name in names if name not in data.columns]
        if unknown:
            raise DomainError("unknown_item", N_("Unknown item: {item}."), field=unknown[0], item=unknown[0])
        values = _numeric_frame(data[list(names)]).to_numpy(np.float64)
    if len(set(names)) != len(names):
        raise DomainError("duplicate_item", N_("An item is listed more than once."), field="items")
    n_dropped = 0
    if np.issubdtype(values.dtype, np.floating):
        bad = np.isnan(values).any(axis=1)
        n_bad = int(bad.sum())
        if n_bad and missing == "fail":
            raise DomainError("missing_values", N_("{count} rows have missing values."), count=n_bad)
        if n_bad and missing == "listwise":
            values, n_dropped = values[~bad], n_bad
    return Prepared(values=values, items=names, n_dropped=n_dropped, policy=missing)


def _numeric_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.apply(pd.to_numeric, errors="coerce")
    introduced = out.isna() & frame.notna()
    if introduced.to_numpy().any():
        row, col = np.argwhere(introduced.to_numpy())[0]
        raise DomainError(
            "not_numeric",
            N_("Row {row}, column {column}: the value is not a number."),
            field=str(frame.columns[col]),
            row=int(row) + 1,
            column=str(frame.columns[col]),
        )
    return out


# --------------------------------------------------------------------------- Cronbach's alpha


@dataclass(frozen=True)
class ItemStats:
    """One item's mean, SD, corrected item–total correlation and alpha if it were deleted."""

    item: str
    mean: float
    sd: float
    item_total_r: float | None
    alpha_if_deleted: float | None


@dataclass(frozen=True)
class AlphaResult:
    """Alpha with Feldt's CI, or ``message`` (a message id) saying why it is undefined."""

    component: str
    k: int
    n_used: int
    n_dropped: int
    missing: MissingPolicy
    alpha: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    confidence: float = 0.95
    items: tuple[ItemStats, ...] = ()
    message: str | None = None

    @property
    def below_threshold(self) -> bool:
        return self.alpha is not None and self.alpha < ALPHA_THRESHOLD

    def as_dict(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "k": self.k,
            "n_used": self.n_used,
            "n_dropped": self.n_dropped,
            "missing": self.missing,
            "alpha": self.alpha,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "confidence": self.confidence,
            "message": self.message,
            "items": [vars(i) for i in self.items],
        }


def _moments(values: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, float]:
    """Item means and variances, cov(item, total) and var(total), in one streaming pass.

    Centring each chunk on the column means keeps float64 exact enough for a million rows,
    and chunking keeps memory flat: alpha needs O(n·k) work, never the k×k matrix.
    """
    n, k = values.shape
    means = values.mean(axis=0, dtype=np.float64)
    sq = np.zeros(k)
    cross = np.zeros(k)
    total_sq = 0.0
    for start in range(0, n, _CHUNK_ROWS):
        block = values[start : start + _CHUNK_ROWS].astype(np.float64) - means
        total = block.sum(axis=1)
        sq += np.einsum("ij,ij->j", block, block)
        cross += total @ block
        total_sq += float(total @ total)
    denom = n - 1
    return n, means, sq / denom, cross / denom, total_sq / denom


def _pairwise_moments(values: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, float]:
    frame = pd.DataFrame(values)
    cov = frame.cov().to_numpy()
    counts = frame.notna().astype(np.int64)
    n = int((counts.T @ counts).to_numpy().min())
    return n, frame.mean().to_numpy(), np.diag(cov).copy(), cov.sum(axis=1), float(cov.sum())


def cronbach_alpha(
    data: pd.DataFrame | np.ndarray,
    items: Sequence[str] | None = None,
    *,
    component: str = "",
    missing: MissingPolicy = "listwise",
    confidence: float = 0.95,
) -> AlphaResult:
    """Cronbach's alpha = k/(k−1)·(1 − Σvar(item)/var(total)), with Feldt's (1965) CI."""
    prepared = prepare(data, items, missing)
    k = len(prepared.items)

    def result(n_used: int, **values: Any) -> AlphaResult:
        return AlphaResult(
            component=component,
            k=k,
            n_used=n_used,
            n_dropped=prepared.n_dropped,
            missing=missing,
            confidence=confidence,
            **values,
        )

    if k < 2:
        return result(len(prepared.values), alpha=None, message=ALPHA_ONE_ITEM)
    pairwise = missing == "pairwise" and bool(np.isnan(prepared.values).any())
    if not pairwise and len(prepared.values) < 2:
        return result(len(prepared.values), alpha=None, message=ALPHA_FEW_ROWS)
    n, means, var, cov_total, var_total = (_pairwise_moments if pairwise else _moments)(prepared.values)
    if n < 2:
        return result(n, alpha=None, message=ALPHA_FEW_ROWS)
    # Variances come from sums that cancel: a total whose true variance is zero (every respondent
    # with the same total) comes out as rounding noise, ±1e-31 or so, and would give an alpha
    # of ±1e31. Anything below a 1e-10 share of the item variances counts as zero.
    negligible = 1e-10 * max(float(var.sum()), 0.0)
    if var_total <= negligible:
        return result(n, alpha=None, message=ALPHA_NO_VARIANCE)
    alpha = k / (k - 1) * (1 - var.sum() / var_total)
    tail = (1 - confidence) / 2
    df1, df2 = n - 1, (n - 1) * (k - 1)
    ci_low = 1 - (1 - alpha) * stats.f.ppf(1 - tail, df1, df2)
    ci_high = 1 - (1 - alpha) * stats.f.ppf(tail, df1, df2)
    item_stats = []
    for i, name in enumerate(prepared.items):
        rest_var = var_total - 2 * cov_total[i] + var[i]
        r = None
        if var[i] > 0 and rest_var > negligible:
            r = float((cov_total[i] - var[i]) / math.sqrt(var[i] * rest_var))
        if_deleted = None
        if k > 2 and rest_var > negligible:
            if_deleted = float((k - 1) / (k - 2) * (1 - (var.sum() - var[i]) / rest_var))
        item_stats.append(ItemStats(name, float(means[i]), float(math.sqrt(max(var[i], 0.0))), r, if_deleted))
    return result(n, alpha=float(alpha), ci_low=float(ci_low), ci_high=float(ci_high), items=tuple(item_stats))


def alpha_by_component(
    data: pd.DataFrame,
    spec: Mapping[str, Sequence[str]],
    *,
    missing: MissingPolicy = "listwise",
    confidence: float = 0.95,
) -> dict[str, AlphaResult]:
    """Alpha for every component of a measurement spec (component → its item columns)."""
    return {
        name: cronbach_alpha(data, list(items), component=name, missing=missing, confidence=confidence)
        for name, items in spec.items()
    }


# --------------------------------------------------------------------------- correlation checks


def correlation_matrix(values: np.ndarray, items: Sequence[str], pairwise: bool = False) -> np.ndarray:
    """Item correlation matrix; refuses constant items and singular matrices by name."""
    frame = pd.DataFrame(values, columns=list(items))
    sd = frame.std().to_numpy()
    constant = [items[int(i)] for i in np.flatnonzero(~(sd > 0))]
    if constant:
        raise DomainError(
            "singular_matrix",
            N_("The correlation matrix is singular: items {items} do not vary. Remove them and try again."),
            field=constant[0],
            items=", ".join(constant),
        )
    corr = np.asarray(frame.corr() if pairwise else np.corrcoef(values, rowvar=False), dtype=np.float64)
    if not np.isfinite(corr).all():
        raise DomainError(
            "singular_matrix", N_("The correlation matrix cannot be computed: too few complete responses.")
        )
    eigval, eigvec = np.linalg.eigh(corr)
    if pairwise and eigval[0] < 0:
        raise DomainError(
            "pairwise_not_positive_definite",
            N_("The correlations from pairwise-complete responses contradict each other (the matrix is not "
               "positive definite), which too many missing answers can cause. Use listwise deletion."),
            field="missing")
    if eigval[0] < 1e-10 * max(eigval[-1], 1.0):
        involved = np.flatnonzero(np.abs(eigvec[:, 0]) > 0.05)
        names = ", ".join(items[int(i)] for i in involved)
        raise DomainError(
            "singular_matrix",
            N_(
                "The correlation matrix is singular: items {items} are linearly dependent. "
                "Remove or merge redundant items and try again."
            ),
            field=items[int(involved[0])],
            items=names,
        )
    return corr


@dataclass(frozen=True)
class Correlations:
    """The item correlation matrix under a missing-data policy, and how many respondents stand behind it.

    Pairwise: each correlation from the respondents who answered both items; ``n`` is the smallest
    such count (the conservative sample size for tests and simulations) and no row is dropped.
    """

    matrix: np.ndarray
    items: tuple[str, ...]
    n: int
    n_dropped: int
    policy: MissingPolicy
    values: np.ndarray  # the responses it came from (with gaps, when pairwise)
    pairwise: bool


MIN_PAIRWISE = 3


def correlations(data: pd.DataFrame | np.ndarray, items: Sequence[str] | None = None,
                 missing: MissingPolicy = "listwise") -> Correlations:
    """Item correlations: from complete rows (listwise), or from every pair's complete answers (pairwise)."""
    prepared = prepare(data, items, missing)
    values = prepared.values
    pairwise = missing == "pairwise" and bool(np.isnan(values).any())
    n = len(values)
    if pairwise:
        answered = (~np.isnan(values)).astype(np.int64)
        together = answered.T @ answered
        i, j = np.unravel_index(int(np.argmin(together)), together.shape)
        n = int(together[i, j])
        if n < MIN_PAIRWISE:
            raise DomainError(
                "pairwise_too_few",
                N_("Only {n} respondents answered both {a} and {b}; a correlation needs at least {min}."),
                field=prepared.items[int(i)], n=n, a=prepared.items[int(i)], b=prepared.items[int(j)], min=MIN_PAIRWISE)
    return Correlations(correlation_matrix(values, prepared.items, pairwise), prepared.items, n, prepared.n_dropped,
                        prepared.policy, values, pairwise)


@dataclass(frozen=True)
class AdequacyResult:
    """KMO (overall and per item) and Bartlett's test of sphericity."""

    kmo: float
    kmo_per_item: dict[str, float]
    bartlett_chi2: float
    bartlett_df: int
    bartlett_p: float
    n_used: int
    n_dropped: int
    missing: MissingPolicy


def sampling_adequacy(
    data: pd.DataFrame | np.ndarray,
    items: Sequence[str] | None = None,
    *,
    missing: MissingPolicy = "listwise",
) -> AdequacyResult:
    """KMO and Bartlett: is factor analysis worth doing on these items at all?

    Both are computed from the correlation matrix (factor_analyzer's functions take only raw
    data, so they could not serve pairwise deletion): KMO from the anti-image partial
    correlations, Bartlett's χ² = −(n − 1 − (2p + 5)/6)·ln|R| with p(p − 1)/2 degrees of freedom.
    """
    found = correlations(data, items, missing)
    r, n, p = found.matrix, found.n, len(found.items)
    inverse = np.linalg.inv(r)
    scale = np.sqrt(np.outer(np.diag(inverse), np.diag(inverse)))
    partial = -inverse / scale
    off = ~np.eye(p, dtype=bool)
    r2 = np.where(off, r, 0.0) ** 2
    q2 = np.where(off, partial, 0.0) ** 2
    per_item = r2.sum(axis=0) / (r2.sum(axis=0) + q2.sum(axis=0))
    overall = r2.sum() / (r2.sum() + q2.sum())
    _, logdet = np.linalg.slogdet(r)
    df = p * (p - 1) // 2
    chi2 = -(n - 1 - (2 * p + 5) / 6) * logdet
    return AdequacyResult(
        kmo=float(overall),
        kmo_per_item=dict(zip(found.items, map(float, per_item), strict=True)),
        bartlett_chi2=float(chi2),
        bartlett_df=df,
        bartlett_p=float(stats.chi2.sf(chi2, df)),
        n_used=n,
        n_dropped=found.n_dropped,
        missing=found.policy,
    )


# --------------------------------------------------------------------------- EFA


def _factor_analyzer() -> Any:
    """factor_analyzer's FactorAnalyzer, made to work with scikit-learn ≥ 1.8, and faster.

    factor_analyzer 0.5.1 (the latest release) still passes ``force_all_finite`` to
    ``sklearn.utils.check_array``, which scikit-learn renamed to ``ensure_all_finite`` and then
    removed. The shim renames the keyword for that one module and nothing else.

    It also fits MINRES with L-BFGS-B and a finite-difference gradient: one eigendecomposition
    per item per step (904 of a 112 × 112 matrix, 1.6 s of the demo round's 2.2 s EFA). The
    objective has an exact gradient (``_uls_with_gradient``); the second shim hands it to the
    optimizer for that objective only, so each step costs one eigendecomposition.
    """
    import inspect

    from factor_analyzer import FactorAnalyzer
    from factor_analyzer import factor_analyzer as module
    from sklearn.utils import check_array

    if "force_all_finite" not in inspect.signature(check_array).parameters and not getattr(
        module.check_array, "_smartgov_shim", False
    ):

        def shim(*args: Any, force_all_finite: Any = True, **kwargs: Any) -> Any:
            return check_array(*args, ensure_all_finite=force_all_finite, **kwargs)

        shim._smartgov_shim = True  # type: ignore[attr-defined]
        module.check_array = shim
    if not getattr(module.minimize, "_smartgov_shim", False):
        uls = FactorAnalyzer._fit_uls_objective

        def minimize(fun: Any, x0: Any, *args: Any, **kwargs: Any) -> Any:
            if fun is uls and "jac" not in kwargs:
                return optimize.minimize(_uls_with_gradient, x0, *args, jac=True, **kwargs)
            return optimize.minimize(fun, x0, *args, **kwargs)

        minimize._smartgov_shim = True  # type: ignore[attr-defined]
        module.minimize = minimize
    return FactorAnalyzer


def _uls_with_gradient(psi: np.ndarray, corr_mtx: np.ndarray, n_factors: int) -> tuple[float, np.ndarray]:
    """factor_analyzer's MINRES objective (the same value, computed the same way) and its gradient.

    With ``R`` the correlation matrix whose diagonal is ``1 − ψ``, the objective is the squared
    residual after the first ``k`` eigencomponents, ``Σ_{j>k} λ_j²``; since ``∂λ_j/∂R_ii = v_ij²``
    and ``∂R_ii/∂ψ_i = −1``, its gradient is ``−2 Σ_{j>k} λ_j v_ij²``.
    """
    np.fill_diagonal(corr_mtx, 1 - psi)
    values, vectors = np.linalg.eigh(corr_mtx)
    values, vectors = values[::-1], vectors[:, ::-1]
    top = np.maximum(values[:n_factors], np.finfo(float).eps * 100)
    loadings = vectors[:, :n_factors] * np.sqrt(top)
    error = float(np.sum((corr_mtx - loadings @ loadings.T) ** 2))
    return error, -2.0 * (vectors[:, n_factors:] ** 2) @ values[n_factors:]


@dataclass(frozen=True)
class ParallelAnalysis:
    """Horn's parallel analysis: retain factors whose eigenvalue beats random data's."""

    observed: tuple[float, ...]
    random: tuple[float, ...]
    n_factors: int
    kind: str
    iterations: int
    percentile: float


def _reduced_eigenvalues(corr: np.ndarray, kind: str) -> np.ndarray:
    if kind == "fa":  # common-factor eigenvalues: squared multiple correlations on the diagonal
        corr = corr.copy()
        np.fill_diagonal(corr, 1 - 1 / np.diag(np.linalg.inv(corr)))
    return np.sort(np.linalg.eigvalsh(corr))[::-1]


def parallel_analysis(
    data: pd.DataFrame | np.ndarray,
    items: Sequence[str] | None = None,
    *,
    kind: Literal["fa", "pca"] = "fa",
    iterations: int = 100,
    percentile: float = 95.0,
    seed: int = 20240101,
    missing: MissingPolicy = "listwise",
) -> ParallelAnalysis:
    """Number of factors by Horn (1965), seeded so a report can be reproduced."""
    return _parallel(correlations(data, items, missing), kind=kind, iterations=iterations, percentile=percentile,
                     seed=seed)


def _parallel(found: Correlations, *, kind: Literal["fa", "pca"] = "fa", iterations: int = 100,
              percentile: float = 95.0, seed: int = 20240101) -> ParallelAnalysis:
    n, p = found.n, len(found.items)
    observed = _reduced_eigenvalues(found.matrix, kind)
    rng = np.random.default_rng(seed)
    sims = np.empty((iterations, p))
    for it in range(iterations):
        random_corr = np.asarray(np.corrcoef(rng.standard_normal((n, p)), rowvar=False), dtype=np.float64)
        sims[it] = _reduced_eigenvalues(random_corr, kind)
    threshold = np.percentile(sims, percentile, axis=0)
    above = observed > threshold
    n_factors = int(np.argmin(above)) if not above.all() else p
    return ParallelAnalysis(
        tuple(map(float, observed)), tuple(map(float, threshold)), n_factors, kind, iterations, percentile
    )


@dataclass(frozen=True)
class EfaResult:
    """Exploratory factor analysis: loadings (item → factor → loading) and what they explain."""

    n_factors: int
    rotation: str | None
    method: str
    loadings: dict[str, dict[str, float]]
    communalities: dict[str, float]
    variance: dict[str, tuple[float, float, float]]  # factor → (SS loadings, proportion, cumulative)
    parallel: ParallelAnalysis | None
    n_used: int
    n_dropped: int
    missing: MissingPolicy


def efa(
    data: pd.DataFrame | np.ndarray,
    items: Sequence[str] | None = None,
    *,
    n_factors: int | None = None,
    rotation: str | None = "oblimin",
    method: Literal["minres", "ml", "principal"] = "minres",
    missing: MissingPolicy = "listwise",
    seed: int = 20240101,
) -> EfaResult:
    """EFA with factor_analyzer on the item correlations; without ``n_factors`` the number comes from
    parallel analysis. ``missing="pairwise"`` factors the matrix of pairwise-complete correlations."""
    FactorAnalyzer = _factor_analyzer()
    found = correlations(data, items, missing)
    parallel = None
    if n_factors is None:
        parallel = _parallel(found, seed=seed)
        n_factors = max(parallel.n_factors, 1)
    p = len(found.items)
    if not 1 <= n_factors < p:
        raise DomainError(
            "efa_factors",
            N_("The number of factors must be between 1 and {max}."),
            field="n_factors",
            max=p - 1,
        )
    # factor_analyzer's principal method works only from the responses themselves
    from_data = method == "principal"
    if from_data and found.pairwise:
        raise DomainError("efa_principal_pairwise",
                          N_("The principal method needs complete responses; with pairwise deletion use minres or ml."),
                          field="method")
    fa = FactorAnalyzer(n_factors=n_factors, rotation=rotation if n_factors > 1 else None, method=method,
                        is_corr_matrix=not from_data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fa.fit(found.values if from_data else found.matrix)
    names = [f"F{j + 1}" for j in range(n_factors)]
    loadings = {
        item: {f: float(v) for f, v in zip(names, row, strict=True)}
        for item, row in zip(found.items, fa.loadings_, strict=True)
    }
    ss, prop, cum = fa.get_factor_variance()
    return EfaResult(
        n_factors=n_factors,
        rotation=rotation if n_factors > 1 else None,
        method=method,
        loadings=loadings,
        communalities=dict(zip(found.items, map(float, fa.get_communalities()), strict=True)),
        variance={f: (float(a), float(b), float(c)) for f, a, b, c in zip(names, ss, prop, cum, strict=True)},
        parallel=parallel,
        n_used=found.n,
        n_dropped=found.n_dropped,
        missing=found.policy,
    )
