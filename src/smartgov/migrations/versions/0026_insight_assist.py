"""insight: assisted-coding suggestions and the human decisions on them, with their provenance

Revision ID: 0026_insight_assist
Revises: 0027_operations_more
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import smartgov.db

revision = '0026_insight_assist'
down_revision = "0027_operations_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('insight_suggestion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('run', sa.String(length=38), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('method', sa.String(length=60), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('result', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['identity_account.id'], name=op.f('fk_insight_suggestion_created_by_identity_account')),
    sa.ForeignKeyConstraint(['decided_by'], ['identity_account.id'], name=op.f('fk_insight_suggestion_decided_by_identity_account')),
    sa.ForeignKeyConstraint(['project_id'], ['insight_project.id'], name=op.f('fk_insight_suggestion_project_id_insight_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insight_suggestion'))
    )
    op.create_index('ix_insight_suggestion_project', 'insight_suggestion', ['project_id', 'status', 'kind'], unique=False)
    op.create_index(op.f('ix_insight_suggestion_run'), 'insight_suggestion', ['run'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_insight_suggestion_run'), table_name='insight_suggestion')
    op.drop_index('ix_insight_suggestion_project', table_name='insight_suggestion')
    op.drop_table('insight_suggestion')
