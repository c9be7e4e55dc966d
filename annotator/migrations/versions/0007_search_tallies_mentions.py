"""search index, claim and review tallies, mentions, sort indexes (issue 12)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""
import re

import sqlalchemy as sa
import sqlmodel
from alembic import op

from annotator.search import schema

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

SORT_COLUMNS = ("score", "state", "verdict", "assignee_id", "submitted_by_id", "updated_at")
EXTRA_INDEXES = {
    "state_score": ('ix_claim_state_score_id', 'claim', ['state', 'score', 'id']),
    "state_updated": ('ix_claim_state_updated_at_id', 'claim', ['state', 'updated_at', 'id']),
    "assignee_state": ('ix_claim_assignee_state_id', 'claim', ['assignee_id', 'state', 'id']),
    "event_action": ('ix_event_action_claim', 'event', ['action', 'claim_id']),
}
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.-]{2,64})")


def upgrade() -> None:
    op.create_table(
        'claimtally',
        sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('verdict', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('state', 'verdict'),
    )
    op.create_table(
        'reviewtally',
        sa.Column('week', sa.Date(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('week', 'user_id'),
    )
    op.create_table(
        'mention',
        sa.Column('note_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['note_id'], ['note.id']),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('note_id', 'user_id'),
    )
    op.create_index('ix_mention_user_note', 'mention', ['user_id', 'note_id'])
    for column in SORT_COLUMNS:
        op.create_index(f'ix_claim_{column}_id', 'claim', [column, 'id'])
    op.create_index('ix_claim_article_id_id', 'claim', ['article_id', 'id'])
    for column in EXTRA_INDEXES:
        op.create_index(*EXTRA_INDEXES[column])

    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in schema.SQLITE_CREATE if sqlite else schema.PG_CREATE:
        op.execute(statement)
    for statement in schema.rebuild_statements("sqlite" if sqlite else "postgresql"):
        op.execute(statement)
    _fill_mentions()


def _fill_mentions() -> None:
    """Record the @mentions of the notes written before this revision."""
    bind = op.get_bind()
    users = {name.lower(): uid for uid, name in bind.execute(
        sa.text('SELECT id, username FROM "user"')).all()}
    rows = set()
    for note_id, body in bind.execute(sa.text("SELECT id, body FROM note WHERE body LIKE '%@%'")):
        for name in MENTION.findall(body or ""):
            if name.lower() in users:
                rows.add((note_id, users[name.lower()]))
    if rows:
        bind.execute(sa.text("INSERT INTO mention(note_id, user_id) VALUES (:n, :u)"),
                     [{"n": n, "u": u} for n, u in sorted(rows)])


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in schema.SQLITE_DROP if sqlite else schema.PG_DROP:
        op.execute(statement)
    for name, table, _columns in EXTRA_INDEXES.values():
        op.drop_index(name, table_name=table)
    op.drop_index('ix_claim_article_id_id', table_name='claim')
    for column in SORT_COLUMNS:
        op.drop_index(f'ix_claim_{column}_id', table_name='claim')
    op.drop_index('ix_mention_user_note', table_name='mention')
    op.drop_table('mention')
    op.drop_table('reviewtally')
    op.drop_table('claimtally')
