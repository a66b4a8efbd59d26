"""REFI-QDA: exports validate against the shipped XSD, round trips keep everything, other tools'
dialects import, unknown elements are reported, hostile archives are refused."""

from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree

from smartgov import identity
from smartgov.errors import DomainError
from smartgov.files import FileRefused
from smartgov.insight import refi_export, refi_import, service
from tests.factories import create_agency

from .factories import TRANSCRIPT, analyst, project


def _coded_project(db):  # type: ignore[no-untyped-def]
    who = analyst(db)
    p = project(db, who, description="Seed 000's method")
    source = service.add_source(db, p, who, "Interview 1", TRANSCRIPT, values={"role": "expert", "province": "تهران"})
    parent = service.create_code(db, p, who, "حکمرانی", color="#0B5394", definition="Governance of the state")
    data = service.create_code(db, p, who, "حکمرانی داده", parent_id=parent.id, inclusion="Data rules",
                               exclusion="Security", examples="«داده باز»")
    privacy = service.create_code(db, p, who, "حریم خصوصی", color="#990000")
    start = TRANSCRIPT.index("حکمرانی داده")
    sel = service.code_span(db, p, who, source, start, start + len("حکمرانی داده"), [data.id, parent.id])
    service.code_sentence(db, p, who, source, 1, [privacy.id])
    service.write_memo(db, p, who, "code", data.id, "Merged from 3 raw codes")
    service.write_memo(db, p, who, "selection", sel.id, "Strong statement")
    service.write_memo(db, p, who, "project", p.id, "Saturation at interview 15")
    glob = service.create_theme(db, p, who, "عوامل نهادی", "global", framework_ref="csf:A")
    org = service.create_theme(db, p, who, "حکمرانی هوشمند", "organizing", parent_id=glob.id)
    service.create_theme(db, p, who, "حکمرانی داده", "basic", parent_id=org.id, code_ids=[data.id],
                         framework_ref="csf:A1.2")
    db.flush()
    return who, p


def _validate(xml: bytes) -> None:
    schema = etree.XMLSchema(etree.parse(str(refi_export.XSD)))
    doc = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    assert schema.validate(doc), schema.error_log


def test_export_validates_against_the_refi_qda_schema(db) -> None:  # type: ignore[no-untyped-def]
    _who, p = _coded_project(db)
    data = refi_export.export_qdpx(db, p)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        xml = archive.read("project.qde")
    _validate(xml)
    assert "project.qde" in names and sum(n.startswith("Sources/") for n in names) == 1
    assert b"Inclusion: Data rules" in xml and b"smartgov theme: basic [csf:A1.2]" in xml
    codebook = refi_export.export_qdc(db, p)
    assert b"urn:QDA-XML:codebook:1.0" in codebook and codebook.count(b"<Code ") == 3


def test_export_import_export_is_identical_in_content(db) -> None:  # type: ignore[no-untyped-def]
    _who, p = _coded_project(db)
    first = refi_export.export_qdpx(db, p)
    create_agency(db, "agency-b")
    report = refi_import.import_qdpx(db, first, identity.organization_by_code(db, "agency-b"), None)
    assert report.project is not None and report.project.id != p.id
    assert dict(report.counts) == {"coders": 1, "codes": 3, "sources": 1, "codings": 3, "selections": 2,
                                   "memos": 3, "themes": 3}
    assert not report.skipped
    second = refi_export.export_qdpx(db, report.project)
    with zipfile.ZipFile(io.BytesIO(first)) as a, zipfile.ZipFile(io.BytesIO(second)) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            assert a.read(name) == b.read(name), name


DIALECT = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="From ATLAS.ti" origin="ATLAS.ti 23">
  <Users><User guid="{A1B2C3D4-0000-4000-8000-00000000000A}" name="Sara"/></Users>
  <CodeBook><Codes>
    <Code guid="{B1B2C3D4-0000-4000-8000-00000000000B}" name="Trust" isCodable="true" color="#F00">
      <Code guid="c1b2c3d4-0000-4000-8000-00000000000c" name="Privacy" isCodable="true"/>
    </Code>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="D1B2C3D4-0000-4000-8000-00000000000D" name="Interview A" plainTextPath="internal://d1.txt">
      <PlainTextSelection guid="{E1B2C3D4-0000-4000-8000-00000000000E}" startPosition="0" endPosition="5"
          creatingUser="{a1b2c3d4-0000-4000-8000-00000000000a}">
        <Coding guid="F1B2C3D4-0000-4000-8000-00000000000F"><CodeRef targetGUID="{C1B2C3D4-0000-4000-8000-00000000000C}"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <TextSource guid="{D2B2C3D4-0000-4000-8000-00000000000D}" name="Interview B" plainTextPath="Sources/nested/b.txt"/>
    <PictureSource guid="{D3B2C3D4-0000-4000-8000-00000000000D}" name="Photo" path="internal://p.png"/>
  </Sources>
  <Graphs><Graph guid="{D4B2C3D4-0000-4000-8000-00000000000D}"/></Graphs>
</Project>"""


def test_another_tools_dialect_imports_and_unknown_elements_are_reported(db) -> None:  # type: ignore[no-untyped-def]
    create_agency(db, "agency-a")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("project.qde", DIALECT)
        archive.writestr("Sources/d1.txt", "Trust matters.")
        archive.writestr("Sources/nested/b.txt", "Second interview.")
    report = refi_import.import_qdpx(db, buffer.getvalue(), identity.organization_by_code(db, "agency-a"), None)
    assert report.counts["sources"] == 2 and report.counts["codings"] == 1 and report.counts["codes"] == 2
    assert report.skipped == {"Project/Sources/PictureSource": 1, "Project/Graphs": 1}
    p = report.project
    privacy = next(c for c in service.codes(db, p) if c.name == "Privacy")
    assert privacy.guid == "c1b2c3d4-0000-4000-8000-00000000000c"
    assert next(c for c in service.codes(db, p) if c.name == "Trust").color == "#ff0000"
    seg = service.segments(db, p)[0]
    assert (seg.start, seg.end, seg.code_id) == (0, 5, privacy.id)
    assert service.coders(db, p)[0].guid == "a1b2c3d4-0000-4000-8000-00000000000a"
    _validate(refi_export.project_xml(db, p)[0])  # and what came in goes out valid


def test_hostile_archives_are_refused(db) -> None:  # type: ignore[no-untyped-def]
    create_agency(db, "agency-a")
    org = identity.organization_by_code(db, "agency-a")
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Project name="&a;"/>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("project.qde", bomb)
    with pytest.raises(FileRefused):
        refi_import.import_qdpx(db, buffer.getvalue(), org, None)
    with pytest.raises(FileRefused):
        refi_import.import_qdpx(db, b"not a zip", org, None)
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("readme.txt", "x")
    with pytest.raises(DomainError) as err:
        refi_import.import_qdpx(db, empty.getvalue(), org, None)
    assert err.value.field == "file" and err.value.status == 422
