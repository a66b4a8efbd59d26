"""analytics.forecast: holidays, fund scenarios, demand runs

Revision ID: 0015_forecasts
Revises: 0014_analytics
Create Date: 2026-12-07 09:52:01.871298
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import smartgov.db

revision = '0015_forecasts'
down_revision = '0014_analytics'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analytics_forecast_demand_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service', sa.String(length=80), nullable=False),
    sa.Column('made_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('history_weeks', sa.Integer(), nullable=False),
    sa.Column('test_weeks', sa.SmallInteger(), nullable=False),
    sa.Column('horizon', sa.SmallInteger(), nullable=False),
    sa.Column('mape', sa.Float(), nullable=True),
    sa.Column('smape', sa.Float(), nullable=True),
    sa.Column('wape', sa.Float(), nullable=True),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('history', sa.JSON(), nullable=False),
    sa.Column('points', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_forecast_demand_run'))
    )
    with op.batch_alter_table('analytics_forecast_demand_run', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_forecast_demand_run_service', ['service', 'made_at'], unique=False)

    op.create_table('analytics_forecast_holiday',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('name_fa', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('updated_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by'], ['identity_account.id'], name=op.f('fk_analytics_forecast_holiday_updated_by_identity_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_forecast_holiday')),
    sa.UniqueConstraint('day', 'name_en', name=op.f('uq_analytics_forecast_holiday_day_name_en'))
    )
    with op.batch_alter_table('analytics_forecast_holiday', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analytics_forecast_holiday_day'), ['day'], unique=False)

    op.create_table('analytics_forecast_scenario',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title_en', sa.String(length=120), nullable=False),
    sa.Column('title_fa', sa.String(length=120), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('assumptions', sa.JSON(), nullable=False),
    sa.Column('updated_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by'], ['identity_account.id'], name=op.f('fk_analytics_forecast_scenario_updated_by_identity_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_forecast_scenario')),
    sa.UniqueConstraint('code', name=op.f('uq_analytics_forecast_scenario_code'))
    )


def downgrade() -> None:
    op.drop_table('analytics_forecast_scenario')
    with op.batch_alter_table('analytics_forecast_holiday', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analytics_forecast_holiday_day'))

    op.drop_table('analytics_forecast_holiday')
    with op.batch_alter_table('analytics_forecast_demand_run', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_forecast_demand_run_service')

    op.drop_table('analytics_forecast_demand_run')
