"""Tables of the open-data portal: datasets, their tags and resources, uploads and the datastore.

Organizations are identity's agencies (``organization_id`` holds the agency's id; identity is
asked for names). The datastore keeps every tabular resource's rows in one table, one JSON
object per row (``README.md`` says why and how it stays fast).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, Numeric, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from smartgov.db import Base

#: How much of a text cell the cell index keeps (btree entries have a size limit; longer values re-check the row).
TEXT_PREFIX = 200
#: Row data: JSONB on PostgreSQL (``->>`` without re-parsing text), JSON text on SQLite.
ROW_JSON = JSON().with_variant(JSONB(), "postgresql")


class Dataset(Base):
    """A CKAN "package": metadata about data an agency (or the platform itself) publishes."""

    __tablename__ = "transparency_dataset"
    __table_args__ = (
        Index("ix_transparency_dataset_org_state", "organization_id", "state"),
        Index("ix_transparency_dataset_modified", "metadata_modified"),
        Index("ix_transparency_dataset_search", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # a UUID, as CKAN's ids are
    name: Mapped[str] = mapped_column(String(100), unique=True)  # the URL slug: a-z, 0-9, - and _
    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    notes_en: Mapped[str] = mapped_column(Text, default="")
    organization_id: Mapped[int] = mapped_column(ForeignKey("identity_organization.id"))
    license_id: Mapped[str] = mapped_column(String(50), default="notspecified")
    state: Mapped[str] = mapped_column(String(20), default="active")  # active | deleted
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[str] = mapped_column(String(100), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    author: Mapped[str] = mapped_column(String(200), default="")
    author_email: Mapped[str] = mapped_column(String(200), default="")
    maintainer: Mapped[str] = mapped_column(String(200), default="")
    maintainer_email: Mapped[str] = mapped_column(String(200), default="")
    frequency: Mapped[str] = mapped_column(String(30), default="")  # DCAT accrualPeriodicity code, e.g. MONTHLY
    extras: Mapped[list[Any]] = mapped_column(default=list)  # [{"key", "value"}], as CKAN keeps them
    platform: Mapped[bool] = mapped_column(Boolean, default=False)  # published by the platform from its rollups
    creator_id: Mapped[int | None] = mapped_column(Integer)  # the account that created it (none: the platform)
    # What package_search matches: name, titles, notes, tags, organization names, normalized (digits.search_text).
    search_text: Mapped[str] = mapped_column(Text, default="")
    metadata_created: Mapped[dt.datetime]
    metadata_modified: Mapped[dt.datetime]


class DatasetTag(Base):
    """A free keyword on a dataset (CKAN's free tags)."""

    __tablename__ = "transparency_tag"

    dataset_id: Mapped[str] = mapped_column(ForeignKey("transparency_dataset.id", ondelete="CASCADE"),
                                            primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


class Resource(Base):
    """A distribution of a dataset: a file uploaded here, or a link; tabular ones fill the datastore."""

    __tablename__ = "transparency_resource"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("transparency_dataset.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(30), default="")  # CSV, XLSX, JSON …
    mimetype: Mapped[str] = mapped_column(String(100), default="")
    url: Mapped[str] = mapped_column(String(1000), default="")  # a link (url_type ""), or where an upload is served
    url_type: Mapped[str] = mapped_column(String(20), default="")  # "upload" when the file is kept here
    size: Mapped[int | None] = mapped_column(BigInteger)
    # The datastore's columns, in order: [{"id", "type", "key", "info": {"label", "notes"}}]; empty if none.
    fields: Mapped[list[Any]] = mapped_column(default=list)
    row_count: Mapped[int] = mapped_column(BigInteger, default=0)
    datastore_active: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[dt.datetime]
    last_modified: Mapped[dt.datetime]


class ResourceFile(Base):
    """The bytes of an uploaded resource, apart from its metadata (lists never load them)."""

    __tablename__ = "transparency_resource_file"

    resource_id: Mapped[str] = mapped_column(ForeignKey("transparency_resource.id", ondelete="CASCADE"),
                                             primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class DatastoreRow(Base):
    """One row of a resource's table: ``data`` maps each field's ``key`` to its typed value.

    Keys carry the column's type (``n1``, ``t0`` …, see ``datastore.py``). Filters, counts and sorts
    read :class:`DatastoreCell` instead; a page of records is then read here by primary key.
    """

    __tablename__ = "transparency_datastore_row"

    resource_id: Mapped[str] = mapped_column(ForeignKey("transparency_resource.id", ondelete="CASCADE"),
                                             primary_key=True)
    row_no: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # CKAN's _id
    data: Mapped[dict[str, Any]] = mapped_column(ROW_JSON)
    search_text: Mapped[str] = mapped_column(Text, default="")  # the row's text cells, for datastore_search q


class DatastoreCell(Base):
    """One cell of an indexed column, narrow, for filters, counts and sorting (``README.md``).

    Numbers are in ``num``; text, dates (ISO), timestamps (ISO) and booleans in ``txt`` (a prefix of
    long text; a filter on a longer value re-checks the row). Each index orders a column's cells by
    value and then row: an equality filter is one index range whose row numbers come out sorted (two
    filters merge-join), a count is an index-only scan, a sort walks the index.
    """

    __tablename__ = "transparency_datastore_cell"
    __table_args__ = (
        Index("ix_transparency_datastore_cell_num", "resource_id", "key", "num", "row_no"),
        Index("ix_transparency_datastore_cell_txt", "resource_id", "key", "txt", "row_no"),
    )

    resource_id: Mapped[str] = mapped_column(ForeignKey("transparency_resource.id", ondelete="CASCADE"),
                                             primary_key=True)
    key: Mapped[str] = mapped_column(String(6), primary_key=True)
    row_no: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    num: Mapped[Any] = mapped_column(Numeric, nullable=True)
    txt: Mapped[str | None] = mapped_column(String(TEXT_PREFIX))


class CatalogueVersion(Base):
    """One row whose number moves with every change to any dataset (``search.run`` keeps counts per version)."""

    __tablename__ = "transparency_catalogue"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
