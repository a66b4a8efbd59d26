"""REFI-QDA export: a project as ``.qdpx`` (a zip of ``project.qde`` and ``Sources/<guid>.txt``) and its
code system as ``.qdc``.

The output is deterministic (ordered by id, times from the rows, fixed zip entry dates), so an
export → import → export gives the same bytes. What REFI-QDA has no element for travels in what it
does have: a code's inclusion/exclusion criteria and examples as labelled paragraphs of its
``Description`` (what MAXQDA users write in a code memo), and themes as ``Sets`` (a basic theme's
``MemberCode``\\ s are its codes) with one ``Link`` each saying its level and its parent theme.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import service
from .models import Code, Coding, Memo, Project, Selection, Theme, Variable

NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
XSD = Path(__file__).parent / "schema" / "Project-mrt2019.xsd"
LABELS = (("inclusion", "Inclusion"), ("exclusion", "Exclusion"), ("examples", "Examples"))
THEME_LINK = "smartgov theme: "  # + level, then " [framework ref]" when the theme is a master-data node
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)


def when(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def code_description(code: Code) -> str:
    """The definition, then each criterion as a labelled paragraph (``refi_import`` reads them back)."""
    parts = [code.definition] if code.definition else []
    parts += [f"{label}: {getattr(code, attr)}" for attr, label in LABELS if getattr(code, attr)]
    return "\n\n".join(parts)


def theme_link_guid(theme: Theme) -> str:
    return str(uuid.uuid5(uuid.UUID(theme.guid), "smartgov-theme-parent"))


def _el(parent: ET.Element, tag: str, ns: str = NS, **attrs: str | None) -> ET.Element:
    return ET.SubElement(parent, f"{{{ns}}}{tag}", {k: v for k, v in attrs.items() if v is not None})


def _text_el(parent: ET.Element, tag: str, text: str, ns: str = NS) -> None:
    if text:
        _el(parent, tag, ns).text = text


def _codes(parent: ET.Element, tree: list[tuple[int, Code]], notes: dict[tuple[str, int], list[Memo]],
           ns: str = NS) -> None:
    stack: list[ET.Element] = [_el(parent, "Codes", ns)]
    for depth, code in tree:
        del stack[depth + 1:]
        el = _el(stack[depth], "Code", ns, guid=code.guid, name=code.name,
                 isCodable="true" if code.codable else "false", color=code.color.upper())
        _text_el(el, "Description", code_description(code), ns)
        for memo in notes.get(("code", code.id), []):
            _el(el, "NoteRef", ns, targetGUID=memo.guid)
        stack.append(el)


def project_xml(db: Session, project: Project) -> tuple[bytes, dict[str, str]]:
    """``project.qde`` and the source texts by file name (``<guid>.txt``)."""
    coders = {c.id: c for c in service.coders(db, project)}
    memos = service.memos(db, project)
    notes: dict[tuple[str, int], list[Memo]] = {}
    for memo in memos:
        notes.setdefault((memo.target_kind, memo.target_id), []).append(memo)
    tree = service.code_tree(db, project)
    code_guid = {code.id: code.guid for _d, code in tree}
    ET.register_namespace("", NS)
    root = ET.Element(f"{{{NS}}}Project", {"name": project.name, "origin": project.origin or "smartgov"})
    if coders:
        users = _el(root, "Users")
        for coder in coders.values():
            _el(users, "User", guid=coder.guid, name=coder.name)
    if tree:
        _codes(_el(root, "CodeBook"), tree, notes)
    variables = _variables(db, project)
    if variables:
        el = _el(root, "Variables")
        for var in variables.values():
            _el(el, "Variable", guid=var.guid, name=var.name, typeOfVariable=var.type_name)
    values = service.values_of(db, project)
    by_name = {v.name: v for v in variables.values()}
    files: dict[str, str] = {}
    sources = service.sources(db, project)
    selections_by_source = _selections(db, project)
    if sources:
        el = _el(root, "Sources")
        for source in sources:
            files[f"{source.guid}.txt"] = source.text
            src = _el(el, "TextSource", guid=source.guid, name=source.name, plainTextPath=f"internal://{source.guid}.txt",
                      creationDateTime=when(source.created_at))
            _text_el(src, "Description", source.description)
            for sel, codings in selections_by_source.get(source.id, []):
                coder = coders.get(sel.coder_id) if sel.coder_id else None
                s_el = _el(src, "PlainTextSelection", guid=sel.guid, startPosition=str(sel.start),
                           endPosition=str(sel.end), creatingUser=coder.guid if coder else None,
                           creationDateTime=when(sel.created_at))
                for coding in codings:
                    c_coder = coders.get(coding.coder_id) if coding.coder_id else None
                    c_el = _el(s_el, "Coding", guid=coding.guid, creatingUser=c_coder.guid if c_coder else None,
                               creationDateTime=when(coding.created_at))
                    _el(c_el, "CodeRef", targetGUID=code_guid[coding.code_id])
                for memo in notes.get(("selection", sel.id), []):
                    _el(s_el, "NoteRef", targetGUID=memo.guid)
            for memo in notes.get(("source", source.id), []):
                _el(src, "NoteRef", targetGUID=memo.guid)
            for name, value in sorted(values.get(source.id, {}).items()):
                var = by_name[name]
                vv = _el(src, "VariableValue")
                _el(vv, "VariableRef", targetGUID=var.guid)
                _el(vv, f"{var.type_name}Value").text = value
    if memos:
        el = _el(root, "Notes")
        for memo in memos:
            coder = coders.get(memo.coder_id) if memo.coder_id else None
            note = _el(el, "Note", guid=memo.guid, name=memo.name or None, creatingUser=coder.guid if coder else None,
                       creationDateTime=when(memo.created_at))
            _el(note, "PlainTextContent").text = memo.text
    themes = service.themes(db, project)
    if themes:
        by_id = {t.id: t for t in themes}
        links = _el(root, "Links")
        for theme in themes:
            name = THEME_LINK + theme.level + (f" [{theme.framework_ref}]" if theme.framework_ref else "")
            parent = by_id.get(theme.parent_id) if theme.parent_id else None
            _el(links, "Link", guid=theme_link_guid(theme), name=name, direction="OneWay", originGUID=theme.guid,
                targetGUID=parent.guid if parent else None)
        sets = _el(root, "Sets")
        grouped = service.theme_codes(db, project)
        for theme in themes:
            s_el = _el(sets, "Set", guid=theme.guid, name=theme.name)
            _text_el(s_el, "Description", theme.description)
            for code_id in grouped.get(theme.id, []):
                _el(s_el, "MemberCode", targetGUID=code_guid[code_id])
    _text_el(root, "Description", project.description)
    for memo in notes.get(("project", project.id), []):
        _el(root, "NoteRef", targetGUID=memo.guid)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True), files


def _variables(db: Session, project: Project) -> dict[int, Variable]:
    rows = db.scalars(select(Variable).where(Variable.project_id == project.id).order_by(Variable.id))
    return {v.id: v for v in rows}


def _selections(db: Session, project: Project) -> dict[int, list[tuple[Selection, list[Coding]]]]:
    sels = list(db.scalars(select(Selection).where(Selection.project_id == project.id)
                           .order_by(Selection.source_id, Selection.start, Selection.end, Selection.id)))
    codings: dict[int, list[Coding]] = {}
    for coding in db.scalars(select(Coding).join(Selection, Selection.id == Coding.selection_id)
                             .where(Selection.project_id == project.id).order_by(Coding.id)):
        codings.setdefault(coding.selection_id, []).append(coding)
    out: dict[int, list[tuple[Selection, list[Coding]]]] = {}
    for sel in sels:
        out.setdefault(sel.source_id, []).append((sel, codings.get(sel.id, [])))
    return out


def export_qdpx(db: Session, project: Project) -> bytes:
    """The project as a ``.qdpx`` archive."""
    xml, files = project_xml(db, project)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("project.qde", _ZIP_DATE), xml, zipfile.ZIP_DEFLATED)
        for name in sorted(files):
            archive.writestr(zipfile.ZipInfo(f"Sources/{name}", _ZIP_DATE), files[name].encode("utf-8"),
                             zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def export_qdc(db: Session, project: Project) -> bytes:
    """The code system as a REFI-QDA codebook (``.qdc``)."""
    ET.register_namespace("", CODEBOOK_NS)
    root = ET.Element(f"{{{CODEBOOK_NS}}}CodeBook", {"origin": project.origin or "smartgov"})
    _codes(root, service.code_tree(db, project), {}, CODEBOOK_NS)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
