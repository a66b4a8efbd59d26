"""participation: encrypted ballots, trustees' election keys and tallies

Ballots stop holding plaintext choices. Ballots already cast are counted as they were: each
box's plaintext counts go into ``participation_tally.legacy_counts`` (a count per option, no
ballot), and the plaintext ballot rows are dropped with their table. Those votes stay counted
but cannot be verified on the public board; votes cast after the upgrade are encrypted (a box
from before the upgrade takes the current election key at its next vote). The reshuffling
sweep's ``sealed_at`` goes.

Revision ID: 0012_ballot_encryption
Revises: 0011_identity_proof
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import sqlalchemy as sa
from alembic import op

import smartgov.db

revision = '0012_ballot_encryption'
down_revision = '0011_identity_proof'
branch_labels = None
depends_on = None


def _legacy_counts(conn: sa.Connection) -> list[dict[str, object]]:
    """Per box with plaintext ballots: how many ballots, and the votes per option in position order."""
    positions: dict[tuple[str, int], list[int]] = defaultdict(list)
    for box_id, option_id in conn.execute(sa.text(
            "SELECT poll_id, id FROM participation_poll_option ORDER BY poll_id, position")):
        positions[("poll", box_id)].append(option_id)
    for box_id, project_id in conn.execute(sa.text(
            "SELECT budget_id, id FROM participation_budget_project ORDER BY budget_id, position")):
        positions[("budget", box_id)].append(project_id)
    ballots: Counter[tuple[str, int]] = Counter()
    votes: dict[tuple[str, int], Counter[int]] = defaultdict(Counter)
    for kind, box_id, choices in conn.execute(sa.text(
            "SELECT box_kind, box_id, choices FROM participation_ballot")):
        chosen = json.loads(choices) if isinstance(choices, str) else choices
        ballots[(kind, box_id)] += 1
        votes[(kind, box_id)].update(set(chosen))
    return [{"box_kind": kind, "box_id": box_id, "ballots": 0, "legacy_ballots": n,
             "legacy_counts": [votes[(kind, box_id)].get(o, 0) for o in positions[(kind, box_id)]]}
            for (kind, box_id), n in sorted(ballots.items())]


def upgrade() -> None:
    op.create_table('participation_election_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('trustees', sa.Integer(), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('commitments', sa.JSON(), nullable=False),
    sa.Column('created_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('retired_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_election_key'))
    )
    tally = op.create_table('participation_tally',
    sa.Column('box_kind', sa.String(length=10), nullable=False),
    sa.Column('box_id', sa.Integer(), nullable=False),
    sa.Column('ballots', sa.Integer(), nullable=False),
    sa.Column('aggregate', sa.JSON(), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=True),
    sa.Column('legacy_ballots', sa.Integer(), nullable=False),
    sa.Column('legacy_counts', sa.JSON(), nullable=True),
    sa.Column('published_at', smartgov.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('box_kind', 'box_id', name=op.f('pk_participation_tally'))
    )
    op.create_table('participation_decryption',
    sa.Column('box_kind', sa.String(length=10), nullable=False),
    sa.Column('box_id', sa.Integer(), nullable=False),
    sa.Column('trustee', sa.Integer(), nullable=False),
    sa.Column('shares', sa.JSON(), nullable=False),
    sa.Column('proofs', sa.JSON(), nullable=False),
    sa.Column('submitted_at', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('box_kind', 'box_id', 'trustee', name=op.f('pk_participation_decryption'))
    )
    legacy = _legacy_counts(op.get_bind())
    if legacy:
        op.bulk_insert(tally, legacy)
    op.drop_index('ix_participation_ballot_box', table_name='participation_ballot')
    op.drop_table('participation_ballot')
    op.create_table('participation_ballot',
    sa.Column('tracker', sa.String(length=64), nullable=False),
    sa.Column('box_kind', sa.String(length=10), nullable=False),
    sa.Column('box_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('tracker', name=op.f('pk_participation_ballot')),
    sqlite_with_rowid=False
    )
    op.create_index('ix_participation_ballot_box', 'participation_ballot', ['box_kind', 'box_id'], unique=False)
    for table in ('participation_poll', 'participation_budget'):
        fk = f'fk_{table}_election_key_id_participation_election_key'
        if op.get_bind().dialect.name == 'sqlite':
            # SQLite's own ALTER, not a batch copy: dropping the old copy would delete, through
            # ON DELETE CASCADE, every option and project that refers to the table.
            op.execute(f'ALTER TABLE {table} ADD COLUMN election_key_id INTEGER '
                       f'CONSTRAINT {fk} REFERENCES participation_election_key (id)')
            op.execute(f'ALTER TABLE {table} DROP COLUMN sealed_at')
        else:
            op.add_column(table, sa.Column('election_key_id', sa.Integer(), nullable=True))
            # op.f: past 63 characters PostgreSQL's name is cut with a hash, as the models' naming convention does
            op.create_foreign_key(op.f(fk), table, 'participation_election_key', ['election_key_id'], ['id'])
            op.drop_column(table, 'sealed_at')


def downgrade() -> None:
    # The encrypted ballots cannot be turned back into plaintext ones (nobody here holds the key):
    # a downgrade keeps the voter markers and loses the ballots and tallies.
    for table in ('participation_poll', 'participation_budget'):
        op.add_column(table, sa.Column('sealed_at', smartgov.db.UTCDateTime(timezone=True), nullable=True))
        if op.get_bind().dialect.name == 'sqlite':
            op.execute(f'ALTER TABLE {table} DROP COLUMN election_key_id')  # not a batch copy: see upgrade()
        else:
            op.drop_constraint(op.f(f'fk_{table}_election_key_id_participation_election_key'), table,
                               type_='foreignkey')
            op.drop_column(table, 'election_key_id')
    op.drop_index('ix_participation_ballot_box', table_name='participation_ballot')
    op.drop_table('participation_ballot')
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
    op.create_index('ix_participation_ballot_box', 'participation_ballot', ['box_kind', 'box_id'], unique=False)
    op.drop_table('participation_decryption')
    op.drop_table('participation_tally')
    op.drop_table('participation_election_key')
