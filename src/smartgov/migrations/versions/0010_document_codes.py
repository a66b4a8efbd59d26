"""services: verification codes printed on issued documents

Revision ID: 0010_document_codes
Revises: 0009_access_labels
Create Date: 2026-12-07 03:30:00

Documents issued before have no code: the verify page shows them masked to everyone but
those who may see the case.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010_document_codes'
down_revision = '0009_access_labels'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('services_document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verify_code_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('verify_code_sealed', sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('services_document', schema=None) as batch_op:
        batch_op.drop_column('verify_code_sealed')
        batch_op.drop_column('verify_code_hash')
