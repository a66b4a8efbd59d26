"""Population import: persons, workshops and employment spells from CSV files (``.csv`` or ``.csv.gz``).

``smartgov insurance import KIND FILE`` (``insurance/cli.py``) calls :func:`import_file`. The file is
streamed, never held: rows are read in chunks, every row is checked in Python by the rule that
owns it — identity's national code, names and birth date (``identity.bulk``), the house's date
and digit parsing (``smartgov.digits``), insurance's own codes (status, province, workshop code,
wage) — and references (the person of a spell, its workshop) are looked up for the whole chunk
at once. Clean rows go to the tables through ``smartgov.bulkcopy``: PostgreSQL ``COPY`` straight
into the table, or through a staging table with ``ON CONFLICT DO NOTHING`` when a key is already
there; SQLite batched inserts. People are identity's: they are written through
``identity.bulk.add_people``, never into identity's tables from here.

Every rejected row goes to the rejects file (``FILE.rejects.csv``: line, key, reason code,
message) before its chunk commits; the chunk commits with the checkpoint (the file's last line
done), so an interrupted import resumes after the last committed chunk (rejects past it are
dropped and found again), and a finished file is skipped unless ``again`` (which adds nothing
new: every key is skipped when already stored).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import multiprocessing
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import bulkcopy, clock, digits
from smartgov.db import Database
from smartgov.errors import DomainError
from smartgov.i18n import N_, gettext
from smartgov.identity import bulk as people
from smartgov.identity import nationalcode

from .models import Employment, ImportCheckpoint, InsuredPerson, InsuredStatus, Workshop
from .service import insurance_number_for

KINDS = ("persons", "workshops", "employment")
#: The columns of each kind's file; the first ``REQUIRED[kind]`` must be present in the header.
COLUMNS: dict[str, tuple[str, ...]] = {
    "persons": ("national_code", "first_name_fa", "last_name_fa", "first_name_en", "last_name_en", "birth_date",
                "gender", "province", "phone", "status"),
    "workshops": ("code", "employer_code", "employer_registration", "employer_name_fa", "employer_name_en",
                  "name_fa", "name_en", "province"),
    "employment": ("national_code", "workshop_code", "start_date", "end_date", "monthly_wage"),
}
REQUIRED = {"persons": 6, "workshops": 7, "employment": 5}
CHUNK_ROWS = 50_000
DATA = Path(__file__).parent / "data" / "iran_population.yaml"


@cache
def population_data() -> dict[str, Any]:
    """The published shape of Iran's population (``data/iran_population.yaml``, its source named there)."""
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))


@cache
def _provinces() -> dict[str, str]:
    names: dict[str, str] = {}
    for en, fa, _thousands in population_data()["provinces"]:
        names[en.casefold()] = names[fa] = en
    return names


def province(value: str, field: str = "province") -> str | None:
    """A province as stored (its English name), typed in English or Persian; blank is none."""
    text = " ".join(value.split())
    if not text:
        return None
    found = _provinces().get(text.casefold()) or _provinces().get(text)
    if found is None:
        raise DomainError("unknown_province", N_("This province is not one of Iran's provinces."), field=field)
    return found


def _status(value: str) -> InsuredStatus:
    try:
        return InsuredStatus(value.strip().lower() or "active")
    except ValueError:
        raise DomainError("invalid_status", N_("The status must be active, inactive or retired."),
                          field="status") from None


def _workshop_code(value: str, field: str = "workshop_code") -> str:
    code = digits.code(value, field)
    if not digits.is_ascii_digits(code) or len(code) > 20:
        raise DomainError("invalid_workshop_code", N_("The workshop code must be up to 20 digits."), field=field)
    return code


def _day(value: str, field: str) -> Any:
    try:
        return digits.date(value, field)
    except digits.DigitsRefused:
        raise
    except ValueError:
        raise DomainError("invalid_date", N_("Enter a real date, like 1403/05/12 or 2024-08-02."),
                          field=field) from None


@dataclass(frozen=True, slots=True)
class Reject:
    """A row left out: its line in the file, its key as typed, why (a code and a sentence)."""

    line: int
    key: str
    code: str
    message: str  # a msgid, localized when written
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, line: int, key: str, exc: DomainError) -> Reject:
        return cls(line, key, exc.code, exc.message, dict(exc.params))


@dataclass
class ImportReport:
    """What an import did: lines read, rows accepted, new rows stored, rows rejected."""

    kind: str
    path: Path
    rejects_path: Path
    lines: int = 0
    accepted: int = 0
    inserted: int = 0
    rejected: int = 0
    resumed_from: int = 0  # the line a resumed import started after (0: from the start)
    already_done: bool = False
    rejects: list[Reject] = field(default_factory=list)  # of this run, at most the first 1000


Rows = list[tuple[int, list[str]]]


def _check_persons(rows: Rows, out: list[Reject]) -> list[Any]:
    clean: list[tuple[people.PersonRow, InsuredStatus]] = []
    for line, (code, first_fa, last_fa, first_en, last_en, birth, gender, prov, phone, status) in rows:
        try:
            row = people.person_row(code, first_fa, last_fa, first_en, last_en, birth, gender, "", phone)
            clean.append((row._replace(province=province(prov)), _status(status)))
        except DomainError as exc:
            out.append(Reject.of(line, code, exc))
    return clean


def _store_persons(db: Session, clean: list[Any], out: list[Reject]) -> tuple[int, int]:
    ids = people.add_people(db, [p for p, _s in clean])
    now = clock.now()
    insured = [(ids[p.national_code], p.national_code, insurance_number_for(p.national_code), s.value, now)
               for p, s in clean]
    return len(clean), bulkcopy.insert_ignoring(
        db, InsuredPerson.__table__, ("person_id", "national_code", "insurance_number", "status",  # type: ignore[arg-type]
                                      "registered_at"), insured)


def _check_workshops(rows: Rows, out: list[Reject]) -> list[Any]:
    clean: list[tuple[int, str, people.EmployerRow, str, str, str | None]] = []
    for line, (code, emp_code, emp_reg, emp_fa, emp_en, name_fa, name_en, prov) in rows:
        try:
            where = province(prov)
            employer = people.employer_row(emp_code, emp_reg, emp_fa, emp_en, where or "")
            clean.append((line, _workshop_code(code, "code"), employer, people.name(name_fa, "name_fa", 200),
                          people.name(name_en, "name_en", 200), where))
        except DomainError as exc:
            out.append(Reject.of(line, code, exc))
    return clean


def _store_workshops(db: Session, clean: list[Any], out: list[Reject]) -> tuple[int, int]:
    people.add_employers(db, list({e.code: e for _l, _c, e, *_ in clean}.values()))
    employers = people.employer_ids(db, [e.code for _l, _c, e, *_ in clean])
    now = clock.now()
    shops = []
    for line, code, employer, name_fa, name_en, where in clean:
        if employer.code in employers:
            shops.append((employers[employer.code], code, name_fa, name_en, where, now))
        else:  # the code is an agency's, or the registration number another employer's
            out.append(Reject(line, code, "unknown_employer", N_("The employer could not be registered.")))
    return len(shops), bulkcopy.insert_ignoring(
        db, Workshop.__table__, ("organization_id", "code", "name_fa", "name_en", "province",  # type: ignore[arg-type]
                                 "created_at"), shops)


def _check_employment(rows: Rows, out: list[Reject]) -> list[Any]:
    clean: list[tuple[int, str, str, Any, Any, int]] = []
    for line, (code, shop, start, end, wage) in rows:
        try:
            national_code = nationalcode.check(code)
            begun = _day(start, "start_date")
            ended = _day(end, "end_date") if end.strip() else None
            if ended is not None and ended < begun:
                raise DomainError("end_before_start", N_("The end date is before the start date."), field="end_date")
            amount = digits.whole_number(wage, "monthly_wage")
            if not amount:
                raise DomainError("amount_invalid", N_("Enter an amount in rial as a whole number, like 1500000."),
                                  field="monthly_wage")
            clean.append((line, national_code, _workshop_code(shop), begun, ended, amount))
        except DomainError as exc:
            out.append(Reject.of(line, code, exc))
    return clean


def _store_employment(db: Session, clean: list[Any], out: list[Reject]) -> tuple[int, int]:
    insured = bulkcopy.lookup(db, InsuredPerson.national_code, InsuredPerson.id, (r[1] for r in clean))
    shops = bulkcopy.lookup(db, Workshop.code, Workshop.id, (r[2] for r in clean))
    spells = []
    for line, code, shop, begun, ended, amount in clean:
        if code not in insured:
            out.append(Reject(line, code, "unknown_person", N_("No insured person has this national code.")))
        elif shop not in shops:
            out.append(Reject(line, code, "unknown_workshop", N_("No workshop has this code.")))
        else:
            spells.append((code, shops[shop], begun, ended, amount))
    return len(spells), bulkcopy.insert_ignoring(
        db, Employment.__table__, ("national_code", "workshop_id", "start_date", "end_date",  # type: ignore[arg-type]
                                   "monthly_wage"), spells)


#: Per kind: the row checks (pure: no database, run on the reading thread) and the store (in the
#: chunk's transaction: references, then the rows).
CHECKS: dict[str, Callable[[Rows, list[Reject]], list[Any]]] = {
    "persons": _check_persons, "workshops": _check_workshops, "employment": _check_employment}
STORES: dict[str, Callable[[Session, list[Any], list[Reject]], tuple[int, int]]] = {
    "persons": _store_persons, "workshops": _store_workshops, "employment": _store_employment}


class ImportRefused(DomainError):
    """The file cannot be imported at all (unknown kind, a required column missing)."""

    status = 422


def file_key(kind: str, path: Path) -> str:
    """The file's identity for its checkpoint: its kind, size and first MiB (cheap at 45 million rows)."""
    digest = hashlib.sha256(f"{kind}\0{path.stat().st_size}\0".encode())
    with path.open("rb") as raw:
        digest.update(raw.read(1 << 20))
    return digest.hexdigest()


def _open(path: Path) -> tuple[IO[bytes], io.TextIOWrapper]:
    raw = path.open("rb")
    stream: IO[bytes] = gzip.GzipFile(fileobj=raw) if path.name.endswith(".gz") else raw  # type: ignore[assignment]
    return raw, io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")


def _records(reader: Any, width: int, positions: list[int], after: int,
             rejects: list[Reject]) -> Iterator[tuple[int, list[str]]]:
    """``(line, values in COLUMNS order)`` past line ``after``; a record of the wrong width is a
    reject, not a crash."""
    in_order = positions == list(range(width))  # the usual file: its columns as documented
    for values in reader:
        if reader.line_num <= after:
            continue
        if len(values) != width:
            if any(v.strip() for v in values):
                rejects.append(Reject(reader.line_num, values[0] if values else "", "wrong_columns",
                                      N_("The row does not have the header's number of columns.")))
            continue
        yield reader.line_num, values if in_order else [values[p] if p >= 0 else "" for p in positions]


def _checkpoint(db: Session, kind: str, key: str, path: Path, again: bool) -> ImportCheckpoint:
    row = db.scalar(select(ImportCheckpoint).where(ImportCheckpoint.kind == kind, ImportCheckpoint.file_key == key))
    now = clock.now()
    if row is None:
        row = ImportCheckpoint(kind=kind, file_key=key, file_name=str(path)[-300:], line=1, accepted=0, inserted=0,
                               rejected=0, started_at=now, updated_at=now, finished_at=None)
        db.add(row)
    elif again and row.finished_at is not None:
        row.line, row.accepted, row.inserted, row.rejected = 1, 0, 0, 0
        row.started_at, row.updated_at, row.finished_at = now, now, None
    db.flush()
    return row


def _keep_rejects(path: Path, upto: int) -> None:
    """Drop rejects past the checkpoint (their chunk did not commit; they are found again)."""
    if not path.exists():
        return
    with path.open(newline="", encoding="utf-8") as f:
        kept = [r for r in csv.reader(f) if r and (not r[0].isdigit() or int(r[0]) <= upto)]
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(kept)


Progress = Callable[[int, int, int], None]  # (lines done, bytes read, rows accepted so far)


@dataclass
class _Chunk:
    """Rows read and checked (or being checked, by a process of the pool) waiting for their transaction."""

    last_line: int
    position: int  # bytes of the file read so far (compressed bytes for .gz)
    checked: tuple[list[Any], list[Reject]] | Future[tuple[list[Any], list[Reject]]]

    def result(self) -> tuple[list[Any], list[Reject]]:
        return self.checked.result() if isinstance(self.checked, Future) else self.checked


def _check(kind: str, rows: Rows, rejects: list[Reject]) -> tuple[list[Any], list[Reject]]:
    """One chunk's checks (pure): in the reading thread, or in a process of the pool."""
    return CHECKS[kind](rows, rejects), rejects


_DONE = object()


def _read_chunks(path: Path, kind: str, resume: int, chunk_rows: int, out: queue.Queue[Any],
                 stop: threading.Event, pool: ProcessPoolExecutor | None) -> None:
    """The reading thread: parse and check chunks of rows (or hand them to the pool's processes)
    while the main thread stores the previous one (PostgreSQL works on a COPY while Python checks
    the next rows); errors are passed on."""

    def check(rows: Rows, rejects: list[Reject]) -> Any:
        return pool.submit(_check, kind, rows, rejects) if pool is not None else _check(kind, rows, rejects)

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    try:
        raw, text = _open(path)
        with raw, text:
            reader = csv.reader(text)
            header = [h.strip().lower() for h in next(reader, [])]
            missing = [c for c in COLUMNS[kind][:REQUIRED[kind]] if c not in header]
            if missing:
                raise ImportRefused("missing_columns", N_("The file lacks the columns: {columns}."),
                                    field="file", columns=", ".join(missing))
            positions = [header.index(c) if c in header else -1 for c in COLUMNS[kind]]  # a repeated column: the first
            rows: Rows = []
            rejects: list[Reject] = []
            for line, values in _records(reader, len(header), positions, resume, rejects):
                rows.append((line, values))
                if len(rows) >= chunk_rows:
                    if not put(_Chunk(line, raw.tell(), check(rows, list(rejects)))):
                        return
                    rows = []
                    rejects.clear()  # the list _records adds to
            put(_Chunk(max(reader.line_num, resume), raw.tell(), check(rows, rejects)))
    except BaseException as exc:  # handed to the main thread, which raises it
        put(exc)
    put(_DONE)


def import_file(database: Database, kind: str, path: Path, *, rejects_path: Path | None = None,
                chunk_rows: int = CHUNK_ROWS, again: bool = False, lang: str = "en", jobs: int = 1,
                progress: Progress | None = None, after_chunk: Callable[[int], None] | None = None) -> ImportReport:
    """Import ``path`` as ``kind`` (see the module's docstring); one transaction per chunk of rows.

    ``jobs`` > 1 checks rows in that many processes (the checks are pure Python, one core each);
    ``after_chunk(line)`` runs after each chunk commits (tests interrupt there).
    """
    if kind not in KINDS:
        raise ImportRefused("unknown_import_kind", N_("Import persons, workshops or employment."), field="kind")
    rejects_path = rejects_path or path.with_name(path.name.removesuffix(".gz").removesuffix(".csv") + ".rejects.csv")
    report = ImportReport(kind, path, rejects_path)
    key = file_key(kind, path)
    with database.unit_of_work() as db:
        cp = _checkpoint(db, kind, key, path, again)
        if cp.finished_at is not None:
            report.already_done = True
            report.lines, report.accepted = cp.line, cp.accepted
            report.inserted, report.rejected = cp.inserted, cp.rejected
            return report
        resume = report.resumed_from = cp.line if cp.line > 1 else 0
    if resume:
        _keep_rejects(rejects_path, resume)
    else:
        rejects_path.write_text("line,key,reason,message\n", encoding="utf-8")
    store = STORES[kind]
    chunks: queue.Queue[Any] = queue.Queue(maxsize=max(2, jobs + 1))
    stop = threading.Event()
    pool = None
    if jobs > 1:  # forked now, from this thread alone, before the reading thread exists
        pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"))
        pool.submit(_check, kind, [], []).result()
    reading = threading.Thread(target=_read_chunks, args=(path, kind, resume, chunk_rows, chunks, stop, pool),
                               name=f"import-{kind}", daemon=True)
    reading.start()
    try:
        with rejects_path.open("a", newline="", encoding="utf-8") as rejects_file:
            writer = csv.writer(rejects_file)
            while (chunk := chunks.get()) is not _DONE:
                if isinstance(chunk, BaseException):
                    raise chunk
                clean, rejects = chunk.result()
                with database.unit_of_work() as db:
                    accepted, inserted = store(db, clean, rejects) if clean else (0, 0)
                    rejects.sort(key=lambda r: r.line)
                    for r in rejects:  # written before the commit: a crash after it loses none
                        writer.writerow((r.line, r.key, r.code, gettext(r.message, lang, **r.params)))
                    rejects_file.flush()
                    cp = _checkpoint(db, kind, key, path, False)
                    cp.line = chunk.last_line
                    cp.accepted += accepted
                    cp.inserted += inserted
                    cp.rejected += len(rejects)
                    cp.updated_at = clock.now()
                report.accepted += accepted
                report.inserted += inserted
                report.rejected += len(rejects)
                report.rejects.extend(rejects[:max(0, 1000 - len(report.rejects))])
                report.lines = chunk.last_line
                if progress is not None:
                    progress(chunk.last_line, chunk.position, report.accepted)
                if after_chunk is not None:
                    after_chunk(chunk.last_line)
    finally:
        stop.set()
        reading.join()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    with database.unit_of_work() as db:
        cp = _checkpoint(db, kind, key, path, False)
        cp.finished_at = clock.now()
        report.accepted, report.inserted, report.rejected = cp.accepted, cp.inserted, cp.rejected
    return report
