"""An agency's own success factors and indicators added to a shipped framework, each with its origin.

The shipped frameworks are master data and never change; what an agency learns (for instance a
theme that came out of a thematic analysis of its consultations or interviews in ``insight``) is
added *under* one of their nodes: a success factor under an organizing theme of the CSF, an
indicator under a component of the SSO digital-government model or the EGDI. The addition keeps
its origin (``insight.theme:<guid>``, a label and a link), so the framework page shows where it
came from and the analysis shows where it went. Only an agency's admins add to its frameworks.
Functions take a Session and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import clock, events
from smartgov.errors import Conflict, DomainError
from smartgov.i18n import N_
from smartgov.identity import OrganizationRef, Principal, Role, acts_for_agency, can_write

from .events import FRAMEWORK_EXTENDED
from .frameworks import Framework, Node, load_framework
from .models import FrameworkAddition

#: Frameworks an agency may extend: the level a new node goes under, and what the new node is.
EXTENSIBLE: dict[str, tuple[str, str]] = {"csf": ("organizing", "success_factor"),
                                          "dg-sso": ("component", "indicator"),
                                          "egdi": ("component", "indicator")}
KIND_NAMES = {"success_factor": N_("Success factor"), "indicator": N_("Indicator")}


@dataclass(frozen=True)
class AdditionView:
    """What another module may read of an addition."""

    id: int
    organization_id: int
    framework_id: str
    framework_title_fa: str
    framework_title_en: str
    parent_code: str
    parent_label_fa: str
    parent_label_en: str
    kind: str
    label: str
    origin: str
    origin_label: str
    origin_url: str

    @property
    def url(self) -> str:
        return f"/assessment/frameworks/{self.framework_id}#additions"


def can_extend_framework(db: Session, principal: Principal, org: OrganizationRef) -> bool:
    """Add to the frameworks an agency uses: that agency's admins (or those of an agency above it)."""
    return can_write(principal) and acts_for_agency(db, principal, org, Role.AGENCY_ADMIN)


def parent_nodes(framework_id: str) -> list[Node]:
    """The nodes an addition may go under in ``framework_id`` (empty for a framework not extensible)."""
    if framework_id not in EXTENSIBLE:
        return []
    fw = load_framework(framework_id)
    return [n for n in fw.walk() if n.level == EXTENSIBLE[framework_id][0]]


def _view(row: FrameworkAddition, fw: Framework) -> AdditionView:
    parent = fw.node(row.parent_code)
    return AdditionView(id=row.id, organization_id=row.organization_id, framework_id=row.framework_id,
                        framework_title_fa=fw.title_fa, framework_title_en=fw.title_en, parent_code=row.parent_code,
                        parent_label_fa=parent.label_fa, parent_label_en=parent.label_en, kind=row.kind,
                        label=row.label, origin=row.origin, origin_label=row.origin_label, origin_url=row.origin_url)


def add_to_framework(db: Session, org: OrganizationRef, framework_id: str, parent_code: str, label: str, *,
                     description: str = "", origin: str, origin_label: str = "", origin_url: str = "",
                     actor_id: int | None) -> AdditionView:
    """Add a success factor or indicator under ``parent_code``; one origin is added once per framework."""
    if framework_id not in EXTENSIBLE:
        raise DomainError("framework_not_extensible", N_("Choose the CSF, the SSO model or the EGDI."),
                          field="framework", status=422)
    if parent_code not in {n.code for n in parent_nodes(framework_id)}:
        raise DomainError("parent_unknown", N_("Choose where it goes in the framework."), field="parent", status=422)
    label = " ".join(label.split())
    if not label or len(label) > 300:
        raise DomainError("required", N_("This field is required."), field="label", status=422)
    if db.scalar(select(FrameworkAddition.id).where(
            FrameworkAddition.organization_id == org.id, FrameworkAddition.framework_id == framework_id,
            FrameworkAddition.origin == origin[:80])) is not None:
        raise Conflict("already_added", N_("This has already been added to the framework."))
    row = FrameworkAddition(organization_id=org.id, framework_id=framework_id, parent_code=parent_code,
                            kind=EXTENSIBLE[framework_id][1], label=label, description=description[:20_000],
                            origin=origin[:80], origin_label=origin_label[:300], origin_url=origin_url[:300],
                            created_by=actor_id, created_at=clock.now())
    db.add(row)
    db.flush()
    events.publish(db, FRAMEWORK_EXTENDED, actor_id=actor_id, organization_id=org.id, framework=framework_id,
                   parent=parent_code, kind=row.kind, addition=row.id, origin=row.origin)
    return _view(row, load_framework(framework_id))


def framework_additions(db: Session, framework_id: str, org_ids: Iterable[int]) -> list[AdditionView]:
    """The additions the agencies ``org_ids`` made to one framework, in the order they were made."""
    ids = list(org_ids)
    if framework_id not in EXTENSIBLE or not ids:
        return []
    fw = load_framework(framework_id)
    rows = db.scalars(select(FrameworkAddition).where(FrameworkAddition.framework_id == framework_id,
                                                      FrameworkAddition.organization_id.in_(ids))
                      .order_by(FrameworkAddition.id))
    return [_view(r, fw) for r in rows]


def additions_from(db: Session, origins: Iterable[str]) -> list[AdditionView]:
    """The additions that came from these origins (e.g. the themes of one analysis)."""
    wanted = list(origins)
    if not wanted:
        return []
    rows = db.scalars(select(FrameworkAddition).where(FrameworkAddition.origin.in_(wanted))
                      .order_by(FrameworkAddition.id))
    return [_view(r, load_framework(r.framework_id)) for r in rows]
