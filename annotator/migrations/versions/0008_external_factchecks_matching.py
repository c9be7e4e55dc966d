"""external fact-checks and the matcher's candidate table with its full-text index (issue 14)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# Full-text objects the models do not declare; annotator.migrate.include_object keeps them
# out of the autogenerate comparison.
FTS = 'matchcandidate_fts'  # external fact-checks (SQLite)
DESK_FTS = 'matchcandidate_fts_desk'  # the desk's approved claims (SQLite)
PG_DOCUMENT = ("setweight(to_tsvector('english'::regconfig, claim), 'A') || "
               "setweight(to_tsvector('english'::regconfig, title), 'B') || "
               "setweight(to_tsvector('english'::regconfig, summary), 'C')")


def upgrade() -> None:
    op.create_table('externalfactcheck',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('identifier', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('claim_reviewed', sa.Text(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('rating', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('publisher', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('claimant', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('published', sa.Date(), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_externalfactcheck_identifier'), 'externalfactcheck',
                    ['identifier'], unique=False)
    op.create_index(op.f('ix_externalfactcheck_url'), 'externalfactcheck', ['url'],
                    unique=False)
    op.create_table('matchcandidate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=False),
    sa.Column('claim', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('claimant', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('published', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'ref_id')
    )
    if op.get_bind().dialect.name == 'sqlite':
        # External-content FTS5 tables: the index only, the text stays in matchcandidate.
        # One index per kind: the desk's approved claims (up to millions) must not weigh on
        # the retrieval of external fact-checks, and each kind's query stays within budget
        # (services.matching). Triggers keep both in step with every insert, update, delete.
        for table in (FTS, DESK_FTS):
            op.execute(f"CREATE VIRTUAL TABLE {table} USING fts5(claim, title, summary, "
                       "content='matchcandidate', content_rowid='id', "
                       "tokenize='porter unicode61 remove_diacritics 2')")

        def add(row: str) -> str:
            return "".join(
                f"INSERT INTO {table}(rowid, claim, title, summary) SELECT {row}.id, "
                f"{row}.claim, {row}.title, {row}.summary WHERE {row}.kind {test}; "
                for table, test in ((FTS, "= 'external'"), (DESK_FTS, "<> 'external'")))

        def remove(row: str) -> str:
            return "".join(
                f"INSERT INTO {table}({table}, rowid, claim, title, summary) SELECT 'delete', "
                f"{row}.id, {row}.claim, {row}.title, {row}.summary WHERE {row}.kind {test}; "
                for table, test in ((FTS, "= 'external'"), (DESK_FTS, "<> 'external'")))

        op.execute(f"CREATE TRIGGER {FTS}_ai AFTER INSERT ON matchcandidate BEGIN "
                   f"{add('new')}END")
        op.execute(f"CREATE TRIGGER {FTS}_ad AFTER DELETE ON matchcandidate BEGIN "
                   f"{remove('old')}END")
        op.execute(f"CREATE TRIGGER {FTS}_au AFTER UPDATE ON matchcandidate BEGIN "
                   f"{remove('old')}{add('new')}END")
    else:
        op.execute(f"CREATE INDEX {FTS}_gin ON matchcandidate USING gin (({PG_DOCUMENT}))")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for suffix in ('ai', 'ad', 'au'):
            op.execute(f"DROP TRIGGER IF EXISTS {FTS}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {FTS}")
        op.execute(f"DROP TABLE IF EXISTS {DESK_FTS}")
    else:
        op.execute(f"DROP INDEX IF EXISTS {FTS}_gin")
    op.drop_table('matchcandidate')
    op.drop_index(op.f('ix_externalfactcheck_url'), table_name='externalfactcheck')
    op.drop_index(op.f('ix_externalfactcheck_identifier'), table_name='externalfactcheck')
    op.drop_table('externalfactcheck')
