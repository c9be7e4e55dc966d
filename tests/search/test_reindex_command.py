"""`annotator search reindex` rebuilds a damaged index from the tables."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import text

from annotator.cli import main
from annotator.db import session_scope
from annotator.services import queries, search


def test_the_reindex_command_rebuilds_the_index(engine, archive, database_url, tmp_path,
                                                monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ANNOTATOR_INSTANCE", str(tmp_path / "instance"))
    with session_scope(engine) as s:
        table = "claim_fts" if search.dialect_of(s) == "sqlite" else "claim_search"
        s.exec(text(f"DELETE FROM {table}"))  # noqa: S608
    result = CliRunner().invoke(main, ["search", "reindex"], catch_exceptions=False)
    assert result.exit_code == 0 and "Reindexed 4 claim(s)" in result.output
    with session_scope(engine, write=False) as s:
        found = queries.find_claims(s, queries.ClaimFilter(q="jobless"), None)
    assert [c.id for c, _ in found.rows] == [archive["c2"]]
