"""Index article.blind_review: the blind rule asks for the blind articles on every page

Without it, SQLite reads every article row up to its last columns (past the long body and
raw text, on overflow pages) to find the blind ones: about 100 ms per page on a 1M-claim
archive, every page a reviewer opens.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_article_blind_review', 'article', ['blind_review'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_article_blind_review', table_name='article')
