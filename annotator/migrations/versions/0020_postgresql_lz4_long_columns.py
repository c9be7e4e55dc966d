"""PostgreSQL compresses the long columns with lz4 instead of pglz (issue 19)

A pasted 4 MB article is kept in the job's chunks, then stored twice in the article (its text
and the raw paste); an export writes gigabytes of chunks. PostgreSQL compresses every such
value with pglz by default, in the server process and at full CPU priority: 75 ms for each
4 MB, while reviewers' requests wait for the same two cores. lz4 does it in 2 to 6 ms, and
reads back faster. Rows already stored keep their compression; new ones use lz4. The
archived copies of sources are gzip and zlib already: they are stored as they are, without
another attempt at compressing them.

Nothing changes on SQLite, or on a PostgreSQL server built without lz4 (before 14, or
without the library): there, values keep pglz as before.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

LZ4 = (("jobchunk", "data"), ("article", "body"), ("article", "raw"))
STORED_AS_THEY_ARE = (("sourcearchive", "warc"), ("sourcearchive", "text_z"))


def _has_lz4(bind) -> bool:
    if bind.dialect.name != "postgresql" or bind.dialect.server_version_info < (14,):
        return False
    choices = bind.exec_driver_sql(
        "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'").scalar()
    return bool(choices) and "lz4" in choices


def _set(compression: str, storage: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if _has_lz4(bind):
        for table, column in LZ4:
            op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET COMPRESSION '
                       f'{compression}')
    for table, column in STORED_AS_THEY_ARE:
        op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET STORAGE {storage}')


def upgrade() -> None:
    _set("lz4", "EXTERNAL")


def downgrade() -> None:
    _set("default", "EXTENDED")
