"""assessment: questionnaires, rounds, invitations, responses, roadmap

Revision ID: 0003_assessment
Revises: 0002_services
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import smartgov.db

revision = "0003_assessment"
down_revision = '0002_services'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('assessment_instrument',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('framework_id', sa.String(length=40), nullable=False),
    sa.Column('framework_options', sa.JSON(), nullable=False),
    sa.Column('scale_points', sa.Integer(), nullable=False),
    sa.Column('title_fa', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['identity_account.id'], name=op.f('fk_assessment_instrument_created_by_identity_account')),
    sa.ForeignKeyConstraint(['organization_id'], ['identity_organization.id'], name=op.f('fk_assessment_instrument_organization_id_identity_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_instrument'))
    )
    with op.batch_alter_table('assessment_instrument', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_instrument_organization_id'), ['organization_id'], unique=False)

    op.create_table('assessment_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('component', sa.String(length=40), nullable=False),
    sa.Column('text_fa', sa.Text(), nullable=False),
    sa.Column('text_en', sa.Text(), nullable=False),
    sa.Column('reverse', sa.Boolean(), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['instrument_id'], ['assessment_instrument.id'], name=op.f('fk_assessment_item_instrument_id_assessment_instrument'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_item')),
    sa.UniqueConstraint('instrument_id', 'code', name=op.f('uq_assessment_item_instrument_id_code'))
    )
    with op.batch_alter_table('assessment_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_item_instrument_id'), ['instrument_id'], unique=False)

    op.create_table('assessment_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('title_fa', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('DRAFT', 'OPEN', 'CLOSED', name='roundstatus', native_enum=False, length=12), nullable=False),
    sa.Column('tgov_answers', sa.JSON(), nullable=False),
    sa.Column('gartner_answers', sa.JSON(), nullable=False),
    sa.Column('total_services', sa.Integer(), nullable=True),
    sa.Column('operating_cost_rial', sa.BigInteger(), nullable=True),
    sa.Column('results', sa.JSON(), nullable=True),
    sa.Column('results_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('opened_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['identity_account.id'], name=op.f('fk_assessment_round_created_by_identity_account')),
    sa.ForeignKeyConstraint(['instrument_id'], ['assessment_instrument.id'], name=op.f('fk_assessment_round_instrument_id_assessment_instrument')),
    sa.ForeignKeyConstraint(['organization_id'], ['identity_organization.id'], name=op.f('fk_assessment_round_organization_id_identity_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_round'))
    )
    with op.batch_alter_table('assessment_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_round_instrument_id'), ['instrument_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_round_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_round_status'), ['status'], unique=False)

    op.create_table('assessment_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=120), nullable=True),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['identity_account.id'], name=op.f('fk_assessment_invitation_account_id_identity_account')),
    sa.ForeignKeyConstraint(['round_id'], ['assessment_round.id'], name=op.f('fk_assessment_invitation_round_id_assessment_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_invitation')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_assessment_invitation_token_hash'))
    )
    with op.batch_alter_table('assessment_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_invitation_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_invitation_round_id'), ['round_id'], unique=False)

    op.create_table('assessment_roadmap_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('component', sa.String(length=40), nullable=False),
    sa.Column('action_key', sa.String(length=80), nullable=False),
    sa.Column('phase', sa.Integer(), nullable=False),
    sa.Column('title_fa', sa.Text(), nullable=False),
    sa.Column('title_en', sa.Text(), nullable=False),
    sa.Column('capabilities', sa.JSON(), nullable=False),
    sa.Column('score_percent', sa.Float(), nullable=True),
    sa.Column('owner', sa.String(length=120), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('updated_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['assessment_round.id'], name=op.f('fk_assessment_roadmap_action_round_id_assessment_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_roadmap_action')),
    sa.UniqueConstraint('round_id', 'action_key', name=op.f('uq_assessment_roadmap_action_round_id_action_key'))
    )
    with op.batch_alter_table('assessment_roadmap_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_roadmap_action_round_id'), ['round_id'], unique=False)

    op.create_table('assessment_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('respondent_key', sa.String(length=80), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('IN_PROGRESS', 'SUBMITTED', name='responsestatus', native_enum=False, length=12), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['identity_account.id'], name=op.f('fk_assessment_response_account_id_identity_account')),
    sa.ForeignKeyConstraint(['invitation_id'], ['assessment_invitation.id'], name=op.f('fk_assessment_response_invitation_id_assessment_invitation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['assessment_round.id'], name=op.f('fk_assessment_response_round_id_assessment_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_response')),
    sa.UniqueConstraint('invitation_id', name=op.f('uq_assessment_response_invitation_id')),
    sa.UniqueConstraint('round_id', 'respondent_key', name=op.f('uq_assessment_response_round_id_respondent_key'))
    )
    with op.batch_alter_table('assessment_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_response_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_response_round_id'), ['round_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('assessment_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_response_round_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_response_account_id'))

    op.drop_table('assessment_response')
    with op.batch_alter_table('assessment_roadmap_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_roadmap_action_round_id'))

    op.drop_table('assessment_roadmap_action')
    with op.batch_alter_table('assessment_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_invitation_round_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_invitation_account_id'))

    op.drop_table('assessment_invitation')
    with op.batch_alter_table('assessment_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_round_status'))
        batch_op.drop_index(batch_op.f('ix_assessment_round_organization_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_round_instrument_id'))

    op.drop_table('assessment_round')
    with op.batch_alter_table('assessment_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_item_instrument_id'))

    op.drop_table('assessment_item')
    with op.batch_alter_table('assessment_instrument', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_instrument_organization_id'))

    op.drop_table('assessment_instrument')
