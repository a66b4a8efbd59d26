"""services: the designer schedules a draft to publish at a date

Revision ID: 0018_services_designer
Revises: 0017_reports
Create Date: 2026-12-07 10:27:57.767705
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import smartgov.db

revision = '0018_services_designer'
down_revision = '0017_reports'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('services_definition_schedule',
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('publish_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('scheduled_by', sa.Integer(), nullable=True),
    sa.Column('scheduled_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['definition_id'], ['services_definition.id'], name=op.f('fk_services_definition_schedule_definition_id_services_definition'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['scheduled_by'], ['identity_account.id'], name=op.f('fk_services_definition_schedule_scheduled_by_identity_account')),
    sa.PrimaryKeyConstraint('definition_id', name=op.f('pk_services_definition_schedule'))
    )
    with op.batch_alter_table('services_definition_schedule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_services_definition_schedule_publish_at'), ['publish_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('services_definition_schedule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_services_definition_schedule_publish_at'))

    op.drop_table('services_definition_schedule')
