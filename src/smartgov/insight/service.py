"""Use cases of insight: projects, coders, sources and their case variables, the code system,
coding spans, memos and themes. Functions take a Session and never commit (the caller's unit of
work does); every change publishes an event, so the audit log and the ledger see it.

Permission checks are the caller's (``permissions.py``); these functions trust the project they
are given and validate everything else (offsets, names, colours, that a code belongs to the project).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from smartgov import clock, events, participation
from smartgov.errors import DomainError, NotFound
from smartgov.i18n import N_
from smartgov.identity import OrganizationRef, Principal

from . import texts
from .events import CODE_CHANGED, CODING_CHANGED, MEMO_WRITTEN, PROJECT_CHANGED, SOURCE_ADDED, THEME_CHANGED
from .models import (
    THEME_LEVELS,
    Code,
    Coder,
    Coding,
    Memo,
    Project,
    Selection,
    Source,
    SourceValue,
    Theme,
    ThemeCode,
    Variable,
)
from .permissions import visible_organization_ids

COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_GUID = re.compile(r"\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?")
VARIABLE_TYPES = ("Text", "Boolean", "Integer", "Float", "Date", "DateTime")
MEMO_TARGETS = ("project", "code", "source", "selection")
#: Participation subjects whose comments a project may pull (through ``participation.export_documents``).
PARTICIPATION_SUBJECTS = ("consultation", "proposal", "petition")


def new_guid() -> str:
    return str(uuid.uuid4())


def canonical_guid(value: str | None, field: str = "guid") -> str:
    """A GUID as stored: lower case, no braces (tools write ``{ABC…}``, ``abc…`` and ``ABC…``)."""
    match = _GUID.fullmatch((value or "").strip())
    if not match:
        raise DomainError("guid_invalid", N_("This is not a GUID."), field=field, status=422)
    return match.group(1).lower()


def _text(value: str | None, field: str, max_len: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError("required", N_("This field is required."), field=field, status=422)
    if len(value) > max_len:
        raise DomainError("too_long", N_("Enter at most {max} characters."), field=field, status=422, max=max_len)
    return value


# --------------------------------------------------------------------------- projects and coders


def create_project(db: Session, principal: Principal | None, org: OrganizationRef, name: str, *,
                   description: str = "", blind: bool = False, guid: str | None = None,
                   origin: str = "smartgov") -> Project:
    """A new project of agency ``org``; names are unique within an agency."""
    name = _text(name, "name", 200)
    if db.scalar(select(Project.id).where(Project.organization_id == org.id, Project.name == name)) is not None:
        raise DomainError("project_exists", N_("This agency already has a project with this name."), field="name",
                          status=409)
    project = Project(guid=guid or new_guid(), organization_id=org.id, name=name,
                      description=_text(description, "description", 20_000, required=False), blind=blind,
                      origin=origin[:200], created_by=principal.id if principal else None, created_at=clock.now())
    db.add(project)
    db.flush()
    events.publish(db, PROJECT_CHANGED, actor_id=principal.id if principal else None, project=project.id,
                   action="created")
    return project


def projects_for(db: Session, principal: Principal) -> list[Project]:
    """The projects of the agencies ``principal`` analyses for, newest first."""
    orgs = visible_organization_ids(db, principal)
    if not orgs:
        return []
    return list(db.scalars(select(Project).where(Project.organization_id.in_(orgs)).order_by(Project.id.desc())))


def get_project(db: Session, project_id: int) -> Project:
    project = db.get(Project, project_id)
    if project is None:
        raise NotFound("project")
    return project


def project_by_name(db: Session, name: str) -> Project:
    found = list(db.scalars(select(Project).where(Project.name == name)))
    if len(found) != 1:
        raise NotFound("project", field="name")
    return found[0]


def coder_for(db: Session, project: Project, principal: Principal) -> Coder:
    """The coder row of ``principal`` in ``project`` (made on first use, named after the account)."""
    coder = db.scalar(select(Coder).where(Coder.project_id == project.id, Coder.account_id == principal.id))
    if coder is None:
        coder = Coder(project_id=project.id, guid=new_guid(), name=principal.account.username[:200],
                      account_id=principal.id)
        db.add(coder)
        db.flush()
    return coder


def coders(db: Session, project: Project) -> list[Coder]:
    return list(db.scalars(select(Coder).where(Coder.project_id == project.id).order_by(Coder.id)))


# --------------------------------------------------------------------------- sources and case variables


def add_source(db: Session, project: Project, principal: Principal | None, name: str, text: str, *,
               kind: str = "transcript", values: dict[str, str] | None = None, external_ref: str | None = None,
               guid: str | None = None, description: str = "") -> Source:
    """Add one text (cleaned: line ends, control characters) with its case-variable values."""
    source = Source(project_id=project.id, guid=guid or new_guid(), name=_text(name, "name", 300), kind=kind,
                    external_ref=external_ref, text=texts.clean(text), description=description,
                    created_at=clock.now())
    if not source.text.strip():
        raise DomainError("required", N_("This field is required."), field="text", status=422)
    db.add(source)
    db.flush()
    for variable, value in (values or {}).items():
        set_value(db, project, source, variable, value)
    events.publish(db, SOURCE_ADDED, actor_id=principal.id if principal else None, project=project.id,
                   sources=[source.id], kind=kind)
    return source


def upload_source(db: Session, project: Project, principal: Principal, filename: str, data: bytes, *,
                  name: str = "", values: dict[str, str] | None = None) -> Source:
    """A transcript or document uploaded as TXT, DOCX or PDF (read within ``texts``' limits)."""
    text = texts.extract(filename, data, field="file")
    return add_source(db, project, principal, name or filename.rsplit(".", 1)[0] or filename, text,
                      kind="document" if not filename.lower().endswith(".txt") else "transcript", values=values)


def pull_participation(db: Session, project: Project, principal: Principal | None, subject_kind: str,
                       subject_id: int) -> list[Source]:
    """Pull the visible (redacted) comments of a consultation, proposal or petition that are not in
    the project yet; run again to bring in the comments that arrived since. Each comment is a source
    with its section and day as case variables."""
    if subject_kind not in PARTICIPATION_SUBJECTS:
        raise DomainError("subject_kind", N_("Choose a consultation, a proposal or a petition."), field="subject_kind",
                          status=422)
    have = set(db.scalars(select(Source.external_ref).where(Source.project_id == project.id,
                                                            Source.external_ref.is_not(None))))
    added = []
    for doc in participation.export_documents(db, consultation_id=subject_id, subject_kind=subject_kind):
        if doc.id in have or not doc.text.strip():
            continue
        source = Source(project_id=project.id, guid=new_guid(), name=doc.id, kind="comment", external_ref=doc.id,
                        text=texts.clean(doc.text), description=doc.source, created_at=clock.now())
        db.add(source)
        db.flush()
        set_value(db, project, source, "subject", doc.source)
        set_value(db, project, source, "date", doc.created.isoformat(), type_name="Date")
        if doc.section:
            set_value(db, project, source, "section", doc.section)
        added.append(source)
    if added:
        events.publish(db, SOURCE_ADDED, actor_id=principal.id if principal else None, project=project.id,
                       sources=[s.id for s in added], kind="comment")
    return added


def variable(db: Session, project: Project, name: str, *, type_name: str = "Text", guid: str | None = None) -> Variable:
    """The case variable ``name`` (made on first use)."""
    name = _text(name, "variable", 200)
    if type_name not in VARIABLE_TYPES:
        raise DomainError("variable_type", N_("Unknown variable type."), field="type", status=422)
    found = db.scalar(select(Variable).where(Variable.project_id == project.id, Variable.name == name))
    if found is None:
        found = Variable(project_id=project.id, guid=guid or new_guid(), name=name, type_name=type_name)
        db.add(found)
        db.flush()
    return found


def set_value(db: Session, project: Project, source: Source, name: str, value: str, *,
              type_name: str = "Text") -> None:
    """Set (or clear, with an empty value) one case variable of one source."""
    var = variable(db, project, name, type_name=type_name)
    value = _text(value, "value", 500, required=False)
    row = db.get(SourceValue, (source.id, var.id))
    if not value:
        if row is not None:
            db.delete(row)
        return
    if row is None:
        db.add(SourceValue(source_id=source.id, variable_id=var.id, value=value))
    else:
        row.value = value
    db.flush()


def sources(db: Session, project: Project) -> list[Source]:
    return list(db.scalars(select(Source).where(Source.project_id == project.id).order_by(Source.id)))


def get_source(db: Session, project: Project, source_id: int) -> Source:
    source = db.get(Source, source_id)
    if source is None or source.project_id != project.id:
        raise NotFound("source")
    return source


def values_of(db: Session, project: Project) -> dict[int, dict[str, str]]:
    """source id → {variable name: value}: the case variables of every source."""
    rows = db.execute(select(SourceValue.source_id, Variable.name, SourceValue.value)
                      .join(Variable, Variable.id == SourceValue.variable_id)
                      .where(Variable.project_id == project.id))
    out: dict[int, dict[str, str]] = {}
    for source_id, name, value in rows:
        out.setdefault(source_id, {})[name] = value
    return out


# --------------------------------------------------------------------------- code system


def _color(value: str | None) -> str:
    value = (value or "#0b5394").strip()
    if not COLOR.fullmatch(value):
        raise DomainError("color_invalid", N_("Enter a colour as #RRGGBB."), field="color", status=422)
    return value.lower()


def create_code(db: Session, project: Project, principal: Principal | None, name: str, *,
                parent_id: int | None = None, color: str | None = None, definition: str = "", inclusion: str = "",
                exclusion: str = "", examples: str = "", codable: bool = True, guid: str | None = None) -> Code:
    """A code, at the top of the code system or under ``parent_id``."""
    parent = get_code(db, project, parent_id, field="parent") if parent_id is not None else None
    position = db.scalar(select(func.count(Code.id)).where(Code.project_id == project.id)) or 0
    code = Code(project_id=project.id, guid=guid or new_guid(), parent_id=parent.id if parent else None,
                position=position, name=_text(name, "name", 200), color=_color(color),
                definition=_text(definition, "definition", 20_000, required=False),
                inclusion=_text(inclusion, "inclusion", 20_000, required=False),
                exclusion=_text(exclusion, "exclusion", 20_000, required=False),
                examples=_text(examples, "examples", 20_000, required=False), codable=codable, created_at=clock.now())
    db.add(code)
    db.flush()
    events.publish(db, CODE_CHANGED, actor_id=principal.id if principal else None, project=project.id, code=code.id,
                   action="created")
    return code


def update_code(db: Session, project: Project, principal: Principal, code: Code, *, name: str, color: str | None,
                definition: str, inclusion: str, exclusion: str, examples: str,
                parent_id: int | None = None) -> Code:
    """Edit a code's name, colour, definition, criteria, examples and place in the tree."""
    if parent_id is not None:
        parent = get_code(db, project, parent_id, field="parent")
        ancestor: Code | None = parent
        while ancestor is not None:  # a code cannot move under itself or its own descendants
            if ancestor.id == code.id:
                raise DomainError("code_cycle", N_("A code cannot be placed under itself."), field="parent", status=422)
            ancestor = db.get(Code, ancestor.parent_id) if ancestor.parent_id else None
    code.parent_id = parent_id
    code.name = _text(name, "name", 200)
    code.color = _color(color)
    code.definition = _text(definition, "definition", 20_000, required=False)
    code.inclusion = _text(inclusion, "inclusion", 20_000, required=False)
    code.exclusion = _text(exclusion, "exclusion", 20_000, required=False)
    code.examples = _text(examples, "examples", 20_000, required=False)
    db.flush()
    events.publish(db, CODE_CHANGED, actor_id=principal.id, project=project.id, code=code.id, action="edited")
    return code


def get_code(db: Session, project: Project, code_id: int | None, *, field: str = "code") -> Code:
    code = db.get(Code, code_id) if code_id is not None else None
    if code is None or code.project_id != project.id:
        raise DomainError("code_unknown", N_("Choose a code of this project."), field=field, status=422)
    return code


def codes(db: Session, project: Project) -> list[Code]:
    return list(db.scalars(select(Code).where(Code.project_id == project.id).order_by(Code.position, Code.id)))


def code_tree(db: Session, project: Project) -> list[tuple[int, Code]]:
    """Every code with its depth, parents before their children (the code system as a list)."""
    children: dict[int | None, list[Code]] = {}
    for code in codes(db, project):
        children.setdefault(code.parent_id, []).append(code)
    out: list[tuple[int, Code]] = []

    def walk(parent: int | None, depth: int) -> None:
        for code in children.get(parent, []):
            out.append((depth, code))
            walk(code.id, depth + 1)

    walk(None, 0)
    return out


# --------------------------------------------------------------------------- coding


def code_span(db: Session, project: Project, principal: Principal | None, source: Source, start: int, end: int,
              code_ids: Sequence[int], *, coder: Coder | None = None) -> Selection:
    """Apply ``code_ids`` to ``source[start:end]``; the same coder's same span gains codes, not a twin."""
    if not 0 <= start < end <= len(source.text):
        raise DomainError("span_invalid", N_("Select a part of the text to code."), field="start", status=422)
    if not code_ids:
        raise DomainError("required", N_("Choose at least one code."), field="codes", status=422)
    chosen = [get_code(db, project, code_id, field="codes") for code_id in dict.fromkeys(code_ids)]
    if principal is not None and coder is None:
        coder = coder_for(db, project, principal)
    coder_id = coder.id if coder else None
    same_coder = Selection.coder_id.is_(None) if coder_id is None else Selection.coder_id == coder_id
    selection = db.scalar(select(Selection).where(Selection.source_id == source.id, Selection.start == start,
                                                  Selection.end == end, same_coder))
    if selection is None:
        selection = Selection(project_id=project.id, guid=new_guid(), source_id=source.id, coder_id=coder_id,
                              start=start, end=end, created_at=clock.now())
        db.add(selection)
        db.flush()
    have = set(db.scalars(select(Coding.code_id).where(Coding.selection_id == selection.id)))
    for code in chosen:
        if code.id not in have:
            db.add(Coding(guid=new_guid(), selection_id=selection.id, code_id=code.id, coder_id=coder_id,
                          created_at=clock.now()))
    db.flush()
    events.publish(db, CODING_CHANGED, actor_id=principal.id if principal else None, project=project.id,
                   source=source.id, selection=selection.id, codes=[c.id for c in chosen], action="coded")
    return selection


def code_sentence(db: Session, project: Project, principal: Principal, source: Source, index: int,
                  code_ids: Sequence[int]) -> Selection:
    """The no-JavaScript way: code the ``index``-th sentence of the source whole."""
    units = texts.sentences(source.text)
    if not 0 <= index < len(units):
        raise DomainError("sentence_invalid", N_("Choose a sentence of this source."), field="sentence", status=422)
    start, end = units[index]
    return code_span(db, project, principal, source, start, end, code_ids)


def remove_coding(db: Session, project: Project, principal: Principal, coding_id: int) -> None:
    """Remove one coding (one's own, or any when the project is not blind); an empty selection goes too."""
    coding = db.get(Coding, coding_id)
    selection = db.get(Selection, coding.selection_id) if coding else None
    if coding is None or selection is None or selection.project_id != project.id:
        raise NotFound("coding")
    db.delete(coding)
    db.flush()
    if db.scalar(select(func.count(Coding.id)).where(Coding.selection_id == selection.id)) == 0:
        db.delete(selection)
    events.publish(db, CODING_CHANGED, actor_id=principal.id, project=project.id, source=selection.source_id,
                   selection=selection.id, codes=[coding.code_id], action="removed")


@dataclass(frozen=True)
class Segment:
    """A coded span as pages and analyses read it."""

    coding_id: int
    selection_id: int
    source_id: int
    code_id: int
    coder_id: int | None
    start: int
    end: int


def segments(db: Session, project: Project, *, source_id: int | None = None, coder_id: int | None = None,
             code_ids: Iterable[int] | None = None) -> list[Segment]:
    """Codings of the project (optionally one source's, one coder's, some codes'), in coding order."""
    stmt = (select(Coding.id, Selection.id, Selection.source_id, Coding.code_id, Selection.coder_id, Selection.start,
                   Selection.end).join(Selection, Selection.id == Coding.selection_id)
            .where(Selection.project_id == project.id))
    if source_id is not None:
        stmt = stmt.where(Selection.source_id == source_id)
    if coder_id is not None:
        stmt = stmt.where(Selection.coder_id == coder_id)
    if code_ids is not None:
        stmt = stmt.where(Coding.code_id.in_(list(code_ids)))
    return [Segment(*row) for row in db.execute(stmt.order_by(Coding.id))]


def visible_segments(db: Session, project: Project, principal: Principal, source_id: int) -> list[Segment]:
    """A source's codings as ``principal`` may see them: only their own when the project codes blind."""
    if project.blind:
        coder = coder_for(db, project, principal)
        return segments(db, project, source_id=source_id, coder_id=coder.id)
    return segments(db, project, source_id=source_id)


def retrieve(db: Session, project: Project, code_id: int, *, context: int = 120) -> list[tuple[Source, Segment, str,
                                                                                                  str, str]]:
    """Coded-segment retrieval: each segment of ``code_id`` with ``context`` characters either side."""
    found = segments(db, project, code_ids=[code_id])
    by_id = {s.id: s for s in db.scalars(select(Source).where(Source.id.in_({f.source_id for f in found})))}
    out = []
    for seg in found:
        text = by_id[seg.source_id].text
        out.append((by_id[seg.source_id], seg, text[max(0, seg.start - context):seg.start], text[seg.start:seg.end],
                    text[seg.end:seg.end + context]))
    return out


# --------------------------------------------------------------------------- memos


def write_memo(db: Session, project: Project, principal: Principal | None, target_kind: str, target_id: int,
               text: str, *, name: str = "", guid: str | None = None, coder: Coder | None = None) -> Memo:
    """A memo on the project, one of its codes, sources or selections."""
    if target_kind not in MEMO_TARGETS:
        raise DomainError("memo_target", N_("A memo belongs to a project, code, source or segment."), field="target",
                          status=422)
    model = {"project": Project, "code": Code, "source": Source, "selection": Selection}[target_kind]
    target = db.get(model, target_id)
    owner = target.id if isinstance(target, Project) else getattr(target, "project_id", None)
    if target is None or owner != project.id:
        raise NotFound(target_kind, field="target")
    if coder is None and principal is not None:
        coder = coder_for(db, project, principal)
    memo = Memo(project_id=project.id, guid=guid or new_guid(), target_kind=target_kind, target_id=target_id,
                name=_text(name, "name", 200, required=False), text=_text(text, "text", 100_000),
                coder_id=coder.id if coder else None, created_at=clock.now())
    db.add(memo)
    db.flush()
    events.publish(db, MEMO_WRITTEN, actor_id=principal.id if principal else None, project=project.id,
                   memo=memo.id, target=target_kind)
    return memo


def memos(db: Session, project: Project, target_kind: str | None = None, target_id: int | None = None) -> list[Memo]:
    stmt = select(Memo).where(Memo.project_id == project.id)
    if target_kind is not None:
        stmt = stmt.where(Memo.target_kind == target_kind)
    if target_id is not None:
        stmt = stmt.where(Memo.target_id == target_id)
    return list(db.scalars(stmt.order_by(Memo.id)))


# --------------------------------------------------------------------------- themes


_PARENT_LEVEL = {"basic": "organizing", "organizing": "global"}


def create_theme(db: Session, project: Project, principal: Principal | None, name: str, level: str, *,
                 parent_id: int | None = None, code_ids: Sequence[int] = (), description: str = "",
                 framework_ref: str | None = None, guid: str | None = None) -> Theme:
    """A theme of the network: basic themes group codes; a basic theme sits under an organizing one,
    an organizing theme under a global one."""
    if level not in THEME_LEVELS:
        raise DomainError("theme_level", N_("Choose basic, organizing or global."), field="level", status=422)
    theme = Theme(project_id=project.id, guid=guid or new_guid(), level=level, name=_text(name, "name", 300),
                  description=_text(description, "description", 20_000, required=False),
                  framework_ref=(framework_ref or None) and framework_ref[:80], created_at=clock.now())
    db.add(theme)
    db.flush()
    _place(db, project, theme, parent_id, code_ids)
    events.publish(db, THEME_CHANGED, actor_id=principal.id if principal else None, project=project.id,
                   theme=theme.id, action="created")
    return theme


def regroup_theme(db: Session, project: Project, principal: Principal, theme: Theme, *, parent_id: int | None,
                  code_ids: Sequence[int]) -> Theme:
    """Move a theme under another parent and (basic themes) replace the codes it groups."""
    _place(db, project, theme, parent_id, code_ids)
    events.publish(db, THEME_CHANGED, actor_id=principal.id, project=project.id, theme=theme.id, action="regrouped")
    return theme


def _place(db: Session, project: Project, theme: Theme, parent_id: int | None, code_ids: Sequence[int]) -> None:
    if parent_id is not None:
        parent = get_theme(db, project, parent_id, field="parent")
        if parent.level != _PARENT_LEVEL.get(theme.level):
            raise DomainError("theme_parent", N_("A basic theme goes under an organizing theme, an organizing theme "
                                                 "under a global one."), field="parent", status=422)
    theme.parent_id = parent_id  # None is allowed: analysts group bottom-up, a theme may wait for its parent
    if code_ids and theme.level != "basic":
        raise DomainError("theme_codes", N_("Only basic themes group codes."), field="codes", status=422)
    db.execute(delete(ThemeCode).where(ThemeCode.theme_id == theme.id))
    for code_id in dict.fromkeys(code_ids):
        db.add(ThemeCode(theme_id=theme.id, code_id=get_code(db, project, code_id, field="codes").id))
    db.flush()


def get_theme(db: Session, project: Project, theme_id: int | None, *, field: str = "theme") -> Theme:
    theme = db.get(Theme, theme_id) if theme_id is not None else None
    if theme is None or theme.project_id != project.id:
        raise DomainError("theme_unknown", N_("Choose a theme of this project."), field=field, status=422)
    return theme


def themes(db: Session, project: Project) -> list[Theme]:
    return list(db.scalars(select(Theme).where(Theme.project_id == project.id).order_by(Theme.id)))


def theme_codes(db: Session, project: Project) -> dict[int, list[int]]:
    """basic theme id → the ids of the codes it groups."""
    rows = db.execute(select(ThemeCode.theme_id, ThemeCode.code_id).join(Theme, Theme.id == ThemeCode.theme_id)
                      .where(Theme.project_id == project.id).order_by(ThemeCode.code_id))
    out: dict[int, list[int]] = {}
    for theme_id, code_id in rows:
        out.setdefault(theme_id, []).append(code_id)
    return out
