"""services: officials' saved inbox filters (the citizen's home itself needs no table)

Revision ID: 0028_citizen_home
Revises: 0026_insight_assist
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import smartgov.db

revision = '0028_citizen_home'
down_revision = "0026_insight_assist"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('services_inbox_filter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('query', sa.JSON(), nullable=False),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['identity_account.id'], name=op.f('fk_services_inbox_filter_account_id_identity_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_services_inbox_filter')),
    sa.UniqueConstraint('account_id', 'name', name=op.f('uq_services_inbox_filter_account_id_name'))
    )
    op.create_index(op.f('ix_services_inbox_filter_account_id'), 'services_inbox_filter', ['account_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_services_inbox_filter_account_id'), table_name='services_inbox_filter')
    op.drop_table('services_inbox_filter')
