"""The datastore: a tabular resource's rows, typed, filtered, sorted and paged (CKAN's ``datastore_search``).

Every resource's rows live in one table (``transparency_datastore_row``), one JSON object per row.
A column is a *field* ``{"id", "type", "key", "info"}``: ``id`` is the header as the agency wrote
it (Persian, spaces, anything), ``key`` is what the row's JSON uses: the type's letter and the
column's position (``n0``, ``t1``, ``d2`` …), so no header an agency typed ever reaches SQL.
Filters, counts and sorts read the narrow cell index (``transparency_datastore_cell``: one entry
per cell of the first ``INDEXED_FIELDS`` columns, ordered by resource, column, value, row): an
equality filter is one index range, several filters intersect, a total is counted on the index
alone, and only the page shown is read from the rows (``README.md`` says why this layout).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, delete, func, insert, or_, select, text
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from smartgov import digits
from smartgov.digits import search_text
from smartgov.errors import DomainError
from smartgov.i18n import N_

from .models import TEXT_PREFIX, DatastoreCell, DatastoreRow, Resource

#: CKAN's datastore types we keep, and the letter their keys start with.
TYPES: dict[str, str] = {"int": "n", "numeric": "n", "text": "t", "date": "d", "timestamp": "s", "bool": "b"}
_TRUE = {"true", "yes", "y", "1", "بله", "بلی", "درست"}
_FALSE = {"false", "no", "n", "0", "خیر", "نه", "نادرست"}
MAX_FIELDS = 200
INDEXED_FIELDS = 32  # a resource's first columns are in the cell index; wider tables filter the rest by scan
BATCH = 5_000
ANALYZE_AFTER = 20_000  # rows loaded at once after which the tables' statistics are refreshed


class CellRefused(DomainError):
    status = 422


@dataclass(frozen=True)
class Field:
    id: str
    type: str
    key: str
    label: str = ""
    notes: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "key": self.key, "info": {"label": self.label, "notes": self.notes}}

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Field:
        info = raw.get("info") or {}
        return cls(id=raw["id"], type=raw["type"], key=raw["key"], label=info.get("label", ""),
                   notes=info.get("notes", ""))


def fields_of(resource: Resource) -> list[Field]:
    return [Field.of(f) for f in resource.fields or []]


def key_for(position: int, type_: str) -> str:
    return f"{TYPES[type_]}{position}"


# --------------------------------------------------------------------------- typing cells


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def convert(value: Any, type_: str) -> Any:
    """A cell as stored for ``type_`` (``None`` for empty); ``ValueError`` if it is not one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if type_ == "text":
        return _text(value)
    if type_ == "bool":
        if isinstance(value, bool):
            return value
        word = search_text(_text(value))
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise ValueError(value)
    if type_ in ("int", "numeric"):
        if isinstance(value, bool):
            raise ValueError(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            if type_ == "int" and not value.is_integer():
                raise ValueError(value)
            return int(value) if value.is_integer() else value
        if isinstance(value, Decimal):
            number = value
        else:
            number = digits.decimal_number(_text(value))  # Persian digits, ٫ and ٬ as people type them
            if number is None:
                raise ValueError(value)
        if number == number.to_integral_value():
            return int(number)
        if type_ == "int":
            raise ValueError(value)
        return float(number)
    if type_ == "date":
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        return digits.date(_text(value)).isoformat()  # Jalali (1403/05/12) or ISO
    if type_ == "timestamp":
        if isinstance(value, dt.datetime):
            moment = value
        else:
            moment = dt.datetime.fromisoformat(digits.to_latin(_text(value)).replace("/", "-"))
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
        return moment.isoformat(timespec="seconds")
    raise ValueError(type_)


def infer_type(values: Iterable[Any]) -> str:
    """The narrowest type every non-empty value fits: bool, int, numeric, date, timestamp, else text."""
    candidates = ["bool", "int", "numeric", "date", "timestamp"]
    seen = False
    for value in values:
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        seen = True
        kept = []
        for type_ in candidates:
            try:
                convert(value, type_)
            except (ValueError, ArithmeticError, DomainError):
                continue
            kept.append(type_)
        candidates = kept
        if not candidates:
            return "text"
    if not seen:
        return "text"
    if "bool" in candidates and not {"int"} <= set(candidates):
        return "bool"
    for type_ in ("int", "numeric", "date", "timestamp", "bool"):
        if type_ in candidates:
            return type_
    return "text"


def table_fields(header: Sequence[Any], rows: Sequence[Sequence[Any]], *, field: str) -> list[Field]:
    """Fields for an uploaded table: its header row, each column's type inferred from its cells."""
    names = [_text(h) for h in header]
    if not names or not any(names):
        raise CellRefused("datastore_no_header", N_("The first row must name the columns."), field=field)
    if len(names) > MAX_FIELDS:
        raise CellRefused("datastore_too_wide", N_("A table may have at most {max} columns."), field=field,
                          max=MAX_FIELDS)
    out: list[Field] = []
    seen: set[str] = set()
    for i, name in enumerate(names):
        name = name or f"column_{i + 1}"
        if name in seen or name.startswith("_"):
            raise CellRefused("datastore_bad_header", N_("Column names must be unique and not start with _: {name}."),
                              field=field, name=name)
        seen.add(name)
        type_ = infer_type(row[i] if i < len(row) else None for row in rows)
        out.append(Field(id=name, type=type_, key=key_for(i, type_)))
    return out


def typed_rows(fields: Sequence[Field], rows: Iterable[Sequence[Any]], *, field: str,
               first_line: int = 2) -> list[dict[str, Any]]:
    """Each row as its JSON object, every cell converted to its column's type (422 naming the cell)."""
    out = []
    for line, row in enumerate(rows, first_line):
        record: dict[str, Any] = {}
        for i, f in enumerate(fields):
            raw = row[i] if i < len(row) else None
            try:
                value = convert(raw, f.type)
            except (ValueError, ArithmeticError, DomainError) as exc:
                raise CellRefused("datastore_bad_cell", N_("Row {line}, column {column}: “{value}” is not a {type}."),
                                  field=field, line=line, column=f.id, value=_text(raw)[:40], type=f.type) from exc
            if value is not None:
                record[f.key] = value
        out.append(record)
    return out


def _row_search(fields: Sequence[Field], record: dict[str, Any]) -> str:
    return search_text(" ".join(str(record[f.key]) for f in fields if f.type == "text" and f.key in record))[:4000]


# --------------------------------------------------------------------------- storing


def _cell(f: Field, value: Any) -> tuple[Any, str | None]:
    """``(num, txt)`` of a cell in the cell index."""
    if value is None:
        return None, None
    if f.key[0] == "n":
        return value, None
    if f.key[0] == "b":
        return None, "true" if value else "false"
    return None, str(value)[:TEXT_PREFIX]


def replace_rows(db: Session, resource: Resource, fields: Sequence[Field], records: Sequence[dict[str, Any]]) -> None:
    """The resource's table becomes ``records`` under ``fields``: rows and cell index replaced at once."""
    drop(db, resource)
    resource.fields = [f.as_dict() for f in fields]
    resource.row_count = len(records)
    resource.datastore_active = True
    db.flush()
    indexed = list(fields)[:INDEXED_FIELDS]
    if db.get_bind().dialect.name == "postgresql":
        _copy(db, resource.id, fields, indexed, records)
    else:
        rows, cells = DatastoreRow.__table__, DatastoreCell.__table__
        for start in range(0, len(records), BATCH):
            chunk = records[start:start + BATCH]
            db.execute(insert(rows), [
                {"resource_id": resource.id, "row_no": start + i + 1, "data": rec,
                 "search_text": _row_search(fields, rec)} for i, rec in enumerate(chunk)])
            db.execute(insert(cells), [
                {"resource_id": resource.id, "key": f.key, "row_no": start + i + 1,
                 "num": _cell(f, rec.get(f.key))[0], "txt": _cell(f, rec.get(f.key))[1]}
                for i, rec in enumerate(chunk) for f in indexed])
    if len(records) >= ANALYZE_AFTER and db.get_bind().dialect.name == "postgresql":
        # Fresh statistics for the planner after a big load (ANALYZE runs inside the transaction).
        db.execute(text("ANALYZE transparency_datastore_row"))
        db.execute(text("ANALYZE transparency_datastore_cell"))


def _copy(db: Session, resource_id: str, fields: Sequence[Field], indexed: Sequence[Field],
          records: Sequence[dict[str, Any]]) -> None:
    """PostgreSQL: rows and cells with COPY, in the session's transaction (ten times an INSERT's speed)."""
    from psycopg.types.json import Jsonb

    raw = db.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        with cur.copy("COPY transparency_datastore_row (resource_id, row_no, data, search_text) FROM STDIN") as copy:
            for i, rec in enumerate(records, 1):
                copy.write_row((resource_id, i, Jsonb(rec), _row_search(fields, rec)))
        with cur.copy("COPY transparency_datastore_cell (resource_id, key, row_no, num, txt) FROM STDIN") as copy:
            for i, rec in enumerate(records, 1):
                for f in indexed:
                    num, txt = _cell(f, rec.get(f.key))
                    copy.write_row((resource_id, f.key, i, num, txt))


def drop(db: Session, resource: Resource) -> None:
    """Forget the resource's rows and cells."""
    db.execute(delete(DatastoreCell).where(DatastoreCell.resource_id == resource.id))
    db.execute(delete(DatastoreRow).where(DatastoreRow.resource_id == resource.id))
    resource.row_count = 0
    resource.datastore_active = False


def retype(db: Session, resource: Resource, changes: dict[str, dict[str, str]], *, field: str = "fields") -> None:
    """The owner's schema edit: new types (and labels/notes) for columns; every row is typed again.

    A type that a cell does not fit is refused with 422 naming the cell, and nothing changes.
    """
    old = fields_of(resource)
    new = []
    for i, f in enumerate(old):
        change = changes.get(f.id, {})
        type_ = change.get("type", f.type)
        if type_ not in TYPES:
            raise CellRefused("datastore_bad_type", N_("Unknown column type {type}."), field=field, type=type_)
        new.append(Field(id=f.id, type=type_, key=key_for(i, type_), label=change.get("label", f.label)[:200],
                         notes=change.get("notes", f.notes)[:1000]))
    if [(f.type, f.key) for f in new] == [(f.type, f.key) for f in old]:
        resource.fields = [f.as_dict() for f in new]
        return
    rows = db.execute(select(DatastoreRow.data).where(DatastoreRow.resource_id == resource.id)
                      .order_by(DatastoreRow.row_no)).scalars()
    raw = [[rec.get(f.key) for f in old] for rec in rows]
    replace_rows(db, resource, new, typed_rows(new, raw, field=field))


def all_rows(db: Session, resource: Resource) -> list[dict[str, Any]]:
    """Every row as ``{field id: value}``, in order (exports and the platform's republishing)."""
    fs = fields_of(resource)
    rows = db.execute(select(DatastoreRow.data).where(DatastoreRow.resource_id == resource.id)
                      .order_by(DatastoreRow.row_no)).scalars()
    return [{f.id: rec.get(f.key) for f in fs} for rec in rows]


# --------------------------------------------------------------------------- searching


@dataclass(frozen=True)
class Query:
    filters: dict[str, list[Any]]
    q: str | dict[str, str] | None = None
    sort: list[tuple[str, bool]] | None = None  # (field id, descending)
    limit: int = 100
    offset: int = 0
    fields: list[str] | None = None
    include_total: bool = True


@dataclass(frozen=True)
class Result:
    fields: list[Field]
    records: list[dict[str, Any]]
    total: int


def _bad(code: str, message: str, field: str, **params: Any) -> CellRefused:
    return CellRefused(code, message, field=field, **params)


def _value_condition(cell: Any, f: Field, values: list[Any]) -> ColumnElement[bool]:
    present = [v for v in values if v is not None]
    if f.key[0] == "n":
        column, wanted = cell.num, [Decimal(str(v)) for v in present]
        clause = column.in_(wanted) if len(wanted) != 1 else column == wanted[0]
        return clause if len(present) == len(values) else or_(clause, column.is_(None))
    texts = [("true" if v else "false") if f.key[0] == "b" else str(v)[:TEXT_PREFIX] for v in present]
    clause = cell.txt.in_(texts) if len(texts) != 1 else cell.txt == texts[0]
    return clause if len(present) == len(values) else or_(clause, cell.txt.is_(None))


def search(db: Session, resource: Resource, query: Query) -> Result:
    """Rows matching ``query`` (filters are equality on typed values, several values: any of them).

    Each filter is a range of the cell index (row numbers in order); several filters intersect;
    the total is counted on the index alone; then one page of rows is read by primary key.
    """
    by_id = {f.id: f for f in fields_of(resource)}
    indexed = {f.key for f in list(by_id.values())[:INDEXED_FIELDS]}
    rid = resource.id
    ranges: list[tuple[Any, ColumnElement[bool]]] = []  # (cell alias, its condition): one index range each
    recheck: list[ColumnElement[bool]] = []  # conditions on the row itself (long text, unindexed columns, q)
    for name, values in query.filters.items():
        f = _field(by_id, name, "filters")
        typed = []
        for value in values:
            try:
                typed.append(convert(value, f.type))
            except (ValueError, ArithmeticError, DomainError) as exc:
                raise _bad("datastore_bad_filter", N_("The filter on {column} is not a {type}."), "filters",
                           column=name, type=f.type) from exc
        if not typed:
            continue
        if f.key in indexed:
            cell = aliased(DatastoreCell)
            ranges.append((cell, and_(cell.resource_id == rid, cell.key == f.key, _value_condition(cell, f, typed))))
        if f.key not in indexed or any(isinstance(v, str) and len(v) > TEXT_PREFIX for v in typed):
            expr = DatastoreRow.data[f.key].as_string() if f.key[0] != "n" else DatastoreRow.data[f.key].as_float()
            recheck.append(expr.in_([v for v in typed if v is not None]))
    if isinstance(query.q, str) and query.q.strip():
        for word in search_text(query.q).split()[:8]:
            recheck.append(DatastoreRow.search_text.like(f"%{_escape(word)}%", escape="\\"))
    elif isinstance(query.q, dict):
        for name, value in query.q.items():
            f = _field(by_id, name, "q")
            recheck.append(func.lower(DatastoreRow.data[f.key].as_string()).like(
                f"%{_escape(str(value).lower())}%", escape="\\"))
    # The matching row numbers: the first range joined to the others on row_no (each range comes out of
    # the index in row order, so the planner can merge them), then the conditions on the rows.
    matched: Select[Any] | None = None
    if ranges:
        first, cond = ranges[0]
        matched = select(first.row_no.label("row_no")).where(cond)
        for cell, other in ranges[1:]:
            matched = matched.join(cell, and_(cell.row_no == first.row_no, other))
        if recheck:
            matched = matched.join(DatastoreRow, and_(DatastoreRow.resource_id == rid,
                                                      DatastoreRow.row_no == first.row_no, *recheck))
    elif recheck:
        matched = select(DatastoreRow.row_no.label("row_no")).where(DatastoreRow.resource_id == rid, *recheck)
    sort = list(query.sort or [])
    for name, _desc in sort:
        if name != "_id":
            _field(by_id, name, "sort")
    # One page of row numbers, in order, from the indexes; then those rows by primary key.
    if sort and sort[0][0] != "_id":
        f = by_id[sort[0][0]]
        if f.key not in indexed:
            raise _bad("datastore_unsorted", N_("The table cannot be sorted by {column}."), "sort", column=f.id)
        desc = sort[0][1]
        s_ = aliased(DatastoreCell)
        value = s_.num if f.key[0] == "n" else s_.txt
        page = select(s_.row_no.label("row_no"), value.label("v")).where(s_.resource_id == rid, s_.key == f.key)
        if matched is not None:
            page = page.where(s_.row_no.in_(matched.scalar_subquery()))
        # PostgreSQL's own order (empty cells last going up, first going down: the index's order read
        # either way), said explicitly so SQLite sorts the same.
        page = page.order_by(value.desc().nulls_first() if desc else value.asc().nulls_last(),
                             s_.row_no.desc() if desc else s_.row_no.asc())
        picked = page.limit(query.limit).offset(query.offset).subquery()
        order = [picked.c.v.desc().nulls_first() if desc else picked.c.v.asc().nulls_last(),
                 picked.c.row_no.desc() if desc else picked.c.row_no]
    else:
        desc = bool(sort) and sort[0][1]
        base = matched.subquery() if matched is not None else None
        if base is not None:
            row_no = base.c.row_no
            page = select(row_no.label("row_no")).order_by(row_no.desc() if desc else row_no)
        else:
            page = select(DatastoreRow.row_no.label("row_no")).where(DatastoreRow.resource_id == rid).order_by(
                DatastoreRow.row_no.desc() if desc else DatastoreRow.row_no)
        picked = page.limit(query.limit).offset(query.offset).subquery()
        order = [picked.c.row_no.desc() if desc else picked.c.row_no]
    stmt = (select(DatastoreRow.row_no, DatastoreRow.data)
            .join(picked, and_(DatastoreRow.resource_id == rid, DatastoreRow.row_no == picked.c.row_no))
            .order_by(*order))
    rows = _run(db, stmt)
    for name in query.fields or []:
        if name != "_id":
            _field(by_id, name, "fields")
    shown = [by_id[name] for name in query.fields if name != "_id"] if query.fields else list(by_id.values())
    records = []
    for row_no, data in rows:
        record: dict[str, Any] = {"_id": row_no} if not query.fields or "_id" in query.fields else {}
        for f in shown:
            record[f.id] = data.get(f.key)
        records.append(record)
    if not query.include_total:
        total = -1
    elif matched is None:
        total = resource.row_count
    else:
        total = int(_run(db, select(func.count()).select_from(matched.subquery()))[0][0] or 0)
    return Result(fields=shown, records=records, total=total)


def _run(db: Session, stmt: Select[Any]) -> list[Any]:
    """Rows of ``stmt``, on PostgreSQL never as a prepared statement.

    psycopg prepares a statement run five times, and PostgreSQL may then plan it once for any
    values (a generic plan): for these queries it cannot tell a filter matching 1/31 of a million
    rows from one matching a handful, and chose plans five times slower than the plan for the
    values at hand (bench/RESULTS.md, open data). So each is planned for its values, in the
    request's transaction.
    """
    if db.get_bind().dialect.name != "postgresql":
        return list(db.execute(stmt).all())
    compiled = stmt.compile(dialect=db.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    raw = db.connection().connection.driver_connection
    assert raw is not None
    return list(raw.execute(compiled.string, compiled.params, prepare=False).fetchall())


def _field(by_id: dict[str, Field], name: str, param: str) -> Field:
    if name not in by_id:
        raise _bad("datastore_unknown_field", N_("There is no column {column}."), param, column=name)
    return by_id[name]


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
