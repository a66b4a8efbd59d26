"""analytics: rollup cells per Jalali month and cuts (all dimensions but one), filled from the day cells

Revision ID: 0025_rollup_months
Revises: 0023_insight
Create Date: 2026-12-07 13:20:00

A dashboard of a year read 365 days of cells for every KPI and summed them over every service,
agency, branch and channel at each view; the same cells per month, and summed over all dimensions
but one, are kept beside them by the rollup job's upsert from now on. Existing day cells are summed
here: one ``INSERT … SELECT`` per Jalali month they cover (months are contiguous ranges of days),
then the cuts of both grains, one statement per dimension.
"""

from __future__ import annotations

import datetime as dt

import jdatetime
import sqlalchemy as sa
from alembic import op

revision = '0025_rollup_months'
down_revision = '0023_insight'
branch_labels = None
depends_on = None

#: Each cut's dimension and the SQL of its key (as ``rollups.CUTS`` writes it: the value as text).
NONE = "''"  # the national cut's key: no dimension
CUTS = (("", NONE), ("service", "service"), ("agency", "CAST(agency_id AS VARCHAR(100))"),
        ("branch", "CAST(branch_id AS VARCHAR(100))"))


def _month(day: dt.date) -> dt.date:
    return jdatetime.date.fromgregorian(date=day).replace(day=1).togregorian()


def upgrade() -> None:
    op.create_table('analytics_rollup_month',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=40), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('service', sa.String(length=100), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('bucket', sa.Integer(), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_rollup_month')),
    sa.UniqueConstraint('measure', 'day', 'service', 'agency_id', 'branch_id', 'channel', 'bucket',
                        name='uq_analytics_rollup_month_cell')
    )
    op.create_table('analytics_rollup_cut',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=40), nullable=False),
    sa.Column('grain', sa.String(length=1), nullable=False),
    sa.Column('dim', sa.String(length=10), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('bucket', sa.Integer(), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_rollup_cut')),
    sa.UniqueConstraint('measure', 'grain', 'dim', 'day', 'key', 'channel', 'bucket',
                        name='uq_analytics_rollup_cut_cell')
    )
    bind = op.get_bind()
    low, high = bind.execute(sa.text("SELECT min(day), max(day) FROM analytics_rollup")).one()
    if low is None:
        return
    low, high = (dt.date.fromisoformat(str(v)) for v in (low, high))
    month = _month(low)
    while month <= high:
        after = _month(month + dt.timedelta(days=32))
        bind.execute(sa.text(
            "INSERT INTO analytics_rollup_month (measure, day, service, agency_id, branch_id, channel, bucket, count, "
            "total) "
            "SELECT measure, :month, service, agency_id, branch_id, channel, bucket, sum(count), sum(total) "
            "FROM analytics_rollup WHERE day >= :month AND day < :after "
            "GROUP BY measure, service, agency_id, branch_id, channel, bucket"),
            {"month": month, "after": after})
        month = after
    for grain, table in (("d", "analytics_rollup"), ("m", "analytics_rollup_month")):
        for dim, key in CUTS:  # the table and key expressions are this file's constants
            bind.execute(sa.text(
                'INSERT INTO analytics_rollup_cut (measure, grain, dim, day, "key", channel, bucket, count, total) '  # noqa: S608
                f"SELECT measure, :grain, :dim, day, {key}, channel, bucket, sum(count), sum(total) FROM {table} "
                f"GROUP BY measure, day, channel, bucket{'' if key == NONE else ', ' + key}"),
                {"grain": grain, "dim": dim})


def downgrade() -> None:
    op.drop_table('analytics_rollup_cut')
    op.drop_table('analytics_rollup_month')
