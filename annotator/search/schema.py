"""The SQL behind the search index and the tallies: tables, triggers, refresh statements.

Triggers keep the index and the counts in step with every write, in the writing transaction,
whatever path wrote (services, importers, bulk SQL). Migration 0007 creates them; `annotator
search reindex` runs the refresh statements again. Plain strings: no database connection here.

SQLite: `claim_fts`, an FTS5 table whose rowid is the claim id, one column per part of the
claim. PostgreSQL: `claim_search(claim_id, tsv)` with a GIN index; weights tell the parts
apart: A statement and quote, B claimant, C conclusion, D sources, notes, article title.
"""

# Every statement here is built from constants of this module, never from user input.
# ruff: noqa: S608
from __future__ import annotations

FTS_COLUMNS = ("statement", "quote", "conclusion", "claimant", "sources", "notes", "article")
# Everything but the conclusion: what a reviewer blinded to a claim's first verdict may match.
OPEN_COLUMNS = tuple(c for c in FTS_COLUMNS if c != "conclusion")
OPEN_WEIGHTS = "ABD"

# ---------------------------------------------------------------- SQLite

_SQLITE_HOST = ("substr(substr(s.url, instr(s.url, '://') + 3), 1, "
                "CASE WHEN instr(substr(s.url, instr(s.url, '://') + 3), '/') > 0 "
                "THEN instr(substr(s.url, instr(s.url, '://') + 3), '/') - 1 "
                "ELSE length(s.url) END)")


def sqlite_fill(where: str) -> str:
    """Return the INSERT that indexes the claims matching `where` (on claim c)."""
    return (
        "INSERT INTO claim_fts(rowid, statement, quote, conclusion, claimant, sources, notes, "
        "article) SELECT c.id, c.statement, c.quote, c.conclusion, c.claimant, "
        "(SELECT group_concat(s.title || ' ' || s.publisher || ' ' || s.excerpt || ' ' || "
        f"{_SQLITE_HOST}, ' ') FROM source s WHERE s.claim_id = c.id), "
        "(SELECT group_concat(n.body, ' ') FROM note n WHERE n.claim_id = c.id), a.title "
        f"FROM claim c JOIN article a ON a.id = c.article_id WHERE {where}")


def _sqlite_refresh(claim_id: str) -> str:
    return (f"DELETE FROM claim_fts WHERE rowid = {claim_id}; "
            f"{sqlite_fill(f'c.id = {claim_id}')};")


def _sqlite_count(sign: str, state: str, verdict: str) -> str:
    if sign == "+":
        return ("INSERT INTO claimtally(state, verdict, n) "
                f"VALUES ({state}, coalesce({verdict}, ''), 1) "
                "ON CONFLICT(state, verdict) DO UPDATE SET n = n + 1;")
    return (f"UPDATE claimtally SET n = n - 1 WHERE state = {state} "
            f"AND verdict = coalesce({verdict}, '');")


SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE claim_fts USING fts5(" + ", ".join(FTS_COLUMNS)
    + ", tokenize = 'porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER claim_fts_claim_ai AFTER INSERT ON claim BEGIN "
    f"{sqlite_fill('c.id = NEW.id')}; END",
    "CREATE TRIGGER claim_fts_claim_au AFTER UPDATE OF statement, quote, conclusion, claimant, "
    f"article_id ON claim BEGIN DELETE FROM claim_fts WHERE rowid = OLD.id; "
    f"{sqlite_fill('c.id = NEW.id')}; END",
    "CREATE TRIGGER claim_fts_claim_ad AFTER DELETE ON claim BEGIN "
    "DELETE FROM claim_fts WHERE rowid = OLD.id; END",
    *(f"CREATE TRIGGER claim_fts_{t}_ai AFTER INSERT ON {t} BEGIN "
      f"{_sqlite_refresh('NEW.claim_id')} END" for t in ("source", "note")),
    *(f"CREATE TRIGGER claim_fts_{t}_au AFTER UPDATE ON {t} BEGIN "
      f"{_sqlite_refresh('OLD.claim_id')} {_sqlite_refresh('NEW.claim_id')} END"
      for t in ("source", "note")),
    *(f"CREATE TRIGGER claim_fts_{t}_ad AFTER DELETE ON {t} BEGIN "
      f"{_sqlite_refresh('OLD.claim_id')} END" for t in ("source", "note")),
    "CREATE TRIGGER claim_fts_article_au AFTER UPDATE OF title ON article "
    "WHEN OLD.title IS NOT NEW.title BEGIN "
    "DELETE FROM claim_fts WHERE rowid IN (SELECT id FROM claim WHERE article_id = NEW.id); "
    f"{sqlite_fill('c.article_id = NEW.id')}; END",
    "CREATE TRIGGER claimtally_ai AFTER INSERT ON claim BEGIN "
    f"{_sqlite_count('+', 'NEW.state', 'NEW.verdict')} END",
    "CREATE TRIGGER claimtally_ad AFTER DELETE ON claim BEGIN "
    f"{_sqlite_count('-', 'OLD.state', 'OLD.verdict')} END",
    "CREATE TRIGGER claimtally_au AFTER UPDATE OF state, verdict ON claim "
    "WHEN OLD.state IS NOT NEW.state OR OLD.verdict IS NOT NEW.verdict BEGIN "
    f"{_sqlite_count('-', 'OLD.state', 'OLD.verdict')} "
    f"{_sqlite_count('+', 'NEW.state', 'NEW.verdict')} END",
    "CREATE TRIGGER reviewtally_ai AFTER INSERT ON event "
    "WHEN NEW.action = 'submit' AND NEW.actor_id IS NOT NULL BEGIN "
    "INSERT INTO reviewtally(week, user_id, n) "
    "VALUES (date(NEW.created_at, 'weekday 0', '-6 days'), NEW.actor_id, 1) "
    "ON CONFLICT(week, user_id) DO UPDATE SET n = n + 1; END",
]
SQLITE_TRIGGERS = [s.split()[2] for s in SQLITE_CREATE if s.startswith("CREATE TRIGGER")]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {t}" for t in SQLITE_TRIGGERS] + [
    "DROP TABLE IF EXISTS claim_fts"]
SQLITE_REINDEX = ["DELETE FROM claim_fts", sqlite_fill("1 = 1")]

# ---------------------------------------------------------------- PostgreSQL

PG_DOCUMENT = (
    "setweight(to_tsvector('english', c.statement || ' ' || c.quote), 'A') || "
    "setweight(to_tsvector('english', c.claimant), 'B') || "
    "setweight(to_tsvector('english', c.conclusion), 'C') || "
    "setweight(to_tsvector('english', coalesce((SELECT string_agg(s.title || ' ' || "
    "s.publisher || ' ' || s.excerpt || ' ' || "
    "coalesce(replace(substring(s.url from '://([^/:?#]+)'), '.', ' '), ''), ' ') "
    "FROM source s WHERE s.claim_id = c.id), '') || ' ' || coalesce((SELECT "
    "string_agg(n.body, ' ') FROM note n WHERE n.claim_id = c.id), '') || ' ' || a.title), 'D')"
)


def pg_fill(where: str) -> str:
    """Return the upsert that indexes the claims matching `where` (on claim c)."""
    return (f"INSERT INTO claim_search(claim_id, tsv) SELECT c.id, {PG_DOCUMENT} "
            f"FROM claim c JOIN article a ON a.id = c.article_id WHERE {where} "
            "ON CONFLICT (claim_id) DO UPDATE SET tsv = EXCLUDED.tsv")


# A bulk load (import-json) sets this for its own transaction: the row triggers below then
# skip the claim, source and note rows it inserts, and the load indexes its claims in one
# statement before it commits (`services.search.index_bulk`). Every other writer is
# unaffected: the setting is local to the transaction that sets it.
DEFER_SETTING = "annotator.defer_search"
_SKIP = f"IF current_setting('{DEFER_SETTING}', true) = 'on' THEN RETURN NULL; END IF; "
# The search row triggers' functions, without their CREATE (migration 0009 replaces them).
PG_ROW_FUNCTIONS = [
    "FUNCTION claim_search_claim_trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"{_SKIP}PERFORM claim_search_refresh(ARRAY[NEW.id]); RETURN NULL; END $$",
    "FUNCTION claim_search_child_trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"{_SKIP}"
    "IF TG_OP <> 'INSERT' THEN PERFORM claim_search_refresh(ARRAY[OLD.claim_id]); END IF; "
    "IF TG_OP <> 'DELETE' THEN PERFORM claim_search_refresh(ARRAY[NEW.claim_id]); END IF; "
    "RETURN NULL; END $$",
]

TALLY_LOCK = 7_012_012  # the advisory lock id of the claim tally (any fixed number)
# A bulk insert of claims (an article's import) counts them once, at its end: the tally's
# lock is then held from that statement to the commit, not while thousands of claims and
# their search rows go in (from a worker at low CPU priority, while every reviewer's state
# change waits for the lock). The trigger steps aside while this is on in the transaction.
TALLY_DEFER_SETTING = "annotator.defer_tally"
# A transaction that changes several claims' states touches several tally rows; two
# such transactions could take them in opposite orders and deadlock. A transaction-wide
# advisory lock, taken before the first tally row, makes them queue instead (SQLite
# queues every writer anyway). Edits that change no state or verdict never take it.
CLAIMTALLY_FUNCTION = (
    "FUNCTION claimtally_trg() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "DECLARE old_key text[]; new_key text[]; BEGIN "
    f"IF current_setting('{TALLY_DEFER_SETTING}', true) = 'on' THEN RETURN NULL; END IF; "
    f"PERFORM pg_advisory_xact_lock({TALLY_LOCK}); "
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
# The deferred count: the claims of the given articles (all of them new in the transaction).
PG_TALLY_ADD = [
    f"SELECT pg_advisory_xact_lock({TALLY_LOCK})",
    "INSERT INTO claimtally(state, verdict, n) SELECT state, coalesce(verdict, ''), count(*) "
    "FROM claim WHERE article_id = ANY(:ids) GROUP BY state, coalesce(verdict, '') "
    "ORDER BY 1, 2 ON CONFLICT (state, verdict) DO UPDATE SET n = claimtally.n + EXCLUDED.n",
]

PG_CREATE = [
    "CREATE TABLE claim_search (claim_id integer PRIMARY KEY REFERENCES claim(id) "
    "ON DELETE CASCADE, tsv tsvector NOT NULL)",
    # No pending list: each write goes straight into the index, so the planner's costs stay
    # right and a search never scans a long pending list (writes are one claim at a time).
    "CREATE INDEX claim_search_tsv ON claim_search USING gin (tsv) WITH (fastupdate = off)",
    # PL/pgSQL, not SQL: its statement's plan is prepared once per connection, not per call.
    "CREATE FUNCTION claim_search_refresh(ids integer[]) RETURNS void LANGUAGE plpgsql AS $$ "
    f"BEGIN {pg_fill('c.id = ANY(ids)')}; END $$",
    *(f"CREATE {body}" for body in PG_ROW_FUNCTIONS),
    "CREATE TRIGGER claim_search_claim AFTER INSERT OR UPDATE OF statement, quote, conclusion, "
    "claimant, article_id ON claim FOR EACH ROW EXECUTE FUNCTION claim_search_claim_trg()",
    *(f"CREATE TRIGGER claim_search_{t} AFTER INSERT OR UPDATE OR DELETE ON {t} "
      "FOR EACH ROW EXECUTE FUNCTION claim_search_child_trg()" for t in ("source", "note")),
    "CREATE FUNCTION claim_search_article_trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "PERFORM claim_search_refresh(ARRAY(SELECT id FROM claim WHERE article_id = NEW.id)); "
    "RETURN NULL; END $$",
    "CREATE TRIGGER claim_search_article AFTER UPDATE OF title ON article FOR EACH ROW "
    "WHEN (OLD.title IS DISTINCT FROM NEW.title) EXECUTE FUNCTION claim_search_article_trg()",
    f"CREATE {CLAIMTALLY_FUNCTION}",
    "CREATE TRIGGER claimtally_ins AFTER INSERT OR DELETE ON claim FOR EACH ROW "
    "EXECUTE FUNCTION claimtally_trg()",
    "CREATE TRIGGER claimtally_upd AFTER UPDATE OF state, verdict ON claim FOR EACH ROW "
    "WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.verdict IS DISTINCT FROM NEW.verdict) "
    "EXECUTE FUNCTION claimtally_trg()",
    "CREATE FUNCTION reviewtally_trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO reviewtally(week, user_id, n) VALUES "
    "((date_trunc('week', NEW.created_at AT TIME ZONE 'UTC'))::date, NEW.actor_id, 1) "
    "ON CONFLICT (week, user_id) DO UPDATE SET n = reviewtally.n + 1; RETURN NULL; END $$",
    "CREATE TRIGGER reviewtally_ins AFTER INSERT ON event FOR EACH ROW "
    "WHEN (NEW.action = 'submit' AND NEW.actor_id IS NOT NULL) "
    "EXECUTE FUNCTION reviewtally_trg()",
]
PG_DROP = [
    "DROP TRIGGER IF EXISTS reviewtally_ins ON event",
    "DROP TRIGGER IF EXISTS claimtally_upd ON claim",
    "DROP TRIGGER IF EXISTS claimtally_ins ON claim",
    "DROP TRIGGER IF EXISTS claim_search_article ON article",
    "DROP TRIGGER IF EXISTS claim_search_note ON note",
    "DROP TRIGGER IF EXISTS claim_search_source ON source",
    "DROP TRIGGER IF EXISTS claim_search_claim ON claim",
    "DROP FUNCTION IF EXISTS reviewtally_trg()",
    "DROP FUNCTION IF EXISTS claimtally_trg()",
    "DROP FUNCTION IF EXISTS claim_search_article_trg()",
    "DROP FUNCTION IF EXISTS claim_search_child_trg()",
    "DROP FUNCTION IF EXISTS claim_search_claim_trg()",
    "DROP FUNCTION IF EXISTS claim_search_refresh(integer[])",
    "DROP TABLE IF EXISTS claim_search",
]
PG_REINDEX = ["DELETE FROM claim_search", pg_fill("true")]

# ---------------------------------------------------------------- both

TALLY_RECOUNT = [
    "DELETE FROM claimtally",
    "INSERT INTO claimtally(state, verdict, n) SELECT state, coalesce(verdict, ''), count(*) "
    "FROM claim GROUP BY state, coalesce(verdict, '')",
]
SQLITE_REVIEW_RECOUNT = [
    "DELETE FROM reviewtally",
    "INSERT INTO reviewtally(week, user_id, n) SELECT date(created_at, 'weekday 0', "
    "'-6 days') AS w, actor_id, count(*) FROM event WHERE action = 'submit' AND actor_id "
    "IS NOT NULL GROUP BY w, actor_id",
]
PG_REVIEW_RECOUNT = [
    "DELETE FROM reviewtally",
    "INSERT INTO reviewtally(week, user_id, n) SELECT (date_trunc('week', created_at AT TIME "
    "ZONE 'UTC'))::date AS w, actor_id, count(*) FROM event WHERE action = 'submit' AND "
    "actor_id IS NOT NULL GROUP BY w, actor_id",
]


def rebuild_statements(dialect: str) -> list[str]:
    """Return the statements that rebuild the index and the tallies from the tables."""
    if dialect == "sqlite":
        return [*SQLITE_REINDEX, *TALLY_RECOUNT, *SQLITE_REVIEW_RECOUNT]
    return [*PG_REINDEX, *TALLY_RECOUNT, *PG_REVIEW_RECOUNT]
