"""exchange: an index in the order "who read my data" groups a person's reads

Revision ID: 0032_access_grouping
Revises: 0034_framework_additions
Create Date: 2026-12-07 16:45:00
"""

from __future__ import annotations

from alembic import op

revision = "0032_access_grouping"
down_revision = "0034_framework_additions"
branch_labels = None
depends_on = None

COLUMNS = ["national_code", "source", "agency_code", "actor_account_id", "what", "purpose", "at", "hidden_until", "id"]


def upgrade() -> None:
    op.create_index("ix_exchange_person_access_person_group", "exchange_person_access", COLUMNS, unique=False)


def downgrade() -> None:
    op.drop_index("ix_exchange_person_access_person_group", table_name="exchange_person_access")
