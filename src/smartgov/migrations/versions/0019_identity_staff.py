"""identity: staff invitations, two-person MFA resets, agencies deactivated

Revision ID: 0019_identity_staff
Revises: 0018_services_designer
Create Date: 2026-12-07 10:26:19.173723

Follows the service designer's schedule table (0018).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import smartgov.db

revision = '0019_identity_staff'
down_revision = '0018_services_designer'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('identity_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.Enum('CITIZEN', 'EMPLOYER', 'OFFICIAL', 'AGENCY_ADMIN', 'AUDITOR', 'PLATFORM_ADMIN', name='role', native_enum=False, length=20), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('invited_by', sa.Integer(), nullable=False),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['identity_account.id'], name=op.f('fk_identity_invitation_account_id_identity_account')),
    sa.ForeignKeyConstraint(['invited_by'], ['identity_account.id'], name=op.f('fk_identity_invitation_invited_by_identity_account')),
    sa.ForeignKeyConstraint(['organization_id'], ['identity_organization.id'], name=op.f('fk_identity_invitation_organization_id_identity_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_invitation')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_identity_invitation_token_hash'))
    )
    with op.batch_alter_table('identity_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_invitation_invited_by'), ['invited_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_identity_invitation_organization_id'), ['organization_id'], unique=False)

    op.create_table('identity_mfa_reset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('requested_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.Column('approved_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['identity_account.id'], name=op.f('fk_identity_mfa_reset_account_id_identity_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['approved_by'], ['identity_account.id'], name=op.f('fk_identity_mfa_reset_approved_by_identity_account')),
    sa.ForeignKeyConstraint(['requested_by'], ['identity_account.id'], name=op.f('fk_identity_mfa_reset_requested_by_identity_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_mfa_reset'))
    )
    with op.batch_alter_table('identity_mfa_reset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_mfa_reset_account_id'), ['account_id'], unique=False)

    # Not a batch: on SQLite a batch may copy the table, and dropping identity_organization for the copy
    # fails the foreign keys of every table that references it once it holds rows.
    op.add_column('identity_organization', sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    # Not a batch (a copy of the table on SQLite): identity_organization is referenced by many tables,
    # and dropping it for the copy fails their foreign keys. SQLite drops a column itself since 3.35.
    op.drop_column('identity_organization', 'active')

    with op.batch_alter_table('identity_mfa_reset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_mfa_reset_account_id'))

    op.drop_table('identity_mfa_reset')
    with op.batch_alter_table('identity_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_invitation_organization_id'))
        batch_op.drop_index(batch_op.f('ix_identity_invitation_invited_by'))

    op.drop_table('identity_invitation')
