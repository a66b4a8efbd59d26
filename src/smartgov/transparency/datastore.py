"""The datastore: a tabular resource's rows, typed, filtered, sorted and paged (CKAN's ``datastore_search``).

Every resource's rows live in one table (``transparency_datastore_row``), one JSON object per row.
A column is a *field* ``{"id", "type", "key", "info"}``: ``id`` is the header as the agency wrote
it (Persian, spaces, anything), ``key`` is what the row's JSON uses: the type's letter and the
column's position (``n0``, ``t1``, ``d2`` …). Because a key's letter fixes its type everywhere,
``CAST(data->>'n0' AS NUMERIC)`` never meets a text cell, whatever resource a row belongs to; and
no header an agency typed ever reaches SQL text. Each resource gets partial expression indexes
(``WHERE resource_id = '…'``) on its columns, so a filter or a sort on a million rows reads an
index, on PostgreSQL and on SQLite alike; the query names the resource as a literal so the
planner can match the partial index.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, literal_column, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from smartgov import digits
from smartgov.digits import search_text
from smartgov.errors import DomainError
from smartgov.i18n import N_

from .models import DatastoreRow, Resource

#: CKAN's datastore types we keep, and the letter their keys start with.
TYPES: dict[str, str] = {"int": "n", "numeric": "n", "text": "t", "date": "d", "timestamp": "s", "bool": "b"}
_KEY = re.compile(r"[ntdsb][0-9]{1,4}")
_TRUE = {"true", "yes", "y", "1", "بله", "بلی", "درست"}
_FALSE = {"false", "no", "n", "0", "خیر", "نه", "نادرست"}
MAX_FIELDS = 200
INDEXED_FIELDS = 32  # a resource's first columns get an index each; wider tables filter the rest by scan
BATCH = 5_000
ANALYZE_AFTER = 20_000  # rows loaded at once after which the table's statistics are refreshed


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


def uuid_text(value: str) -> str:
    """A resource id as the literal the indexes name (a canonical UUID, never anything else)."""
    return str(uuid.UUID(value))


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


def replace_rows(db: Session, resource: Resource, fields: Sequence[Field], records: Sequence[dict[str, Any]]) -> None:
    """The resource's table becomes ``records`` under ``fields``: old rows and indexes go, new ones come."""
    drop(db, resource)
    resource.fields = [f.as_dict() for f in fields]
    resource.row_count = len(records)
    resource.datastore_active = True
    db.flush()
    table = DatastoreRow.__table__
    for start in range(0, len(records), BATCH):
        chunk = records[start:start + BATCH]
        db.execute(insert(table), [
            {"resource_id": resource.id, "row_no": start + i + 1, "data": rec, "search_text": _row_search(fields, rec)}
            for i, rec in enumerate(chunk)
        ])
    create_indexes(db, resource, fields)
    if len(records) >= ANALYZE_AFTER and db.get_bind().dialect.name == "postgresql":
        # The new expression indexes have no statistics until ANALYZE; without them the planner guesses
        # how many rows a filter matches and may scan the table instead (it runs inside the transaction).
        db.execute(text("ANALYZE transparency_datastore_row"))


def drop(db: Session, resource: Resource) -> None:
    """Forget the resource's rows and their indexes."""
    for f in fields_of(resource):
        db.execute(text(f'DROP INDEX IF EXISTS "{_index_name(resource.id, f.key)}"'))
    db.execute(delete(DatastoreRow).where(DatastoreRow.resource_id == resource.id))
    resource.row_count = 0
    resource.datastore_active = False


def _index_name(resource_id: str, key: str) -> str:
    if not _KEY.fullmatch(key):
        raise ValueError(key)
    return f"ix_tds_{uuid.UUID(resource_id).hex}_{key}"


def _expression(db: Session, key: str) -> str:
    """SQL for a field's value in a row: the same text in the index and in the query."""
    if not _KEY.fullmatch(key):  # keys are made here; never a name from outside
        raise ValueError(key)
    if db.get_bind().dialect.name == "postgresql":
        return f"CAST((data ->> '{key}') AS NUMERIC)" if key[0] == "n" else f"(data ->> '{key}')"
    return f"json_extract(data, '$.{key}')"


def create_indexes(db: Session, resource: Resource, fields: Sequence[Field]) -> None:
    rid = uuid_text(resource.id)
    for f in list(fields)[:INDEXED_FIELDS]:
        db.execute(text(
            f'CREATE INDEX IF NOT EXISTS "{_index_name(rid, f.key)}" ON transparency_datastore_row '
            f"(({_expression(db, f.key)})) WHERE resource_id = '{rid}'"))


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


def search(db: Session, resource: Resource, query: Query) -> Result:
    """Rows matching ``query`` (filters are equality on typed values, several values: any of them)."""
    by_id = {f.id: f for f in fields_of(resource)}
    rid = uuid_text(resource.id)
    where: list[ColumnElement[bool]] = [text(f"resource_id = '{rid}'")]
    postgres = db.get_bind().dialect.name == "postgresql"
    for name, values in query.filters.items():
        f = _field(by_id, name, "filters")
        typed = []
        for value in values:
            try:
                typed.append(convert(value, f.type))
            except (ValueError, ArithmeticError, DomainError) as exc:
                raise _bad("datastore_bad_filter", N_("The filter on {column} is not a {type}."), "filters",
                           column=name, type=f.type) from exc
        expr = literal_column(_expression(db, f.key))
        if postgres and f.type == "bool":
            typed = ["true" if v else "false" for v in typed]
        if postgres and f.key[0] == "n":
            typed = [Decimal(str(v)) for v in typed]
        present = [v for v in typed if v is not None]
        clause = expr.in_(present) if len(present) != 1 else expr == present[0]
        where.append(clause if len(present) == len(typed) else (clause | expr.is_(None)))
    if isinstance(query.q, str) and query.q.strip():
        for word in search_text(query.q).split()[:8]:
            where.append(DatastoreRow.search_text.like(f"%{_escape(word)}%", escape="\\"))
    elif isinstance(query.q, dict):
        for name, value in query.q.items():
            f = _field(by_id, name, "q")
            expr = literal_column(_expression(db, f.key))
            where.append(func.lower(expr).like(f"%{_escape(str(value).lower())}%", escape="\\"))
    order = []
    for name, desc in query.sort or []:
        if name == "_id":
            order.append(DatastoreRow.row_no.desc() if desc else DatastoreRow.row_no)
            continue
        expr = literal_column(_expression(db, _field(by_id, name, "sort").key))
        order.append(expr.desc() if desc else expr.asc())
    order.append(DatastoreRow.row_no)
    stmt = select(DatastoreRow.row_no, DatastoreRow.data).where(*where).order_by(*order)
    rows = db.execute(stmt.limit(query.limit).offset(query.offset)).all()
    shown = [by_id[name] for name in query.fields if name != "_id"] if query.fields else list(by_id.values())
    for name in query.fields or []:
        if name != "_id":
            _field(by_id, name, "fields")
    records = []
    for row_no, data in rows:
        record: dict[str, Any] = {"_id": row_no} if not query.fields or "_id" in query.fields else {}
        for f in shown:
            record[f.id] = data.get(f.key)
        records.append(record)
    unfiltered = len(where) == 1
    if not query.include_total:
        total = -1
    elif unfiltered:
        total = resource.row_count
    else:
        total = db.scalar(select(func.count()).select_from(DatastoreRow).where(*where)) or 0
    return Result(fields=shown, records=records, total=total)


def _field(by_id: dict[str, Field], name: str, param: str) -> Field:
    if name not in by_id:
        raise _bad("datastore_unknown_field", N_("There is no column {column}."), param, column=name)
    return by_id[name]


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
