"""Offline tools for researchers: ``smartgov assess alpha|efa|cfa|sample-size``.

Each command reads a CSV (one row per respondent, one column per item), prints a readable
table, or JSON with ``--json`` so results can be piped into other tools.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import typer
import yaml

from smartgov.assessment.cfa import MeasurementModel, cfa, measurement_from_framework
from smartgov.assessment.frameworks import load_framework
from smartgov.assessment.psychometrics import MissingPolicy, alpha_by_component, cronbach_alpha, efa, sampling_adequacy
from smartgov.assessment.sampling import cochran, krejcie_morgan
from smartgov.digits import to_latin_digits
from smartgov.errors import DomainError
from smartgov.i18n import N_, gettext

app = typer.Typer(
    help="Psychometrics and sample sizes for assessment surveys (reads CSV, prints tables or JSON).",
    no_args_is_help=True,
)

CsvPath = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV file: one row per respondent.")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
Missing = Annotated[str, typer.Option(
    help="Missing-data policy: listwise (default), pairwise (alpha and efa: each correlation from the respondents "
         "who answered both items; not cfa) or fail.")]
Lang = Annotated[str, typer.Option(help="Language of messages: fa or en.")]
ItemsOpt = Annotated[
    str | None, typer.Option(help="Comma-separated item columns (default: every column but --id-column).")
]
IdColumn = Annotated[str | None, typer.Option(help="Respondent id column to ignore.")]


def _read_csv(path: Path, id_column: str | None = None) -> pd.DataFrame:
    """Read a survey CSV; Persian/Arabic digits typed by respondents are accepted."""
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=True)
    frame = frame.apply(lambda col: col.map(lambda v: to_latin_digits(v).strip() if isinstance(v, str) else v))
    if id_column:
        if id_column not in frame.columns:
            raise DomainError("unknown_item", N_("Unknown item: {item}."), field=id_column, item=id_column)
        frame = frame.drop(columns=id_column)
    return frame


def _policy(value: str) -> MissingPolicy:
    if value not in ("listwise", "pairwise", "fail"):
        raise typer.BadParameter("use listwise, pairwise or fail", param_hint="--missing")
    return value  # type: ignore[return-value]


def _efa_method(value: str) -> Literal["minres", "ml", "principal"]:
    if value not in ("minres", "ml", "principal"):
        raise typer.BadParameter("use minres, ml or principal", param_hint="--method")
    return value  # type: ignore[return-value]


def _items(value: str | None, frame: pd.DataFrame) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else [str(c) for c in frame.columns]


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _emit_json(value: Any) -> None:
    typer.echo(json.dumps(_jsonable(value), ensure_ascii=False, indent=2))


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fail(err: DomainError, lang: str) -> None:
    typer.echo(gettext("Error: {reason}", lang, reason=err.localized(lang)), err=True)
    raise typer.Exit(code=2)


def _parse_components(values: list[str]) -> dict[str, list[str]]:
    spec: dict[str, list[str]] = {}
    for value in values:
        name, sep, items = value.partition("=")
        if not sep or not name.strip() or not items.strip():
            raise typer.BadParameter(f"expected NAME=item1,item2 but got {value!r}", param_hint="--component")
        spec[name.strip()] = [i.strip() for i in items.split(",") if i.strip()]
    return spec


def _load_spec(path: Path) -> dict[str, list[str]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not all(isinstance(v, list) for v in raw.values()):
        raise typer.BadParameter("the spec must map each factor/component to a list of items", param_hint="--spec")
    return {str(k): [str(i) for i in v] for k, v in raw.items()}


@app.command()
def alpha(
    csv: CsvPath,
    component: Annotated[
        list[str] | None, typer.Option(help="NAME=item1,item2,... (repeatable). Default: all items as one scale.")
    ] = None,
    spec: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="YAML mapping component → list of items.")
    ] = None,
    items: ItemsOpt = None,
    id_column: IdColumn = None,
    missing: Missing = "listwise",
    confidence: Annotated[float, typer.Option(help="Confidence level of Feldt's interval.")] = 0.95,
    as_json: JsonFlag = False,
    lang: Lang = "fa",
) -> None:
    """Cronbach's alpha per component with Feldt's CI, item-total r and alpha if item deleted."""
    try:
        frame = _read_csv(csv, id_column)
        components = _parse_components(component or []) | (_load_spec(spec) if spec else {})
        if components:
            results = alpha_by_component(frame, components, missing=_policy(missing), confidence=confidence)
        else:
            names = _items(items, frame)
            one = cronbach_alpha(frame, names, component="all", missing=_policy(missing), confidence=confidence)
            results = {"all": one}
    except DomainError as err:
        _fail(err, lang)
        return
    if as_json:
        _emit_json({name: r.as_dict() for name, r in results.items()})
        return
    rows = []
    for name, r in results.items():
        note = gettext(r.message, lang) if r.message else ("< 0.7" if r.below_threshold else "")
        rows.append([name, r.k, r.n_used, r.n_dropped, r.alpha, r.ci_low, r.ci_high, note])
    typer.echo(_table(["component", "k", "n", "dropped", "alpha", "ci_low", "ci_high", "note"], rows))
    for name, r in results.items():
        if r.items:
            typer.echo(f"\n{name}")
            typer.echo(
                _table(
                    ["item", "mean", "sd", "item_total_r", "alpha_if_deleted"],
                    [[i.item, i.mean, i.sd, i.item_total_r, i.alpha_if_deleted] for i in r.items],
                )
            )


@app.command(name="efa")
def efa_command(
    csv: CsvPath,
    items: ItemsOpt = None,
    id_column: IdColumn = None,
    factors: Annotated[int | None, typer.Option(help="Number of factors (default: parallel analysis).")] = None,
    rotation: Annotated[str, typer.Option(help="oblimin, promax, varimax or none.")] = "oblimin",
    method: Annotated[str, typer.Option(help="minres, ml or principal.")] = "minres",
    missing: Missing = "listwise",
    as_json: JsonFlag = False,
    lang: Lang = "fa",
) -> None:
    """KMO, Bartlett's test, parallel analysis and rotated loadings."""
    try:
        frame = _read_csv(csv, id_column)
        names = _items(items, frame)
        adequacy = sampling_adequacy(frame, names, missing=_policy(missing))
        result = efa(
            frame,
            names,
            n_factors=factors,
            rotation=None if rotation == "none" else rotation,
            method=_efa_method(method),
            missing=_policy(missing),
        )
    except DomainError as err:
        _fail(err, lang)
        return
    if as_json:
        _emit_json({"adequacy": adequacy, "efa": result})
        return
    typer.echo(
        f"n = {result.n_used} (dropped {result.n_dropped}, {result.missing})   KMO = {adequacy.kmo:.3f}   "
        f"Bartlett chi2({adequacy.bartlett_df}) = {adequacy.bartlett_chi2:.3f}, p = {adequacy.bartlett_p:.3g}"
    )
    if result.parallel:
        typer.echo(f"parallel analysis ({result.parallel.iterations} runs): {result.parallel.n_factors} factor(s)")
    fnames = list(result.variance)
    rows = [[item, *[row[f] for f in fnames], result.communalities[item]] for item, row in result.loadings.items()]
    typer.echo(_table(["item", *fnames, "h2"], rows))


_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*=~\s*(.+)$")


def parse_model(text: str) -> MeasurementModel:
    """lavaan-style ``factor =~ a + b + c`` lines (newline or ';' separated); nesting = second order.

    A factor on two lines gets the indicators of both, as in lavaan. Whether the model can be
    estimated is for ``cfa`` to judge: a repeated indicator is kept, for it to refuse.
    """
    spec: dict[str, tuple[str, ...]] = {}
    for raw in re.split(r"[;\n]", text):
        if not raw.strip():
            continue
        match = _LINE.match(raw)
        if not match:
            raise typer.BadParameter(f"cannot read {raw.strip()!r}; expected 'factor =~ item1 + item2'")
        spec[match.group(1)] = spec.get(match.group(1), ()) + tuple(
            p.strip() for p in match.group(2).split("+") if p.strip())
    second = {f: ind for f, ind in spec.items() if any(i in spec for i in ind)}
    first = {f: ind for f, ind in spec.items() if f not in second}
    return MeasurementModel(first, second)


@app.command(name="cfa")
def cfa_command(
    csv: CsvPath,
    model: Annotated[str | None, typer.Option(help="lavaan syntax, e.g. 'visual =~ x1 + x2 + x3; ...'.")] = None,
    spec: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="YAML mapping factor → list of items.")
    ] = None,
    framework: Annotated[
        str | None,
        typer.Option(help="Second-order model from a framework (columns named by indicator codes), e.g. dg-sso."),
    ] = None,
    id_column: IdColumn = None,
    missing: Missing = "listwise",
    as_json: JsonFlag = False,
    lang: Lang = "fa",
) -> None:
    """Confirmatory factor analysis (ML, lavaan conventions) with fit, CR, AVE and HTMT.

    Models that cannot be identified (degrees of freedom below zero, a factor with too few indicators,
    an indicator listed twice, no factor, unknown columns) are refused with exit code 2; improper
    solutions (negative variances, latent correlations beyond ±1) are printed as warnings.
    """
    if sum(x is not None for x in (model, spec, framework)) != 1:
        raise typer.BadParameter("give exactly one of --model, --spec or --framework")
    try:
        frame = _read_csv(csv, id_column)
        if framework:
            measurement = measurement_from_framework(load_framework(framework))
        elif spec:
            measurement = parse_model("\n".join(f"{k} =~ {' + '.join(v)}" for k, v in _load_spec(spec).items()))
        else:
            measurement = parse_model(model or "")
        result = cfa(frame, measurement, missing=_policy(missing))
    except DomainError as err:
        _fail(err, lang)
        return
    if as_json:
        _emit_json(result)
        return
    f = result.fit
    typer.echo(f"n = {result.n_used} (dropped {result.n_dropped}, {result.missing})")
    typer.echo(
        f"chi2({f.df}) = {f.chi2:.3f}, p = {f.p_value:.3g}   CFI = {f.cfi:.3f}   TLI = {f.tli:.3f}   "
        f"RMSEA = {f.rmsea:.3f} [{f.rmsea_ci_low:.3f}, {f.rmsea_ci_high:.3f}]   SRMR = {f.srmr:.3f}"
    )
    rows = [[e.lhs, e.op, e.rhs, e.est, e.se, e.z, e.p, e.std] for e in result.estimates]
    typer.echo(_table(["lhs", "op", "rhs", "est", "se", "z", "p", "std"], rows))
    rel = [[r.factor, r.cr, r.ave, r.sqrt_ave] for r in result.reliability.values()]
    typer.echo("\n" + _table(["factor", "CR", "AVE", "sqrt(AVE)"], rel))
    for message, params in result.notes:
        typer.echo(gettext(message, lang, **params))


@app.command(name="sample-size")
def sample_size(
    population: Annotated[list[int] | None, typer.Option(help="Population size N (repeatable).")] = None,
    csv: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="CSV with a column of population sizes.")
    ] = None,
    column: Annotated[str, typer.Option(help="Column of --csv holding N.")] = "N",
    method: Annotated[str, typer.Option(help="krejcie-morgan (default) or cochran.")] = "krejcie-morgan",
    confidence: Annotated[float, typer.Option(help="Confidence level (Cochran).")] = 0.95,
    margin: Annotated[float, typer.Option(help="Margin of error d.")] = 0.05,
    p: Annotated[float, typer.Option(help="Expected proportion P.")] = 0.5,
    as_json: JsonFlag = False,
    lang: Lang = "fa",
) -> None:
    """Respondents needed for a population of N (Krejcie & Morgan 1970, or Cochran with FPC)."""
    if method not in ("krejcie-morgan", "cochran"):
        raise typer.BadParameter("use krejcie-morgan or cochran", param_hint="--method")
    sizes: list[int | None] = list(population or [])
    try:
        if csv:
            frame = _read_csv(csv)
            if column not in frame.columns:
                raise DomainError("unknown_item", N_("Unknown item: {item}."), field=column, item=column)
            values = pd.to_numeric(frame[column], errors="coerce")
            for row, value in enumerate(values, start=1):
                if pd.isna(value):
                    raise DomainError(
                        "not_numeric",
                        N_("Row {row}, column {column}: the value is not a number."),
                        field=column,
                        row=row,
                        column=column,
                    )
                sizes.append(int(value))
        if not sizes:
            sizes = [None] if method == "cochran" else []
        if not sizes:
            raise typer.BadParameter("give --population or --csv")
        results = [
            krejcie_morgan(n, p=p, margin=margin)
            if method == "krejcie-morgan" and n is not None
            else cochran(n, confidence=confidence, p=p, margin=margin)
            for n in sizes
        ]
    except DomainError as err:
        _fail(err, lang)
        return
    if as_json:
        _emit_json(results)
        return
    typer.echo(_table(["method", "N", "exact", "n"], [[r.method, r.population, r.exact, r.n] for r in results]))
