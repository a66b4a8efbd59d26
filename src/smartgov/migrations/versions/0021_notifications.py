"""notifications: template versions, in-app messages, preferences

Revision ID: 0021_notifications
Revises: 0025_rollup_months
Create Date: 2026-12-07 13:07:50.051095

Admins' versions of message wording, the in-app copy of every message to an account, people's
channel and language choices, and an index for the delivery status page over the outbox.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import smartgov.db

revision = '0021_notifications'
down_revision = '0025_rollup_months'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notifications_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('template', sa.String(length=100), nullable=True),
    sa.Column('lang', sa.String(length=2), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('sent', sa.Boolean(), nullable=False),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['identity_account.id'], name=op.f('fk_notifications_message_account_id_identity_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications_message')),
    sa.UniqueConstraint('outbox_id', name=op.f('uq_notifications_message_outbox_id'))
    )
    with op.batch_alter_table('notifications_message', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_message_inbox', ['account_id', 'read_at', 'id'], unique=False)

    op.create_table('notifications_preference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('template', sa.String(length=100), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.Column('sms', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['identity_account.id'], name=op.f('fk_notifications_preference_account_id_identity_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications_preference')),
    sa.UniqueConstraint('account_id', 'template', name=op.f('uq_notifications_preference_account_id_template'))
    )
    with op.batch_alter_table('notifications_preference', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_preference_account_id'), ['account_id'], unique=False)

    op.create_table('notifications_profile',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('updated_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['identity_account.id'], name=op.f('fk_notifications_profile_account_id_identity_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_notifications_profile'))
    )
    op.create_table('notifications_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('reset', sa.Boolean(), nullable=False),
    sa.Column('email_subject_fa', sa.Text(), nullable=False),
    sa.Column('email_subject_en', sa.Text(), nullable=False),
    sa.Column('email_body_fa', sa.Text(), nullable=False),
    sa.Column('email_body_en', sa.Text(), nullable=False),
    sa.Column('sms_fa', sa.Text(), nullable=False),
    sa.Column('sms_en', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['identity_account.id'], name=op.f('fk_notifications_template_author_id_identity_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications_template')),
    sa.UniqueConstraint('key', 'version', name=op.f('uq_notifications_template_key_version'))
    )
    with op.batch_alter_table('notifications_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_template_key'), ['key'], unique=False)

    with op.batch_alter_table('kernel_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_kernel_outbox_handler', ['handler', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('kernel_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_kernel_outbox_handler')

    with op.batch_alter_table('notifications_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_template_key'))

    op.drop_table('notifications_template')
    op.drop_table('notifications_profile')
    with op.batch_alter_table('notifications_preference', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_preference_account_id'))

    op.drop_table('notifications_preference')
    with op.batch_alter_table('notifications_message', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_message_inbox')

    op.drop_table('notifications_message')
