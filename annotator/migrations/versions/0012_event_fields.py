"""Recorded authorship: each event's changed published fields (issue 19)

Also marks sign-in attempts whose password check is still running (``pending``): they are
not failures until the check fails.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN with constant defaults: old rows read as "changed no published
    # field" and "not imported" (SQLite adds these without rebuilding the table).
    op.add_column('event', sa.Column('fields',
                                     sa.JSON().with_variant(JSONB(), 'postgresql'),
                                     server_default=sa.text("'[]'"),
                                     nullable=False))
    op.add_column('event', sa.Column('imported', sa.Boolean(), server_default=sa.text('false'),
                                     nullable=False))
    op.add_column('loginattempt', sa.Column('pending', sa.Boolean(),
                                            server_default=sa.text('false'), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('loginattempt', schema=None) as batch_op:
        batch_op.drop_column('pending')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('imported')
        batch_op.drop_column('fields')
