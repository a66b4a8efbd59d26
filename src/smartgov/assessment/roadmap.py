"""The bilingual gap → action → capability mapping (``roadmap.yaml``) and its phases (seed 002)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from smartgov.assessment.frameworks import Node

MAPPING_FILE = Path(__file__).parent / "roadmap.yaml"


@dataclass(frozen=True)
class Capability:
    key: str
    label_fa: str
    label_en: str
    module: str

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_fa


@dataclass(frozen=True)
class Action:
    key: str
    phase: int
    capabilities: tuple[str, ...]
    text_fa: str
    text_en: str


@cache
def mapping() -> dict[str, Any]:
    data = yaml.safe_load(MAPPING_FILE.read_text(encoding="utf-8"))
    caps = data["capabilities"]
    for entries in [data["generic"], *[e for fw in data["components"].values() for e in fw.values()]]:
        for entry in entries:
            if not 1 <= int(entry["phase"]) <= 4:
                raise ValueError(f"roadmap.yaml: phase {entry['phase']} out of 1..4")
            unknown = set(entry["capabilities"]) - set(caps)
            if unknown:
                raise ValueError(f"roadmap.yaml: unknown capabilities {sorted(unknown)}")
    return data


def phases() -> dict[int, tuple[str, str]]:
    """Phase number → (Persian, English) label."""
    return {int(k): (v["label_fa"], v["label_en"]) for k, v in mapping()["phases"].items()}


def capabilities() -> dict[str, Capability]:
    return {k: Capability(k, v["label_fa"], v["label_en"], v["module"]) for k, v in mapping()["capabilities"].items()}


def actions_for(framework_id: str, node: Node, parent: Node | None = None) -> list[Action]:
    """The mapped actions for a component, else its parent's, else the generic ones."""
    table = mapping()["components"].get(framework_id, {})
    key, entries = node.code, table.get(node.code)
    if entries is None and parent is not None:
        key, entries = parent.code, table.get(parent.code)
    generic = entries is None
    if generic:
        key, entries = "generic", mapping()["generic"]
    return [
        Action(
            key=key,
            phase=int(e["phase"]),
            capabilities=tuple(e["capabilities"]),
            text_fa=e["fa"].format(component=node.label_fa) if generic else e["fa"],
            text_en=e["en"].format(component=node.label_en) if generic else e["en"],
        )
        for e in entries
    ]
