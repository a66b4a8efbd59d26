"""back office gaps: budget projects' places, polls' eligibility, petitions' signing deadline, audit indexes

Revision ID: 0022_backoffice_gaps
Revises: 0021_notifications
Create Date: 2026-12-09 10:00:00.000000

The kernel event table gets an index on (actor, time) and one on time, for the audit log viewer's
filters; participation's budget projects get a place and an optional point, polls an eligibility
rule with the words a refused voter reads, petitions a signing deadline set by staff.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import smartgov.db

revision = '0022_backoffice_gaps'
down_revision = '0021_notifications'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('participation_budget_project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('place_fa', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('place_en', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Float(), nullable=True))
    with op.batch_alter_table('participation_poll', schema=None) as batch_op:
        batch_op.add_column(sa.Column('eligibility', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('eligibility_note_fa', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('eligibility_note_en', sa.String(length=300), nullable=True))
    with op.batch_alter_table('participation_petition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signatures_close_at', smartgov.db.UTCDateTime(timezone=True), nullable=True))
    op.create_index('ix_kernel_event_actor_occurred', 'kernel_event', ['actor_id', 'occurred_at'], unique=False)
    op.create_index('ix_kernel_event_occurred', 'kernel_event', ['occurred_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_kernel_event_occurred', table_name='kernel_event')
    op.drop_index('ix_kernel_event_actor_occurred', table_name='kernel_event')
    with op.batch_alter_table('participation_petition', schema=None) as batch_op:
        batch_op.drop_column('signatures_close_at')
    with op.batch_alter_table('participation_poll', schema=None) as batch_op:
        batch_op.drop_column('eligibility_note_en')
        batch_op.drop_column('eligibility_note_fa')
        batch_op.drop_column('eligibility')
    with op.batch_alter_table('participation_budget_project', schema=None) as batch_op:
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
        batch_op.drop_column('place_en')
        batch_op.drop_column('place_fa')
