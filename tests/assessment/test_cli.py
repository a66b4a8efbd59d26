"""The researcher CLI reads CSV and prints the same numbers as the library, as text or JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from semopy.examples import holzinger39
from typer.testing import CliRunner

from smartgov.assessment.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def hs_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "hs.csv"
    holzinger39.get_data()[["id"] + [f"x{i}" for i in range(1, 10)]].to_csv(path, index=False)
    return path


@pytest.fixture
def likert_csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(2)
    trait = rng.normal(size=(120, 1))
    data = np.clip(np.rint(3 + trait + rng.normal(size=(120, 4))), 1, 5).astype(int)
    frame = pd.DataFrame(data, columns=["q1", "q2", "q3", "q4"]).astype(object)
    frame.insert(0, "respondent", range(1, 121))
    frame.loc[0, "q1"] = "۵"  # Persian digit typed by a respondent
    path = tmp_path / "survey.csv"
    frame.to_csv(path, index=False)
    return path


def test_help_lists_the_four_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("alpha", "efa", "cfa", "sample-size"):
        assert command in result.output
    assert "CSV" in runner.invoke(app, ["alpha", "--help"]).output


def test_alpha_table_and_json(likert_csv: Path) -> None:
    args = ["alpha", str(likert_csv), "--id-column", "respondent", "--component", "A=q1,q2,q3", "--component", "B=q4"]
    table = runner.invoke(app, [*args, "--lang", "en"])
    assert table.exit_code == 0, table.output
    assert "alpha undefined (one item)" in table.output and "alpha_if_deleted" in table.output
    out = json.loads(runner.invoke(app, [*args, "--json"]).output)
    frame = pd.read_csv(likert_csv).drop(columns="respondent")
    frame["q1"] = frame["q1"].replace("۵", "5")
    x = frame[["q1", "q2", "q3"]].astype(float).to_numpy()
    c = np.cov(x, rowvar=False)
    assert out["A"]["alpha"] == pytest.approx(1.5 * (1 - np.trace(c) / c.sum()))
    assert out["A"]["n_used"] == 120 and len(out["A"]["items"]) == 3
    assert out["B"]["alpha"] is None and out["B"]["message"] == "alpha undefined (one item)"


def test_alpha_bad_cell_is_a_localized_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("q1,q2\n1,2\n3,abc\n", encoding="utf-8")
    result = runner.invoke(app, ["alpha", str(path), "--lang", "en"])
    assert result.exit_code == 2
    assert "Row 2, column q2: the value is not a number." in result.output


def test_cfa_reproduces_hs39(hs_csv: Path) -> None:
    model = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
    result = runner.invoke(app, ["cfa", str(hs_csv), "--model", model, "--id-column", "id", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "chi2(24) = 85.306" in result.output and "CFI = 0.931" in result.output
    assert "RMSEA = 0.092 [0.071, 0.114]" in result.output and "SRMR = 0.065" in result.output
    data = json.loads(runner.invoke(app, ["cfa", str(hs_csv), "--model", model, "--json"]).output)
    assert data["fit"]["df"] == 24 and round(data["fit"]["tli"], 3) == 0.896
    x2 = next(e for e in data["estimates"] if e["op"] == "=~" and e["rhs"] == "x2")
    assert round(x2["est"], 3) == 0.554 and x2["lhs"] == "visual"


def test_efa_and_sampling_adequacy(hs_csv: Path) -> None:
    items = ",".join(f"x{i}" for i in range(1, 10))
    result = runner.invoke(app, ["efa", str(hs_csv), "--items", items])
    assert result.exit_code == 0, result.output
    assert "KMO = 0.752" in result.output and "3 factor(s)" in result.output
    data = json.loads(runner.invoke(app, ["efa", str(hs_csv), "--items", items, "--factors", "2", "--json"]).output)
    assert data["efa"]["n_factors"] == 2 and data["efa"]["parallel"] is None
    assert set(data["efa"]["loadings"]["x1"]) == {"F1", "F2"}


@pytest.mark.parametrize(("model", "message"), [
    ("visual =~ x1 + x2", "Factor visual has 2 indicator(s) and cannot be identified"),  # was chi2(-1), exit 0
    ("visual =~ x1 + x1 + x2 + x3", "x1 is listed twice under factor visual."),  # was silently dropped
    ("", "The model has no factors"),  # was IndexError
    ("visual =~ x1 + x2 + nope", "Unknown item: nope."),
    ("a =~ x1 + x2 + x3 + x4; b =~ x1 + x2 + x3 + x4", "degrees of freedom -3"),
])
def test_cfa_refuses_models_it_cannot_identify(hs_csv: Path, model: str, message: str) -> None:
    result = runner.invoke(app, ["cfa", str(hs_csv), "--model", model, "--id-column", "id", "--lang", "en"])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    fa = runner.invoke(app, ["cfa", str(hs_csv), "--model", model, "--id-column", "id"])
    assert fa.exit_code == 2 and "خطا" in fa.output


def test_cfa_model_lines_add_up_as_in_lavaan_and_improper_solutions_are_warned(tmp_path: Path, hs_csv: Path) -> None:
    split = runner.invoke(app, ["cfa", str(hs_csv), "--model", "visual =~ x1 + x2; visual =~ x3; textual =~ x4 + x5 + x6",
                                "--id-column", "id", "--json"])
    assert split.exit_code == 0, split.output
    assert {e["rhs"] for e in json.loads(split.output)["estimates"] if e["lhs"] == "visual" and e["op"] == "=~"} == \
        {"x1", "x2", "x3"}
    rng = np.random.default_rng(2)
    z = rng.standard_normal((400, 3))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False, bias=True))).T
    cov = np.array([[1, .8, .8], [.8, 1, .5], [.8, .5, 1]])
    path = tmp_path / "heywood.csv"
    pd.DataFrame(z @ np.linalg.cholesky(cov).T, columns=["a1", "a2", "a3"]).to_csv(path, index=False)
    result = runner.invoke(app, ["cfa", str(path), "--model", "f =~ a1 + a2 + a3", "--lang", "en"])
    assert result.exit_code == 0 and "Heywood case: the variance of a1 is estimated at zero or below" in result.output


def test_efa_pairwise_is_pairwise(tmp_path: Path, hs_csv: Path) -> None:
    frame = pd.read_csv(hs_csv)
    rng = np.random.default_rng(4)
    items = [f"x{i}" for i in range(1, 10)]
    frame[items] = frame[items].mask(rng.random((len(frame), 9)) < 0.1)
    path = tmp_path / "gaps.csv"
    frame.to_csv(path, index=False)
    runs = {}
    for policy in ("pairwise", "listwise"):
        result = runner.invoke(app, ["efa", str(path), "--id-column", "id", "--factors", "3", "--missing", policy,
                                     "--json"])
        assert result.exit_code == 0, result.output
        runs[policy] = json.loads(result.output)
    assert runs["pairwise"]["efa"]["missing"] == runs["pairwise"]["adequacy"]["missing"] == "pairwise"
    assert runs["pairwise"]["efa"]["n_used"] > runs["listwise"]["efa"]["n_used"]
    assert runs["pairwise"]["efa"]["n_dropped"] == 0 and runs["listwise"]["efa"]["n_dropped"] > 0
    assert runs["pairwise"]["efa"]["loadings"] != runs["listwise"]["efa"]["loadings"]


def test_sample_size(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sample-size", "--population", "100", "--population", "1000"])
    assert result.exit_code == 0
    assert "79.507" in result.output and "278" in result.output
    path = tmp_path / "pop.csv"
    path.write_text("N\n500\n۱۰۰۰۰\n", encoding="utf-8")
    data = json.loads(runner.invoke(app, ["sample-size", "--csv", str(path), "--json"]).output)
    assert [r["n"] for r in data] == [217, 370]
    cochran = json.loads(runner.invoke(app, ["sample-size", "--method", "cochran", "--json"]).output)
    assert cochran[0]["n"] == 385 and cochran[0]["population"] is None
    bad = runner.invoke(app, ["sample-size", "--population", "0", "--lang", "en"])
    assert bad.exit_code == 2 and "whole number" in bad.output
