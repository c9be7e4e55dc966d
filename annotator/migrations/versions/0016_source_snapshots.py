"""Source snapshots and link health (issue 22)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sourcesnapshot',
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('requested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('fetched_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('final_url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('quote', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('quote_start', sa.Integer(), nullable=True),
    sa.Column('quote_end', sa.Integer(), nullable=True),
    sa.Column('health', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('change', sa.Integer(), nullable=True),
    sa.Column('moved_to', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('checked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('check_error', sa.Text(), nullable=False),
    sa.Column('etag', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('last_modified', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('source_id')
    )
    op.create_index('ix_sourcesnapshot_status', 'sourcesnapshot', ['status'])
    op.create_index('ix_sourcesnapshot_health', 'sourcesnapshot', ['health'])
    op.create_table('sourcearchive',
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('warc', sa.LargeBinary(), nullable=False),
    sa.Column('text_z', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('source_id')
    )


def downgrade() -> None:
    op.drop_table('sourcearchive')
    op.drop_index('ix_sourcesnapshot_health', table_name='sourcesnapshot')
    op.drop_index('ix_sourcesnapshot_status', table_name='sourcesnapshot')
    op.drop_table('sourcesnapshot')
