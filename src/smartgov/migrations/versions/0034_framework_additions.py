"""assessment: an agency's own additions to a framework (themes promoted from insight)

Revision ID: 0034_framework_additions
Revises: 0033_population_import
Create Date: 2026-12-07 16:45:52.341880
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import smartgov.db

revision = '0034_framework_additions'
down_revision = '0033_population_import'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('assessment_framework_addition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('framework_id', sa.String(length=40), nullable=False),
    sa.Column('parent_code', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('origin', sa.String(length=80), nullable=False),
    sa.Column('origin_label', sa.String(length=300), nullable=False),
    sa.Column('origin_url', sa.String(length=300), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['identity_account.id'], name=op.f('fk_assessment_framework_addition_created_by_identity_account')),
    sa.ForeignKeyConstraint(['organization_id'], ['identity_organization.id'], name=op.f('fk_assessment_framework_addition_organization_id_identity_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_framework_addition')),
    sa.UniqueConstraint('organization_id', 'framework_id', 'origin', name=op.f('uq_assessment_framework_addition_organization_id_framework_id_origin'))
    )
    with op.batch_alter_table('assessment_framework_addition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_framework_addition_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_framework_addition_origin'), ['origin'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('assessment_framework_addition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_framework_addition_origin'))
        batch_op.drop_index(batch_op.f('ix_assessment_framework_addition_organization_id'))

    op.drop_table('assessment_framework_addition')
