"""exchange: members and subsystems can be deactivated from the admin screens

Revision ID: 0020_exchange_admin
Revises: 0022_backoffice_gaps
Create Date: 2026-12-08 09:00:00.000000

A deactivated member or subsystem keeps its keys, services and message history; it neither calls
nor answers until reactivated.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import smartgov.db

revision = '0020_exchange_admin'
down_revision = '0022_backoffice_gaps'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy on SQLite): other tables reference these by foreign key.
    op.add_column('exchange_member', sa.Column('deactivated_at', smartgov.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column('exchange_subsystem',
                  sa.Column('deactivated_at', smartgov.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('exchange_subsystem', 'deactivated_at')
    op.drop_column('exchange_member', 'deactivated_at')
