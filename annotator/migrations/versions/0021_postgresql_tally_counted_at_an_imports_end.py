"""PostgreSQL: an article's import counts its claims in the tally once, at its end (issue 19)

The claim tally's trigger takes one desk-wide lock (so that transactions changing several
claims' states never deadlock) and held it from an import's first claim to its commit: while
a worker at low CPU priority stored a long article's thousands of claims and their search
rows, every reviewer's state change or verdict waited for it. The trigger now steps aside
while ``annotator.defer_tally`` is on in the transaction; the import then adds its claims to
the tally in one statement just before it commits. Nothing changes on SQLite, whose writers
take turns anyway.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

# The function as migration 0007 made it (for the downgrade).
_BEFORE = (
    "FUNCTION claimtally_trg() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "DECLARE old_key text[]; new_key text[]; BEGIN "
    "PERFORM pg_advisory_xact_lock(7012012); "
    "IF TG_OP <> 'INSERT' THEN old_key := ARRAY[OLD.state, coalesce(OLD.verdict, '')]; END IF; "
    "IF TG_OP <> 'DELETE' THEN new_key := ARRAY[NEW.state, coalesce(NEW.verdict, '')]; END IF; "
    "IF new_key IS NOT NULL AND (old_key IS NULL OR new_key < old_key) THEN "
    "INSERT INTO claimtally(state, verdict, n) VALUES (new_key[1], new_key[2], 1) "
    "ON CONFLICT (state, verdict) DO UPDATE SET n = claimtally.n + 1; new_key := NULL; END IF; "
    "IF old_key IS NOT NULL THEN UPDATE claimtally SET n = n - 1 "
    "WHERE state = old_key[1] AND verdict = old_key[2]; END IF; "
    "IF new_key IS NOT NULL THEN INSERT INTO claimtally(state, verdict, n) "
    "VALUES (new_key[1], new_key[2], 1) "
    "ON CONFLICT (state, verdict) DO UPDATE SET n = claimtally.n + 1; END IF; "
    "RETURN NULL; END $$")


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    from annotator.search import schema

    op.execute(f"CREATE OR REPLACE {schema.CLAIMTALLY_FUNCTION}")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(f"CREATE OR REPLACE {_BEFORE}")
