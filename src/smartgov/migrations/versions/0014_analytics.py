"""analytics: KPI settings, rollups, watermark, operating costs

Revision ID: 0014_analytics
Revises: 0013_branch_routing
Create Date: 2026-12-07 09:49:58.840335
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import smartgov.db

revision = '0014_analytics'
down_revision = '0013_branch_routing'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analytics_kpi',
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('target', sa.Float(), nullable=True),
    sa.Column('owner_agency_code', sa.String(length=40), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('updated_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_analytics_kpi'))
    )
    op.create_table('analytics_operating_cost',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('entered_by', sa.Integer(), nullable=True),
    sa.Column('entered_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_operating_cost')),
    sa.UniqueConstraint('agency_id', 'period_start', name='uq_analytics_operating_cost_period')
    )
    op.create_table('analytics_returned_case',
    sa.Column('application_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('application_id', name=op.f('pk_analytics_returned_case'))
    )
    op.create_table('analytics_rollup',
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
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_rollup')),
    sa.UniqueConstraint('measure', 'day', 'service', 'agency_id', 'branch_id', 'channel', 'bucket', name='uq_analytics_rollup_cell')
    )
    op.create_table('analytics_watermark',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.Column('gaps', sa.JSON(), nullable=False),
    sa.Column('updated_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_analytics_watermark'))
    )


def downgrade() -> None:
    op.drop_table('analytics_watermark')
    op.drop_table('analytics_rollup')
    op.drop_table('analytics_returned_case')
    op.drop_table('analytics_operating_cost')
    op.drop_table('analytics_kpi')
