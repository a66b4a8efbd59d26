"""participation: consultations, proposals, polls, budgets, petitions, surveys, accountability, moderation

Revision ID: 0004_participation
Revises: 0007_insurance
Create Date: 2026-11-22 03:19:24.875514
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import smartgov.db

revision = '0004_participation'
down_revision = '0007_insurance'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('participation_ballot',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('box_kind', sa.String(length=10), nullable=False),
    sa.Column('box_id', sa.Integer(), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('receipt_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_ballot')),
    sa.UniqueConstraint('receipt_hash', name=op.f('uq_participation_ballot_receipt_hash')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('participation_ballot', schema=None) as batch_op:
        batch_op.create_index('ix_participation_ballot_box', ['box_kind', 'box_id'], unique=False)
    op.create_table('participation_sms',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('gateway_ref', sa.String(length=64), nullable=False),
    sa.Column('sender_hash', sa.String(length=64), nullable=False),
    sa.Column('command', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_sms')),
    sa.UniqueConstraint('gateway_ref', name=op.f('uq_participation_sms_gateway_ref')),
    sqlite_with_rowid=False
    )
    op.create_table('participation_survey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('title_fa', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_survey')),
    sa.UniqueConstraint('key', name=op.f('uq_participation_survey_key'))
    )
    op.create_table('participation_throttle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_throttle'))
    )
    with op.batch_alter_table('participation_throttle', schema=None) as batch_op:
        batch_op.create_index('ix_participation_throttle_key_at', ['key', 'at'], unique=False)
    op.create_table('participation_activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('process_kind', sa.String(length=20), nullable=False),
    sa.Column('process_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('phase', sa.String(length=20), nullable=True),
    sa.Column('province', sa.String(length=40), nullable=True),
    sa.Column('age_band', sa.String(length=10), nullable=True),
    sa.Column('gender', sa.String(length=1), nullable=True),
    sa.Column('on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['identity_person.id'], name=op.f('fk_participation_activity_person_id_identity_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_activity'))
    )
    with op.batch_alter_table('participation_activity', schema=None) as batch_op:
        batch_op.create_index('ix_participation_activity_process', ['process_kind', 'process_id'], unique=False)
    op.create_table('participation_budget',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('title_fa', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('style', sa.Enum('approval', 'knapsack', name='budgetstyle', native_enum=False, length=20), nullable=False),
    sa.Column('max_choices', sa.Integer(), nullable=True),
    sa.Column('opens_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closes_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sealed_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['identity_organization.id'], name=op.f('fk_participation_budget_organization_id_identity_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_budget')),
    sa.UniqueConstraint('slug', name=op.f('uq_participation_budget_slug'))
    )
    with op.batch_alter_table('participation_budget', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participation_budget_organization_id'), ['organization_id'], unique=False)
    op.create_table('participation_survey_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('subject_ref', sa.String(length=100), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['identity_person.id'], name=op.f('fk_participation_survey_response_person_id_identity_person')),
    sa.ForeignKeyConstraint(['survey_id'], ['participation_survey.id'], name=op.f('fk_participation_survey_response_survey_id_participation_survey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_survey_response'))
    )
    with op.batch_alter_table('participation_survey_response', schema=None) as batch_op:
        batch_op.create_index('ix_participation_survey_response_survey', ['survey_id', 'subject_ref'], unique=False)
    op.create_table('participation_voter',
    sa.Column('box_kind', sa.String(length=10), nullable=False),
    sa.Column('box_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['identity_person.id'], name=op.f('fk_participation_voter_person_id_identity_person')),
    sa.PrimaryKeyConstraint('box_kind', 'box_id', 'person_id', name=op.f('pk_participation_voter')),
    sqlite_with_rowid=False
    )
    op.create_table('participation_block',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('blocked_by', sa.Integer(), nullable=False),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lifted_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['identity_account.id'], name=op.f('fk_participation_block_account_id_identity_account')),
    sa.ForeignKeyConstraint(['blocked_by'], ['identity_account.id'], name=op.f('fk_participation_block_blocked_by_identity_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_block'))
    )
    with op.batch_alter_table('participation_block', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participation_block_account_id'), ['account_id'], unique=False)
    op.create_table('participation_budget_project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('budget_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title_fa', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('cost', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['budget_id'], ['participation_budget.id'], name=op.f('fk_participation_budget_project_budget_id_participation_budget'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_budget_project')),
    sa.UniqueConstraint('budget_id', 'position', name=op.f('uq_participation_budget_project_budget_id_position'))
    )
    op.create_table('participation_consultation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('policy', 'regulation', 'standard', name='draftkind', native_enum=False, length=20), nullable=False),
    sa.Column('title_fa', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('summary_fa', sa.Text(), nullable=False),
    sa.Column('summary_en', sa.Text(), nullable=False),
    sa.Column('information_starts_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('consultation_starts_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('analysis_starts_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decision_starts_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accountability_starts_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('response_fa', sa.Text(), nullable=True),
    sa.Column('response_en', sa.Text(), nullable=True),
    sa.Column('response_published_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('final_published_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['identity_account.id'], name=op.f('fk_participation_consultation_created_by_identity_account')),
    sa.ForeignKeyConstraint(['organization_id'], ['identity_organization.id'], name=op.f('fk_participation_consultation_organization_id_identity_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_consultation')),
    sa.UniqueConstraint('slug', name=op.f('uq_participation_consultation_slug'))
    )
    with op.batch_alter_table('participation_consultation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participation_consultation_organization_id'), ['organization_id'], unique=False)
    op.create_table('participation_follow',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['identity_account.id'], name=op.f('fk_participation_follow_account_id_identity_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_follow')),
    sa.UniqueConstraint('account_id', 'subject_kind', 'subject_id', name=op.f('uq_participation_follow_account_id_subject_kind_subject_id'))
    )
    with op.batch_alter_table('participation_follow', schema=None) as batch_op:
        batch_op.create_index('ix_participation_follow_subject', ['subject_kind', 'subject_id'], unique=False)
    op.create_table('participation_moderation_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('moderator_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('subject_kind', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['moderator_id'], ['identity_account.id'], name=op.f('fk_participation_moderation_action_moderator_id_identity_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_moderation_action'))
    )
    with op.batch_alter_table('participation_moderation_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participation_moderation_action_moderator_id'), ['moderator_id'], unique=False)
    op.create_table('participation_notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('link', sa.String(length=200), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['identity_account.id'], name=op.f('fk_participation_notification_account_id_identity_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_notification'))
    )
    with op.batch_alter_table('participation_notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participation_notification_account_id'), ['account_id'], unique=False)
    op.create_table('participation_petition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('status', sa.Enum('visible', 'pending', 'hidden', 'deleted', name='contentstatus', native_enum=False, length=20), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('response_days', sa.Integer(), nullable=False),
    sa.Column('signature_count', sa.Integer(), nullable=False),
    sa.Column('threshold_reached_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('response_due_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('response_text', sa.Text(), nullable=True),
    sa.Column('responded_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('responded_by', sa.Integer(), nullable=True),
    sa.Column('overdue_flagged_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['identity_account.id'], name=op.f('fk_participation_petition_author_id_identity_account')),
    sa.ForeignKeyConstraint(['organization_id'], ['identity_organization.id'], name=op.f('fk_participation_petition_organization_id_identity_organization')),
    sa.ForeignKeyConstraint(['responded_by'], ['identity_account.id'], name=op.f('fk_participation_petition_responded_by_identity_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_petition'))
    )
    with op.batch_alter_table('participation_petition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participation_petition_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_participation_petition_organization_id'), ['organization_id'], unique=False)
    op.create_table('participation_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('status', sa.Enum('visible', 'pending', 'hidden', 'deleted', name='contentstatus', native_enum=False, length=20), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('support_count', sa.Integer(), nullable=False),
    sa.Column('threshold_reached_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answer_due_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answer_status', sa.Enum('accepted', 'rejected', 'evaluating', name='answerstatus', native_enum=False, length=20), nullable=True),
    sa.Column('answer_text', sa.Text(), nullable=True),
    sa.Column('answer_cost', sa.BigInteger(), nullable=True),
    sa.Column('answered_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['answered_by'], ['identity_account.id'], name=op.f('fk_participation_proposal_answered_by_identity_account')),
    sa.ForeignKeyConstraint(['author_id'], ['identity_account.id'], name=op.f('fk_participation_proposal_author_id_identity_account')),
    sa.ForeignKeyConstraint(['organization_id'], ['identity_organization.id'], name=op.f('fk_participation_proposal_organization_id_identity_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_proposal'))
    )
    with op.batch_alter_table('participation_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participation_proposal_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_participation_proposal_organization_id'), ['organization_id'], unique=False)
    op.create_table('participation_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['reporter_id'], ['identity_account.id'], name=op.f('fk_participation_report_reporter_id_identity_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_report')),
    sa.UniqueConstraint('subject_kind', 'subject_id', 'reporter_id', name=op.f('uq_participation_report_subject_kind_subject_id_reporter_id'))
    )
    op.create_table('participation_verification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('verified_by', sa.Integer(), nullable=True),
    sa.Column('verified_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['identity_person.id'], name=op.f('fk_participation_verification_person_id_identity_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['verified_by'], ['identity_account.id'], name=op.f('fk_participation_verification_verified_by_identity_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_verification')),
    sa.UniqueConstraint('person_id', name=op.f('uq_participation_verification_person_id'))
    )
    op.create_table('participation_accountability_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('title_fa', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('description_fa', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('planned', 'in_progress', 'completed', 'cancelled', name='itemstatus', native_enum=False, length=20), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=True),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['participation_consultation.id'], name=op.f('fk_participation_accountability_item_consultation_id_participation_consultation')),
    sa.ForeignKeyConstraint(['organization_id'], ['identity_organization.id'], name=op.f('fk_participation_accountability_item_organization_id_identity_organization')),
    sa.ForeignKeyConstraint(['proposal_id'], ['participation_proposal.id'], name=op.f('fk_participation_accountability_item_proposal_id_participation_proposal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_accountability_item'))
    )
    with op.batch_alter_table('participation_accountability_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participation_accountability_item_organization_id'), ['organization_id'], unique=False)
    op.create_table('participation_poll',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=True),
    sa.Column('question_fa', sa.String(length=500), nullable=False),
    sa.Column('question_en', sa.String(length=500), nullable=False),
    sa.Column('opens_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closes_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sealed_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['participation_consultation.id'], name=op.f('fk_participation_poll_consultation_id_participation_consultation')),
    sa.ForeignKeyConstraint(['organization_id'], ['identity_organization.id'], name=op.f('fk_participation_poll_organization_id_identity_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_poll')),
    sa.UniqueConstraint('slug', name=op.f('uq_participation_poll_slug'))
    )
    with op.batch_alter_table('participation_poll', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participation_poll_organization_id'), ['organization_id'], unique=False)
    op.create_table('participation_section',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('heading_fa', sa.String(length=300), nullable=False),
    sa.Column('heading_en', sa.String(length=300), nullable=False),
    sa.Column('body_fa', sa.Text(), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.Column('final_body_fa', sa.Text(), nullable=True),
    sa.Column('final_body_en', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['consultation_id'], ['participation_consultation.id'], name=op.f('fk_participation_section_consultation_id_participation_consultation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_section')),
    sa.UniqueConstraint('consultation_id', 'number', name=op.f('uq_participation_section_consultation_id_number'))
    )
    op.create_table('participation_signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('petition_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['identity_person.id'], name=op.f('fk_participation_signature_person_id_identity_person')),
    sa.ForeignKeyConstraint(['petition_id'], ['participation_petition.id'], name=op.f('fk_participation_signature_petition_id_participation_petition'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_signature')),
    sa.UniqueConstraint('petition_id', 'person_id', name=op.f('uq_participation_signature_petition_id_person_id'))
    )
    op.create_table('participation_support',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['identity_person.id'], name=op.f('fk_participation_support_person_id_identity_person')),
    sa.ForeignKeyConstraint(['proposal_id'], ['participation_proposal.id'], name=op.f('fk_participation_support_proposal_id_participation_proposal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_support')),
    sa.UniqueConstraint('proposal_id', 'person_id', name=op.f('uq_participation_support_proposal_id_person_id'))
    )
    op.create_table('participation_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=True),
    sa.Column('text_fa', sa.Text(), nullable=False),
    sa.Column('text_en', sa.Text(), nullable=False),
    sa.Column('comment_ids', sa.JSON(), nullable=False),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['participation_consultation.id'], name=op.f('fk_participation_change_consultation_id_participation_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['section_id'], ['participation_section.id'], name=op.f('fk_participation_change_section_id_participation_section'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_change'))
    )
    with op.batch_alter_table('participation_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participation_change_consultation_id'), ['consultation_id'], unique=False)
    op.create_table('participation_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('status', sa.Enum('visible', 'pending', 'hidden', 'deleted', name='contentstatus', native_enum=False, length=20), nullable=False),
    sa.Column('agree_count', sa.Integer(), nullable=False),
    sa.Column('disagree_count', sa.Integer(), nullable=False),
    sa.Column('via', sa.String(length=5), nullable=False),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('edited_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['identity_account.id'], name=op.f('fk_participation_comment_author_id_identity_account')),
    sa.ForeignKeyConstraint(['parent_id'], ['participation_comment.id'], name=op.f('fk_participation_comment_parent_id_participation_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['section_id'], ['participation_section.id'], name=op.f('fk_participation_comment_section_id_participation_section'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_comment'))
    )
    with op.batch_alter_table('participation_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participation_comment_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_participation_comment_subject', ['subject_kind', 'subject_id', 'status'], unique=False)
    op.create_table('participation_milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('title_fa', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['participation_accountability_item.id'], name=op.f('fk_participation_milestone_item_id_participation_accountability_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_milestone'))
    )
    with op.batch_alter_table('participation_milestone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participation_milestone_item_id'), ['item_id'], unique=False)
    op.create_table('participation_poll_option',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label_fa', sa.String(length=300), nullable=False),
    sa.Column('label_en', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['poll_id'], ['participation_poll.id'], name=op.f('fk_participation_poll_option_poll_id_participation_poll'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_poll_option')),
    sa.UniqueConstraint('poll_id', 'position', name=op.f('uq_participation_poll_option_poll_id_position'))
    )
    op.create_table('participation_comment_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['identity_account.id'], name=op.f('fk_participation_comment_rating_account_id_identity_account')),
    sa.ForeignKeyConstraint(['comment_id'], ['participation_comment.id'], name=op.f('fk_participation_comment_rating_comment_id_participation_comment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_comment_rating')),
    sa.UniqueConstraint('comment_id', 'account_id', name=op.f('uq_participation_comment_rating_comment_id_account_id'))
    )


def downgrade() -> None:
    op.drop_table('participation_comment_rating')
    op.drop_table('participation_poll_option')
    with op.batch_alter_table('participation_milestone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participation_milestone_item_id'))
    op.drop_table('participation_milestone')
    with op.batch_alter_table('participation_comment', schema=None) as batch_op:
        batch_op.drop_index('ix_participation_comment_subject')
        batch_op.drop_index(batch_op.f('ix_participation_comment_author_id'))
    op.drop_table('participation_comment')
    with op.batch_alter_table('participation_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participation_change_consultation_id'))
    op.drop_table('participation_change')
    op.drop_table('participation_support')
    op.drop_table('participation_signature')
    op.drop_table('participation_section')
    with op.batch_alter_table('participation_poll', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participation_poll_organization_id'))
    op.drop_table('participation_poll')
    with op.batch_alter_table('participation_accountability_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participation_accountability_item_organization_id'))
    op.drop_table('participation_accountability_item')
    op.drop_table('participation_verification')
    op.drop_table('participation_report')
    with op.batch_alter_table('participation_proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participation_proposal_organization_id'))
        batch_op.drop_index(batch_op.f('ix_participation_proposal_author_id'))
    op.drop_table('participation_proposal')
    with op.batch_alter_table('participation_petition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participation_petition_organization_id'))
        batch_op.drop_index(batch_op.f('ix_participation_petition_author_id'))
    op.drop_table('participation_petition')
    with op.batch_alter_table('participation_notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participation_notification_account_id'))
    op.drop_table('participation_notification')
    with op.batch_alter_table('participation_moderation_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participation_moderation_action_moderator_id'))
    op.drop_table('participation_moderation_action')
    with op.batch_alter_table('participation_follow', schema=None) as batch_op:
        batch_op.drop_index('ix_participation_follow_subject')
    op.drop_table('participation_follow')
    with op.batch_alter_table('participation_consultation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participation_consultation_organization_id'))
    op.drop_table('participation_consultation')
    op.drop_table('participation_budget_project')
    with op.batch_alter_table('participation_block', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participation_block_account_id'))
    op.drop_table('participation_block')
    op.drop_table('participation_voter')
    with op.batch_alter_table('participation_survey_response', schema=None) as batch_op:
        batch_op.drop_index('ix_participation_survey_response_survey')
    op.drop_table('participation_survey_response')
    with op.batch_alter_table('participation_budget', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participation_budget_organization_id'))
    op.drop_table('participation_budget')
    with op.batch_alter_table('participation_activity', schema=None) as batch_op:
        batch_op.drop_index('ix_participation_activity_process')
    op.drop_table('participation_activity')
    with op.batch_alter_table('participation_throttle', schema=None) as batch_op:
        batch_op.drop_index('ix_participation_throttle_key_at')
    op.drop_table('participation_throttle')
    op.drop_table('participation_survey')
    op.drop_table('participation_sms')
    with op.batch_alter_table('participation_ballot', schema=None) as batch_op:
        batch_op.drop_index('ix_participation_ballot_box')
    op.drop_table('participation_ballot')
