"""insurance: employment spells and import checkpoints for the population import

Revision ID: 0033_population_import
Revises: 0029_insight_loop
Create Date: 2026-12-07 16:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import smartgov.db

revision = '0033_population_import'
down_revision = "0029_insight_loop"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('insurance_employment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('national_code', sa.String(length=10), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('monthly_wage', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['workshop_id'], ['insurance_workshop.id'], name=op.f('fk_insurance_employment_workshop_id_insurance_workshop')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insurance_employment')),
    sa.UniqueConstraint('national_code', 'workshop_id', 'start_date', name=op.f('uq_insurance_employment_national_code_workshop_id_start_date'))
    )
    op.create_index(op.f('ix_insurance_employment_workshop_id'), 'insurance_employment', ['workshop_id'], unique=False)
    op.create_table('insurance_import_checkpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('file_key', sa.String(length=64), nullable=False),
    sa.Column('file_name', sa.String(length=300), nullable=False),
    sa.Column('line', sa.BigInteger(), nullable=False),
    sa.Column('accepted', sa.BigInteger(), nullable=False),
    sa.Column('inserted', sa.BigInteger(), nullable=False),
    sa.Column('rejected', sa.BigInteger(), nullable=False),
    sa.Column('started_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insurance_import_checkpoint')),
    sa.UniqueConstraint('kind', 'file_key', name=op.f('uq_insurance_import_checkpoint_kind_file_key'))
    )


def downgrade() -> None:
    op.drop_table('insurance_import_checkpoint')
    op.drop_index(op.f('ix_insurance_employment_workshop_id'), table_name='insurance_employment')
    op.drop_table('insurance_employment')
