"""The shipped frameworks match the counts the seed papers publish, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smartgov.assessment.frameworks import (
    FrameworkFileError,
    list_frameworks,
    load_framework,
    load_framework_file,
)
from smartgov.errors import DomainError

PERSIAN = re.compile(r"[\u0600-\u06FF]")


def test_every_seed_framework_is_shipped() -> None:
    assert set(list_frameworks()) == {
        "csf",
        "dg-sso",
        "taghva",
        "tgov",
        "gartner",
        "egov-generations",
        "good-governance",
        "egdi",
    }


@pytest.mark.parametrize("framework_id", list_frameworks())
def test_every_node_has_both_labels_and_a_source(framework_id: str) -> None:
    fw = load_framework(framework_id)
    assert fw.source["seed"].endswith(".txt") and fw.source["where"]
    assert fw.version
    for node in fw.walk():
        assert PERSIAN.search(node.label_fa), node.code
        assert node.label_en and not PERSIAN.search(node.label_en), node.code
        assert (node.description_fa is None) == (node.description_en is None), node.code


def test_csf_is_2_12_60_with_34_institutional_and_26_organizational() -> None:
    fw = load_framework("csf")
    assert [len(fw.at_level(level)) for level in fw.levels] == [2, 12, 60]
    a, b = fw.nodes
    assert (a.code, len(a.leaves()), b.code, len(b.leaves())) == ("A", 34, "B", 26)
    assert [c.code for c in a.children] == [f"A{i}" for i in range(1, 8)]
    assert [c.code for c in b.children] == [f"B{i}" for i in range(1, 6)]
    per_theme = {c.code: len(c.children) for c in fw.at_level("organizing")}
    assert per_theme == {
        "A1": 5,
        "A2": 3,
        "A3": 4,
        "A4": 4,
        "A5": 5,
        "A6": 6,
        "A7": 7,
        "B1": 3,
        "B2": 8,
        "B3": 5,
        "B4": 3,
        "B5": 7,
    }
    assert fw.node("A4").label_fa == "امنیت هوشمند"
    assert fw.node("B1").label_fa == "معماری سازمانی"


# Seed 004, Table 2, in the table's order (typed from the seed, not from the YAML).
TABLE_2_ALPHAS = [
    0.730999,
    0.899394,
    0.847037,
    0.733758,
    0.786402,
    0.774939,
    0.703863,
    0.700248,
    0.786602,
    0.798118,
    0.709142,
    0.800116,
    0.707941,
    0.778411,
    0.742016,
    0.860659,
    0.743059,
    0.727705,
    0.722952,
    0.836446,
    0.743615,
    0.799637,
    0.737649,
    0.871138,
    0.753057,
    0.837771,
    0.863998,
    0.854785,
    0.751786,
    0.811193,
    0.885835,
]


def test_dg_model_is_9_31_85_with_the_31_published_alphas() -> None:
    fw = load_framework("dg-sso")
    assert [len(fw.at_level(level)) for level in fw.levels] == [9, 31, 85]
    alphas = {c.code: c.attrs["reference_alpha"] for c in fw.at_level("component")}
    assert len(alphas) == 31 and all(0.7 < a < 0.9 for a in alphas.values())
    assert alphas["C01"] == 0.730999 and alphas["C02"] == 0.899394 and alphas["C31"] == 0.885835
    assert min(alphas.values()) == 0.700248  # usability, the lowest in Table 2
    assert list(alphas.values()) == TABLE_2_ALPHAS
    per_dimension = {d.label_en: len(d.children) for d in fw.at_level("dimension")}
    assert per_dimension == {
        "Extroversion": 4,
        "Policy-making": 4,
        "Cultural": 1,
        "Managerial": 8,
        "Economic": 2,
        "Political": 2,
        "Research": 3,
        "Informational": 5,
        "Human resources": 2,
    }
    assert [i.label_en for i in fw.node("C12").children] == ["Real-time", "Rapid", "Transparency", "Speed"]


def test_empowerment_grouping_is_configurable_and_keeps_the_counts() -> None:
    default = load_framework("dg-sso")
    assert default.options == {"empowerment": "D8"}
    assert default.parent_of("C25").code == "D8"
    moved = load_framework("dg-sso", empowerment="D9")
    assert moved.parent_of("C25").code == "D9"
    assert [len(moved.at_level(level)) for level in moved.levels] == [9, 31, 85]
    assert len(moved.node("D8").children) == 4 and len(moved.node("D9").children) == 3
    with pytest.raises(FrameworkFileError) as err:
        load_framework("dg-sso", empowerment="D3")
    assert err.value.params["option"] == "empowerment"


def test_taghva_is_6_dimensions_and_42_components() -> None:
    fw = load_framework("taghva")
    assert [len(fw.at_level(level)) for level in fw.levels] == [6, 42]
    assert [len(d.children) for d in fw.nodes] == [14, 7, 6, 4, 8, 3]


def test_stage_models_and_traits() -> None:
    tgov = load_framework("tgov")
    answers = [tuple(s.attrs["answers"].values()) for s in tgov.nodes]
    assert answers == [(False, False, False), (True, False, False), (True, True, False), (True, True, True)]
    assert [s.label_en for s in load_framework("gartner").nodes] == [
        "Presence (information)",
        "Interaction",
        "Transaction",
        "Transformation (integration)",
    ]
    assert len(load_framework("good-governance").nodes) == 10
    gens = load_framework("egov-generations")
    assert [g.code for g in gens.nodes] == ["EG1", "EG2", "EG3"] and len(gens.leaves()) == 15


def test_egdi_is_the_mean_of_osi_tii_hci() -> None:
    fw = load_framework("egdi")
    assert [n.code for n in fw.nodes] == ["OSI", "TII", "HCI"]
    assert sum(n.attrs["weight"] for n in fw.nodes) == pytest.approx(1.0)
    for parent in ("TII", "HCI"):
        assert sum(c.attrs["weight"] for c in fw.node(parent).children) == pytest.approx(1.0)


def test_unknown_framework_is_a_404_domain_error() -> None:
    with pytest.raises(DomainError) as err:
        load_framework("nope")
    assert err.value.status == 404 and err.value.params["framework"] == "nope"


BAD_HEADER = """
id: bad
version: "1"
title_fa: "الف"
title_en: "A"
source: {seed: "x.txt", where: "t"}
levels: [dimension, item]
"""


@pytest.mark.parametrize(
    ("body", "message_part", "node"),
    [
        (
            "counts: {dimension: 2}\nnodes:\n  - {code: D1, label_fa: 'یک', label_en: One}\n",
            "declared {declared} nodes",
            "-",
        ),
        (
            "counts: {dimension: 2}\nnodes:\n  - {code: D1, label_fa: 'یک', label_en: One}\n"
            "  - {code: D1, label_fa: 'دو', label_en: Two}\n",
            "used more than once",
            "D1",
        ),
        ("counts: {dimension: 1}\nnodes:\n  - {code: D1, label_fa: 'یک'}\n", "has no {key}", "D1"),
        (
            "counts: {dimension: 1}\nnodes:\n  - code: D1\n    label_fa: 'یک'\n    label_en: One\n"
            "    leaf_count: 3\n    children: [{code: I1, label_fa: 'آ', label_en: a}]\n",
            "declares",
            "D1",
        ),
    ],
)
def test_invalid_files_name_the_file_and_the_node(tmp_path: Path, body: str, message_part: str, node: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_HEADER + body, encoding="utf-8")
    with pytest.raises(FrameworkFileError) as err:
        load_framework_file(path)
    assert message_part in err.value.message
    assert err.value.params["file"] == "bad.yaml" and err.value.params["node"] == node
    assert "bad.yaml" in err.value.localized("en")
