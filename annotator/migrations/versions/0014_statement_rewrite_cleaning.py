"""Statement rewrite steps, needs-context questions, removed lines kept (issue 20)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def _json_list(name: str) -> sa.Column:
    return sa.Column(name, sa.JSON().with_variant(JSONB(), 'postgresql'),
                     server_default=sa.text("'[]'"), nullable=False)


def upgrade() -> None:
    # Plain ADD COLUMN with a constant default: old claims have no recorded steps and no
    # open questions, old articles no list of removed lines (SQLite adds these in place).
    op.add_column('claim', _json_list('rewrite'))
    op.add_column('claim', _json_list('needs_context'))
    op.add_column('article', _json_list('cleaned_away'))


def downgrade() -> None:
    with op.batch_alter_table('article', schema=None) as batch_op:
        batch_op.drop_column('cleaned_away')
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.drop_column('needs_context')
        batch_op.drop_column('rewrite')
