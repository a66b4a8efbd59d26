"""transparency: performance reports and the platform datasets' refresh runs

Revision ID: 0017_reports
Revises: 0016_transparency
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import smartgov.db

revision = '0017_reports'
down_revision = '0016_transparency'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('transparency_platform_run',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('done_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_transparency_platform_run'))
    )
    op.create_table('transparency_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.String(length=8), nullable=False),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('record', sa.JSON(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf_fa', sa.LargeBinary(), nullable=False),
    sa.Column('pdf_en', sa.LargeBinary(), nullable=False),
    sa.Column('pdf_fa_sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf_en_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['identity_organization.id'],
                            name=op.f('fk_transparency_report_agency_id_identity_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transparency_report')),
    sa.UniqueConstraint('quarter', 'scope', 'revision', name='uq_transparency_report_revision')
    )
    with op.batch_alter_table('transparency_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transparency_report_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transparency_report_quarter'), ['quarter'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('transparency_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transparency_report_quarter'))
        batch_op.drop_index(batch_op.f('ix_transparency_report_agency_id'))
    op.drop_table('transparency_report')
    op.drop_table('transparency_platform_run')
