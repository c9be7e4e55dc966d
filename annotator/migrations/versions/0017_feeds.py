"""Feeds and the morning list (issue 23)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('feed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('outlet', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('etag', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('last_modified', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_polled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('next_poll_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_new', sa.Integer(), nullable=False),
    sa.Column('items_seen', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('url')
    )
    op.create_index('ix_feed_next_poll_at', 'feed', ['next_poll_at'], unique=False)
    op.create_table('feeditem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feed_id', sa.Integer(), nullable=False),
    sa.Column('guid', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['article.id'], ),
    sa.ForeignKeyConstraint(['feed_id'], ['feed.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('feed_id', 'guid')
    )
    op.create_index('ix_feeditem_url', 'feeditem', ['url'], unique=False)
    op.create_index('ix_feeditem_article_id', 'feeditem', ['article_id'], unique=False)
    op.create_table('articlegroup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('articlesketch',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('signature', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['article.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['articlegroup.id'], ),
    sa.PrimaryKeyConstraint('article_id')
    )
    op.create_index('ix_articlesketch_group_id', 'articlesketch', ['group_id'], unique=False)
    op.create_table('articleband',
    sa.Column('band', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['article.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('band', 'article_id')
    )
    op.create_table('todayseen',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('user_id')
    )
    # The article's feed: a plain ADD COLUMN on SQLite too (REFERENCES with a NULL default is
    # allowed there), so the article table and its search triggers are not rebuilt.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE article ADD COLUMN feed_id INTEGER REFERENCES feed (id)')
    else:
        op.add_column('article', sa.Column('feed_id', sa.Integer(), nullable=True))
        op.create_foreign_key('article_feed_id_fkey', 'article', 'feed', ['feed_id'], ['id'])
    op.create_index('ix_article_feed_id', 'article', ['feed_id'], unique=False)
    op.create_index('ix_article_url', 'article', ['url'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_article_url', table_name='article')
    op.drop_index('ix_article_feed_id', table_name='article')
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE article DROP COLUMN feed_id')
    else:
        op.drop_constraint('article_feed_id_fkey', 'article', type_='foreignkey')
        op.drop_column('article', 'feed_id')
    op.drop_table('todayseen')
    op.drop_table('articleband')
    op.drop_index('ix_articlesketch_group_id', table_name='articlesketch')
    op.drop_table('articlesketch')
    op.drop_table('articlegroup')
    op.drop_index('ix_feeditem_article_id', table_name='feeditem')
    op.drop_index('ix_feeditem_url', table_name='feeditem')
    op.drop_table('feeditem')
    op.drop_index('ix_feed_next_poll_at', table_name='feed')
    op.drop_table('feed')
