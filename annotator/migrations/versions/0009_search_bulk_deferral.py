"""PostgreSQL: the search row triggers step aside for a bulk load, which indexes at the end

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# The functions as migration 0007 first made them (for the downgrade).
_BEFORE = [
    "FUNCTION claim_search_claim_trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "PERFORM claim_search_refresh(ARRAY[NEW.id]); RETURN NULL; END $$",
    "FUNCTION claim_search_child_trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP <> 'INSERT' THEN PERFORM claim_search_refresh(ARRAY[OLD.claim_id]); END IF; "
    "IF TG_OP <> 'DELETE' THEN PERFORM claim_search_refresh(ARRAY[NEW.claim_id]); END IF; "
    "RETURN NULL; END $$",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return  # SQLite's FTS5 triggers index a bulk load fast enough as the rows go in
    from annotator.search import schema

    for body in schema.PG_ROW_FUNCTIONS:
        op.execute(f"CREATE OR REPLACE {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for body in _BEFORE:
        op.execute(f"CREATE OR REPLACE {body}")
