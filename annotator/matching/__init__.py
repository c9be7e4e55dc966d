"""Claim matching, the pure part: tokens, re-ranking features and the learned re-ranker.

No Flask and no database here: services/matching.py retrieves candidates with the
database's full-text index (BM25 on SQLite FTS5, ts_rank on PostgreSQL) and hands them to
`rerank`, which scores each with the logistic model in weights.json.
"""

from annotator.matching.features import Candidate, Query
from annotator.matching.model import Model, load_model
from annotator.matching.text import clean_query, query_terms

__all__ = ["Candidate", "Model", "Query", "clean_query", "load_model", "query_terms"]
