"""The KPI catalogue: definitions as data (``kpis.yaml``), editable settings in ``analytics_kpi``.

The definition of a KPI (titles, meaning, unit, direction, how it is computed) ships with the
code, reviewed like code and translated in the YAML; what an agency admin may change (target,
owner agency, public or internal) is stored per KPI and audited with ``KPI_CHANGED``. A KPI
nobody edited reads its defaults from the YAML.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import clock, events
from smartgov.errors import DomainError
from smartgov.i18n import N_

from .events import KPI_CHANGED
from .models import KpiSetting

UNITS = ("count", "days", "percent", "rial", "score")
DIRECTIONS = ("up", "down")
KINDS = ("count", "sum", "mean", "ratio", "percentile", "share", "stock", "stock_age", "per")


@dataclass(frozen=True)
class Kpi:
    """One KPI definition with its current settings."""

    code: str
    title: dict[str, str]
    definition: dict[str, str]
    unit: str
    direction: str
    target: float | None
    owner_agency_code: str | None
    public: bool
    compute: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def label(self, lang: str) -> str:
        return self.title.get(lang) or self.title["en"]


@functools.cache
def defaults() -> tuple[Kpi, ...]:
    """The catalogue as shipped (``kpis.yaml``), checked once."""
    raw = yaml.safe_load((Path(__file__).parent / "kpis.yaml").read_text(encoding="utf-8"))
    found: list[Kpi] = []
    for item in raw:
        kpi = Kpi(code=item["code"], title=dict(item["title"]), definition=dict(item["definition"]),
                  unit=item["unit"], direction=item["direction"], target=item.get("target"),
                  owner_agency_code=item.get("owner"), public=bool(item.get("public", False)),
                  compute=dict(item["compute"]))
        if kpi.unit not in UNITS or kpi.direction not in DIRECTIONS or kpi.compute.get("kind") not in KINDS \
                or set(kpi.title) != {"en", "fa"} or set(kpi.definition) != {"en", "fa"}:
            raise ValueError(f"kpis.yaml: {kpi.code} is not a valid KPI")
        found.append(kpi)
    if len({k.code for k in found}) != len(found):
        raise ValueError("kpis.yaml: a code appears twice")
    return tuple(found)


def _merged(kpi: Kpi, setting: KpiSetting | None) -> Kpi:
    if setting is None:
        return kpi
    return Kpi(kpi.code, kpi.title, kpi.definition, kpi.unit, kpi.direction, setting.target,
               setting.owner_agency_code, setting.public, kpi.compute)


def kpis(db: Session) -> list[Kpi]:
    """Every KPI with its current target, owner and visibility, in catalogue order."""
    settings = {s.code: s for s in db.scalars(select(KpiSetting))}
    return [_merged(k, settings.get(k.code)) for k in defaults()]


def kpi(db: Session, code: str) -> Kpi:
    """One KPI by code; ``NotFound`` for an unknown code."""
    for found in defaults():
        if found.code == code:
            return _merged(found, db.get(KpiSetting, code))
    raise DomainError("kpi_not_found", N_("There is no KPI “{kpi}”."), field="code", status=404, kpi=code[:60])


_UNSET: Any = object()


def change(db: Session, code: str, *, actor_id: int, target: float | None = _UNSET,
           owner_agency_code: str | None = _UNSET, public: bool = _UNSET) -> Kpi:
    """Change a KPI's target, owner or visibility (the caller checked who may); audited with ``KPI_CHANGED``."""
    current = kpi(db, code)
    if target is not _UNSET and target is not None and not (-1e15 < target < 1e15):
        raise DomainError("target_invalid", N_("The target is out of range."), field="target")
    setting = db.get(KpiSetting, code)
    if setting is None:
        setting = KpiSetting(code=code, target=current.target, owner_agency_code=current.owner_agency_code,
                             public=current.public, updated_at=clock.now(), updated_by=actor_id)
        db.add(setting)
    before = {"target": setting.target, "owner_agency_code": setting.owner_agency_code, "public": setting.public}
    if target is not _UNSET:
        setting.target = target
    if owner_agency_code is not _UNSET:
        setting.owner_agency_code = owner_agency_code
    if public is not _UNSET:
        setting.public = bool(public)
    setting.updated_at, setting.updated_by = clock.now(), actor_id
    after = {"target": setting.target, "owner_agency_code": setting.owner_agency_code, "public": setting.public}
    events.publish(db, KPI_CHANGED, actor_id=actor_id, code=code, before=before, after=after)
    db.flush()
    return _merged(current, setting)
