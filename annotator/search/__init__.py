"""Full-text search of the archive: the query language, parsed once for both databases.

Pure: no Flask, no database, no services. `query.parse` reads what a fact-checker types;
`query.to_fts5` and `query.to_tsquery` turn it into SQLite FTS5 and PostgreSQL tsquery text;
`snippets.highlight` marks matched words in safe HTML.
"""
