"""insight closes the loop: participation what-we-heard drafts and quotes, assessment framework additions

Revision ID: 0029_insight_loop
Revises: 0028_citizen_home
Create Date: 2026-12-07 16:15:02.669621
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import smartgov.db

revision = '0029_insight_loop'
down_revision = '0028_citizen_home'
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

    op.create_table('participation_heard_draft',
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('summary_fa', sa.Text(), nullable=False),
    sa.Column('summary_en', sa.Text(), nullable=False),
    sa.Column('origin', sa.String(length=80), nullable=False),
    sa.Column('drafted_by', sa.Integer(), nullable=True),
    sa.Column('drafted_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['participation_consultation.id'], name=op.f('fk_participation_heard_draft_consultation_id_participation_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['drafted_by'], ['identity_account.id'], name=op.f('fk_participation_heard_draft_drafted_by_identity_account')),
    sa.PrimaryKeyConstraint('consultation_id', name=op.f('pk_participation_heard_draft'))
    )
    op.create_table('participation_heard_quote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('theme', sa.String(length=300), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('origin', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['participation_comment.id'], name=op.f('fk_participation_heard_quote_comment_id_participation_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['consultation_id'], ['participation_consultation.id'], name=op.f('fk_participation_heard_quote_consultation_id_participation_consultation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_heard_quote'))
    )
    with op.batch_alter_table('participation_heard_quote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participation_heard_quote_consultation_id'), ['consultation_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('participation_heard_quote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participation_heard_quote_consultation_id'))

    op.drop_table('participation_heard_quote')
    op.drop_table('participation_heard_draft')
    with op.batch_alter_table('assessment_framework_addition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_framework_addition_origin'))
        batch_op.drop_index(batch_op.f('ix_assessment_framework_addition_organization_id'))

    op.drop_table('assessment_framework_addition')
