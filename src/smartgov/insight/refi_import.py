"""REFI-QDA import: a ``.qdpx`` from MAXQDA, ATLAS.ti, NVivo, QualCoder or smartgov into a new project.

Read within the platform's hostile-file rules: the zip by :func:`smartgov.files.open_zip` (entry
count, sizes, ratios), every entry through :func:`smartgov.files.stream_entry` (bytes counted as
they come out), XML by :func:`smartgov.files.parse_xml` (defusedxml: DTDs and entities refused, no
network). Dialects accepted: GUIDs in braces or in either case, namespaced or bare elements,
source text inline (``PlainTextContent``) or in a file (``plainTextPath`` as ``internal://x.txt``,
``Sources/x.txt`` or ``x.txt``; ``richTextPath`` DOCX when there is no plain text), PDF sources
through their text ``Representation``. What is not imported is reported, element by element.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import events, files
from smartgov.errors import DomainError
from smartgov.i18n import N_
from smartgov.identity import OrganizationRef, Principal

from . import service, texts
from .events import PROJECT_CHANGED
from .models import Coder, Coding, Project
from .refi_export import LABELS, THEME_LINK

FIELD = "file"
LIMITS = files.DEFAULT_LIMITS.but(max_entries=5_000, max_unpacked_bytes=200 * files.MB)
#: Elements this importer reads (by local name); anything else is reported as not imported.
KNOWN = frozenset({
    "Project", "Users", "User", "CodeBook", "Codes", "Code", "Description", "NoteRef", "Variables", "Variable",
    "Sources", "TextSource", "PlainTextContent", "PlainTextSelection", "Coding", "CodeRef", "VariableValue",
    "VariableRef", "TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue", "DateTimeValue", "Notes",
    "Note", "Links", "Link", "Sets", "Set", "MemberCode", "PDFSource", "Representation",
})


@dataclass
class Report:
    """What an import did: counts per kind, and every element or file it could not bring in."""

    project: Project | None = None
    counts: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _kids(el: Any, name: str) -> list[Any]:
    return [c for c in el if _local(c.tag) == name]


def _kid(el: Any, name: str) -> Any | None:
    found = _kids(el, name)
    return found[0] if found else None


def _text_of(el: Any, name: str) -> str:
    kid = _kid(el, name)
    return (kid.text or "") if kid is not None else ""


def _time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _refused(message: str, **params: Any) -> DomainError:
    return DomainError("qdpx_invalid", message, field=FIELD, status=422, **params)


def read_qdpx(data: bytes) -> tuple[Any, dict[str, zipfile.ZipInfo], zipfile.ZipFile]:
    """The parsed ``project.qde`` and the archive's entries by lower-case name."""
    archive = files.open_zip(data, field=FIELD, limits=LIMITS, kind="QDPX")
    entries = {info.filename.lower(): info for info in archive.infolist()}
    qde = next((n for n in entries if n.endswith(".qde") and n.count("/") == 0), None) or next(
        (n for n in entries if n.endswith(".qde")), None)
    if qde is None:
        raise _refused(N_("The archive holds no project.qde."))
    raw = b"".join(files.stream_entry(archive, entries[qde].filename, field=FIELD, limits=LIMITS, kind="QDPX"))
    root = files.parse_xml(raw, field=FIELD, kind="QDPX")
    if _local(root.tag) != "Project":
        raise _refused(N_("project.qde does not hold a REFI-QDA project."))
    return root, entries, archive


def _source_file(path: str, entries: dict[str, zipfile.ZipInfo], archive: zipfile.ZipFile,
                 report: Report) -> bytes | None:
    """A file a source names: ``internal://x``, ``Sources/x``, ``x``, or a path ending in one of these."""
    name = re.sub(r"^internal://", "", path.strip().replace("\\", "/"), flags=re.I).lstrip("/")
    for candidate in (name, f"sources/{name}", f"sources/{name.rsplit('/', 1)[-1]}", name.rsplit("/", 1)[-1]):
        info = entries.get(candidate.lower())
        if info is not None:
            return b"".join(files.stream_entry(archive, info.filename, field=FIELD, limits=LIMITS, kind="QDPX"))
    report.skipped["file:" + path] += 1
    return None


def _source_text(el: Any, entries: dict[str, zipfile.ZipInfo], archive: zipfile.ZipFile, report: Report) -> str | None:
    inline = _kid(el, "PlainTextContent")
    if inline is not None:
        return inline.text or ""
    if el.get("plainTextPath"):
        raw = _source_file(el.get("plainTextPath"), entries, archive, report)
        if raw is not None:
            try:
                return raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                report.skipped["file not UTF-8: " + el.get("plainTextPath")] += 1
                return None
    if el.get("richTextPath"):
        raw = _source_file(el.get("richTextPath"), entries, archive, report)
        if raw is not None:
            return texts.docx_text(raw, field=FIELD)
    return None


def _unknown(el: Any, report: Report, path: str = "") -> None:
    for child in el:
        name = _local(child.tag)
        if name not in KNOWN:
            report.skipped[f"{path}/{name}".lstrip("/")] += 1
        else:
            _unknown(child, report, f"{path}/{name}" if path else name)


def import_qdpx(db: Session, data: bytes, org: OrganizationRef, principal: Principal | None, *,
                name: str | None = None) -> Report:
    """A new project of ``org`` from a ``.qdpx``, GUIDs kept (made canonical: lower case, no braces)."""
    root, entries, archive = read_qdpx(data)
    report = Report()
    _unknown(root, report, "Project")
    guid = service.canonical_guid
    project = service.create_project(db, principal, org, name or root.get("name") or "REFI-QDA", origin=(
        root.get("origin") or "REFI-QDA"), description=_text_of(root, "Description"))
    report.project = project
    coders: dict[str, Coder] = {}
    users = _kid(root, "Users")
    for user in _kids(users, "User") if users is not None else []:
        coder = Coder(project_id=project.id, guid=guid(user.get("guid")), name=(user.get("name") or "?")[:200])
        db.add(coder)
        coders[coder.guid] = coder
    db.flush()
    report.counts["coders"] = len(coders)

    def coder_of(value: str | None) -> Coder | None:
        return coders.get(guid(value)) if value else None

    codes: dict[str, int] = {}

    def add_codes(parent_el: Any, parent_id: int | None) -> None:
        for el in _kids(parent_el, "Code"):
            parts = re.split(r"\n\n(?=(?:Inclusion|Exclusion|Examples): )", _text_of(el, "Description"))
            found = {"definition": parts[0] if not re.match(r"(Inclusion|Exclusion|Examples): ", parts[0]) else ""}
            for part in parts:
                for attr, label in LABELS:
                    if part.startswith(label + ": "):
                        found[attr] = part[len(label) + 2:]
            color = el.get("color") or "#0b5394"
            if re.fullmatch(r"#[0-9a-fA-F]{3}", color):
                color = "#" + "".join(c * 2 for c in color[1:])
            code = service.create_code(db, project, None, el.get("name") or "?", parent_id=parent_id, color=color,
                                       codable=(el.get("isCodable") or "true").lower() != "false",
                                       guid=guid(el.get("guid")), **found)
            codes[code.guid] = code.id
            notes_for.append(("code", code.id, el))
            add_codes(el, code.id)

    notes_for: list[tuple[str, int, Any]] = []
    book = _kid(root, "CodeBook")
    if book is not None and _kid(book, "Codes") is not None:
        add_codes(_kid(book, "Codes"), None)
    report.counts["codes"] = len(codes)
    variables: dict[str, str] = {}
    var_el = _kid(root, "Variables")
    for el in _kids(var_el, "Variable") if var_el is not None else []:
        var = service.variable(db, project, el.get("name") or "?", type_name=el.get("typeOfVariable") or "Text",
                               guid=guid(el.get("guid")))
        variables[var.guid] = var.name
    sources_el = _kid(root, "Sources")
    for el in list(sources_el) if sources_el is not None else []:
        kind = _local(el.tag)
        holder = el
        if kind == "PDFSource":
            holder = _kid(el, "Representation")
            if holder is None:
                report.skipped["PDFSource without a text Representation"] += 1
                continue
        elif kind != "TextSource":
            continue
        text = _source_text(holder, entries, archive, report)
        if text is None:
            report.skipped[f"{kind} without text: {el.get('name') or el.get('guid')}"] += 1
            continue
        source = service.add_source(db, project, None, el.get("name") or "?", text, kind="imported",
                                    guid=guid(el.get("guid")), description=_text_of(el, "Description"))
        source.created_at = _time(el.get("creationDateTime")) or source.created_at
        if len(source.text) != len(text.replace("\r\n", "\n")) and "\r" in text:
            report.notes.append(f"{source.name}: line ends normalised; offsets may shift")
        report.counts["sources"] += 1
        notes_for.append(("source", source.id, el))
        for vv in _kids(el, "VariableValue"):
            ref = _kid(vv, "VariableRef")
            value = next((c.text for c in vv if _local(c.tag).endswith("Value") and _local(c.tag) != "VariableRef"), "")
            if ref is not None and guid(ref.get("targetGUID")) in variables:
                service.set_value(db, project, source, variables[guid(ref.get("targetGUID"))], value or "")
        whole = [("", 0, len(source.text), el)] if _kids(el, "Coding") else []
        for sel in _kids(holder, "PlainTextSelection") + whole:
            _selection(db, project, source, sel, codes, coder_of, report, notes_for)
    _notes(db, project, root, notes_for, coders, report)
    _themes(db, project, root, codes, report)
    events.publish(db, PROJECT_CHANGED, actor_id=principal.id if principal else None, project=project.id,
                   action="imported", counts=dict(report.counts), skipped=sum(report.skipped.values()))
    return report


def _selection(db: Session, project: Project, source: Any, sel: Any, codes: dict[str, int], coder_of: Any,
               report: Report, notes_for: list[tuple[str, int, Any]]) -> None:
    if isinstance(sel, tuple):  # codings on the whole source
        _g, start, end, el = sel
        sel_guid, created, user = None, None, None
    else:
        el = sel
        try:
            start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
        except (TypeError, ValueError):
            report.skipped["PlainTextSelection without positions"] += 1
            return
        sel_guid, created, user = sel.get("guid"), _time(sel.get("creationDateTime")), sel.get("creatingUser")
    if not 0 <= start < end <= len(source.text):
        report.skipped["PlainTextSelection outside its source"] += 1
        return
    code_ids = []
    for coding in _kids(el, "Coding"):
        ref = _kid(coding, "CodeRef")
        target = service.canonical_guid(ref.get("targetGUID")) if ref is not None else None
        if target in codes:
            code_ids.append((codes[target], coding))
        else:
            report.skipped["Coding of an unknown code"] += 1
    if not code_ids:
        return
    coder = coder_of(user) or (coder_of(code_ids[0][1].get("creatingUser")))
    selection = service.code_span(db, project, None, source, start, end, [c for c, _ in code_ids], coder=coder)
    if sel_guid:
        selection.guid = service.canonical_guid(sel_guid)
    selection.created_at = created or selection.created_at
    rows = {row.code_id: row for row in _codings(db, selection.id)}
    for code_id, coding in code_ids:
        row = rows[code_id]
        row.guid = service.canonical_guid(coding.get("guid"))
        row.created_at = _time(coding.get("creationDateTime")) or row.created_at
        c_coder = coder_of(coding.get("creatingUser"))
        row.coder_id = c_coder.id if c_coder else row.coder_id
        report.counts["codings"] += 1
    report.counts["selections"] += 1
    if not isinstance(sel, tuple):
        notes_for.append(("selection", selection.id, sel))
    db.flush()


def _codings(db: Session, selection_id: int) -> list[Coding]:
    return list(db.scalars(select(Coding).where(Coding.selection_id == selection_id)))


def _notes(db: Session, project: Project, root: Any, notes_for: list[tuple[str, int, Any]],
           coders: dict[str, Coder], report: Report) -> None:
    """Notes become memos on what refers to them; a note nothing refers to is a project memo."""
    notes_el = _kid(root, "Notes")
    found = _kids(notes_el, "Note") if notes_el is not None else []
    notes = {service.canonical_guid(n.get("guid")): n for n in found}
    targets: dict[str, tuple[str, int]] = {}
    for kind, target_id, el in [*notes_for, ("project", project.id, root)]:
        for ref in _kids(el, "NoteRef"):
            targets.setdefault(service.canonical_guid(ref.get("targetGUID")), (kind, target_id))
    for note_guid, note in notes.items():
        text = _text_of(note, "PlainTextContent").strip()
        if not text:
            report.skipped["Note without plain text"] += 1
            continue
        kind, target_id = targets.get(note_guid, ("project", project.id))
        user = note.get("creatingUser")
        memo = service.write_memo(db, project, None, kind, target_id, _text_of(note, "PlainTextContent"),
                                  name=note.get("name") or "", guid=note_guid,
                                  coder=coders.get(service.canonical_guid(user)) if user else None)
        memo.created_at = _time(note.get("creationDateTime")) or memo.created_at
        report.counts["memos"] += 1


def _themes(db: Session, project: Project, root: Any, codes: dict[str, int], report: Report) -> None:
    """Sets with a smartgov theme link are themes at their level; other tools' code sets become basic themes."""
    links_el, sets_el = _kid(root, "Links"), _kid(root, "Sets")
    level_of: dict[str, tuple[str, str | None, str | None]] = {}
    for link in _kids(links_el, "Link") if links_el is not None else []:
        match = re.fullmatch(re.escape(THEME_LINK) + r"(basic|organizing|global)(?: \[(.+)\])?", link.get("name") or "")
        if match and link.get("originGUID"):
            target = link.get("targetGUID")
            level_of[service.canonical_guid(link.get("originGUID"))] = (
                match.group(1), service.canonical_guid(target) if target else None, match.group(2))
        else:
            report.skipped["Link"] += 1
    made: dict[str, Any] = {}
    pending = []
    for el in _kids(sets_el, "Set") if sets_el is not None else []:
        set_guid = service.canonical_guid(el.get("guid"))
        level, parent, ref = level_of.get(set_guid, ("basic", None, None))
        members = [codes[g] for g in (service.canonical_guid(m.get("targetGUID")) for m in _kids(el, "MemberCode"))
                   if g in codes]
        if _kids(el, "MemberSource") or _kids(el, "MemberNote"):
            report.skipped["Set members other than codes"] += 1
        theme = service.create_theme(db, project, None, el.get("name") or "?", level, code_ids=members,
                                     description=_text_of(el, "Description"), framework_ref=ref, guid=set_guid)
        made[set_guid] = theme
        pending.append((theme, parent))
        report.counts["themes"] += 1
    for theme, parent in pending:
        if parent in made and made[parent].level == {"basic": "organizing", "organizing": "global"}.get(theme.level):
            theme.parent_id = made[parent].id
    db.flush()
