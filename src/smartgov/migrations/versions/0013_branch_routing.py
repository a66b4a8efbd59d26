"""services: each case routed to the branch that serves it

Revision ID: 0013_branch_routing
Revises: 0012_ballot_encryption
Create Date: 2026-12-07 06:45:38.074041
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013_branch_routing'
down_revision = '0012_ballot_encryption'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, without copying the platform's largest table: SQLite accepts a reference on
    # a new column whose default is NULL, though not through Alembic's constraint operations.
    fk = 'fk_services_application_branch_id_identity_organization'
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f"ALTER TABLE services_application ADD COLUMN branch_id INTEGER CONSTRAINT {fk} "
                   "REFERENCES identity_organization (id)")
    else:
        op.add_column('services_application', sa.Column('branch_id', sa.Integer(), nullable=True))
        op.create_foreign_key(fk, 'services_application', 'identity_organization', ['branch_id'], ['id'])
    # Every case so far was the agency's: its branch is the agency (supervisors may transfer it).
    op.execute("UPDATE services_application SET branch_id = agency_id WHERE branch_id IS NULL")
    op.drop_index('ix_services_application_inbox', table_name='services_application')
    op.create_index('ix_services_application_inbox', 'services_application', ['branch_id', 'state', 'sla_deadline'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_services_application_inbox', table_name='services_application')
    op.create_index('ix_services_application_inbox', 'services_application', ['agency_id', 'state', 'sla_deadline'],
                    unique=False)
    with op.batch_alter_table('services_application', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_services_application_branch_id_identity_organization'),
                                 type_='foreignkey')
        batch_op.drop_column('branch_id')
