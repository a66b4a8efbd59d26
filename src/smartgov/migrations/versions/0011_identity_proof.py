"""identity: every secret throttled, an account proves its person

Revision ID: 0011_identity_proof
Revises: 0010_document_codes
Create Date: 2026-12-07 03:16:33.090402
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import smartgov.db

revision = '0011_identity_proof'
down_revision = '0010_document_codes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('identity_proof_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('mobile_masked', sa.String(length=20), nullable=False),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('replaced_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['identity_account.id'], name=op.f('fk_identity_proof_code_account_id_identity_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['identity_person.id'], name=op.f('fk_identity_proof_code_person_id_identity_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_proof_code'))
    )
    with op.batch_alter_table('identity_proof_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_proof_code_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_identity_proof_code_person_id'), ['person_id'], unique=False)

    with op.batch_alter_table('identity_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proven_at', smartgov.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('proof_method', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('proven_by', sa.Integer(), nullable=True))

    # Who is proven already: accounts an administrator created (every role but citizen; only
    # citizens register themselves), and accounts whose person an official verified for
    # participation (that table moves here). Every other citizen account proves its person anew.
    op.execute("UPDATE identity_account SET proven_at = created_at, proof_method = 'admin' WHERE id IN "
               "(SELECT account_id FROM identity_role_grant WHERE role <> 'CITIZEN')")
    op.execute("UPDATE identity_account SET "
               "proven_at = (SELECT v.verified_at FROM participation_verification v "
               "WHERE v.person_id = identity_account.person_id), "
               "proof_method = (SELECT v.method FROM participation_verification v "
               "WHERE v.person_id = identity_account.person_id), "
               "proven_by = (SELECT v.verified_by FROM participation_verification v "
               "WHERE v.person_id = identity_account.person_id) "
               "WHERE proven_at IS NULL AND person_id IN (SELECT person_id FROM participation_verification)")
    op.drop_table('participation_verification')

    with op.batch_alter_table('identity_login_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), nullable=False, server_default='password'))
        batch_op.alter_column('username',
               existing_type=sa.VARCHAR(length=60),
               nullable=True)

    with op.batch_alter_table('identity_person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registry_mobile', sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('identity_person', schema=None) as batch_op:
        batch_op.drop_column('registry_mobile')

    op.execute("DELETE FROM identity_login_attempt WHERE username IS NULL")
    with op.batch_alter_table('identity_login_attempt', schema=None) as batch_op:
        batch_op.alter_column('username',
               existing_type=sa.VARCHAR(length=60),
               nullable=False)
        batch_op.drop_column('kind')

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
    # the official verifications go back; the other proofs have no place there
    op.execute("INSERT INTO participation_verification (person_id, method, verified_by, verified_at) "
               "SELECT person_id, MIN(proof_method), MIN(proven_by), MIN(proven_at) FROM identity_account "
               "WHERE person_id IS NOT NULL AND proof_method IN ('in_person', 'letter', 'registry') GROUP BY person_id")
    with op.batch_alter_table('identity_account', schema=None) as batch_op:
        batch_op.drop_column('proven_by')
        batch_op.drop_column('proof_method')
        batch_op.drop_column('proven_at')

    with op.batch_alter_table('identity_proof_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_proof_code_person_id'))
        batch_op.drop_index(batch_op.f('ix_identity_proof_code_account_id'))

    op.drop_table('identity_proof_code')
