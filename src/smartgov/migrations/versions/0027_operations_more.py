"""operations: NGSI-LD subscriptions (HTTP notifications through the outbox)

Revision ID: 0027_operations_more
Revises: 0024_operations
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import smartgov.db

revision = "0027_operations_more"
down_revision = "0024_operations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operations_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.String(length=256), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("expires_at", smartgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("throttling", sa.Float(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", smartgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", smartgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_notification_at", smartgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", smartgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("times_sent", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operations_subscription")),
        sa.UniqueConstraint("subscription_id", name=op.f("uq_operations_subscription_subscription_id")),
    )
    with op.batch_alter_table("operations_subscription", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_operations_subscription_organization_id"), ["organization_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("operations_subscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operations_subscription_organization_id"))
    op.drop_table("operations_subscription")
