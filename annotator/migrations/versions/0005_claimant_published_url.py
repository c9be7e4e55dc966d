"""claim claimant and published_url

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: SQLite adds a column with a constant default without rebuilding the
    # table (a batch rebuild would trip the foreign keys that point at claim).
    op.add_column('claim', sa.Column('claimant', sqlmodel.sql.sqltypes.AutoString(length=300),
                                     server_default=sa.text("''"), nullable=False))
    op.add_column('claim', sa.Column('published_url',
                                     sqlmodel.sql.sqltypes.AutoString(length=2000),
                                     server_default=sa.text("''"), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.drop_column('published_url')
        batch_op.drop_column('claimant')
