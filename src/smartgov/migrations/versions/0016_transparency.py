"""transparency: open-data portal, datastore

Revision ID: 0016_transparency
Revises: 0015_forecasts
Create Date: 2026-12-07 09:52:03.608371
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import smartgov.db

revision = '0016_transparency'
down_revision = '0015_forecasts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        # Trigram index for package_search's LIKE on the normalized text (a trusted extension since PG 13:
        # the database owner may create it).
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    op.create_table('transparency_catalogue',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transparency_catalogue'))
    )
    op.execute('INSERT INTO transparency_catalogue (id, version) VALUES (1, 0)')
    op.create_table('transparency_dataset',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('notes_en', sa.Text(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('license_id', sa.String(length=50), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('private', sa.Boolean(), nullable=False),
    sa.Column('version', sa.String(length=100), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('author_email', sa.String(length=200), nullable=False),
    sa.Column('maintainer', sa.String(length=200), nullable=False),
    sa.Column('maintainer_email', sa.String(length=200), nullable=False),
    sa.Column('frequency', sa.String(length=30), nullable=False),
    sa.Column('extras', sa.JSON(), nullable=False),
    sa.Column('platform', sa.Boolean(), nullable=False),
    sa.Column('creator_id', sa.Integer(), nullable=True),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('metadata_created', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('metadata_modified', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['identity_organization.id'], name=op.f('fk_transparency_dataset_organization_id_identity_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transparency_dataset')),
    sa.UniqueConstraint('name', name=op.f('uq_transparency_dataset_name'))
    )
    with op.batch_alter_table('transparency_dataset', schema=None) as batch_op:
        batch_op.create_index('ix_transparency_dataset_modified', ['metadata_modified'], unique=False)
        batch_op.create_index('ix_transparency_dataset_org_state', ['organization_id', 'state'], unique=False)
        batch_op.create_index('ix_transparency_dataset_search', ['search_text'], unique=False, postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})

    op.create_table('transparency_resource',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('dataset_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('format', sa.String(length=30), nullable=False),
    sa.Column('mimetype', sa.String(length=100), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('url_type', sa.String(length=20), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('row_count', sa.BigInteger(), nullable=False),
    sa.Column('datastore_active', sa.Boolean(), nullable=False),
    sa.Column('created', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_modified', smartgov.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['transparency_dataset.id'], name=op.f('fk_transparency_resource_dataset_id_transparency_dataset'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transparency_resource'))
    )
    with op.batch_alter_table('transparency_resource', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transparency_resource_dataset_id'), ['dataset_id'], unique=False)

    op.create_table('transparency_tag',
    sa.Column('dataset_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['transparency_dataset.id'], name=op.f('fk_transparency_tag_dataset_id_transparency_dataset'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dataset_id', 'name', name=op.f('pk_transparency_tag'))
    )
    with op.batch_alter_table('transparency_tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transparency_tag_name'), ['name'], unique=False)

    op.create_table('transparency_datastore_row',
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('row_no', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['transparency_resource.id'], name=op.f('fk_transparency_datastore_row_resource_id_transparency_resource'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('resource_id', 'row_no', name=op.f('pk_transparency_datastore_row'))
    )
    op.create_table('transparency_datastore_cell',
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=6), nullable=False),
    sa.Column('row_no', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('num', sa.Numeric(), nullable=True),
    sa.Column('txt', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['resource_id'], ['transparency_resource.id'], name=op.f('fk_transparency_datastore_cell_resource_id_transparency_resource'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('resource_id', 'key', 'row_no', name=op.f('pk_transparency_datastore_cell'))
    )
    with op.batch_alter_table('transparency_datastore_cell', schema=None) as batch_op:
        batch_op.create_index('ix_transparency_datastore_cell_num', ['resource_id', 'key', 'num', 'row_no'], unique=False)
        batch_op.create_index('ix_transparency_datastore_cell_txt', ['resource_id', 'key', 'txt', 'row_no'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        # Datastore queries are short index walks under a LIMIT: parallel workers cost more to start than
        # they save, and take cores from other requests (bench/RESULTS.md, open data).
        op.execute('ALTER TABLE transparency_datastore_cell SET (parallel_workers = 0)')
        op.execute('ALTER TABLE transparency_datastore_row SET (parallel_workers = 0)')

    op.create_table('transparency_resource_file',
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['transparency_resource.id'], name=op.f('fk_transparency_resource_file_resource_id_transparency_resource'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('resource_id', name=op.f('pk_transparency_resource_file'))
    )


def downgrade() -> None:
    op.drop_table('transparency_resource_file')
    with op.batch_alter_table('transparency_datastore_cell', schema=None) as batch_op:
        batch_op.drop_index('ix_transparency_datastore_cell_txt')
        batch_op.drop_index('ix_transparency_datastore_cell_num')

    op.drop_table('transparency_datastore_cell')
    op.drop_table('transparency_datastore_row')
    with op.batch_alter_table('transparency_tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transparency_tag_name'))

    op.drop_table('transparency_tag')
    with op.batch_alter_table('transparency_resource', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transparency_resource_dataset_id'))

    op.drop_table('transparency_resource')
    with op.batch_alter_table('transparency_dataset', schema=None) as batch_op:
        batch_op.drop_index('ix_transparency_dataset_search', postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
        batch_op.drop_index('ix_transparency_dataset_org_state')
        batch_op.drop_index('ix_transparency_dataset_modified')

    op.drop_table('transparency_dataset')
    op.drop_table('transparency_catalogue')
