"""Turn article text into check-worthy claim candidates: clean, split, score, extract.

Pure Python (scikit-learn and numpy only for training); no Flask. The public API is
re-exported here.
"""

from annotator.extract.anchor import reanchor, trim_span
from annotator.extract.claims import BUDGET_REASON, extract_claims
from annotator.extract.clean import clean_html, clean_text, restore_line
from annotator.extract.lang import detect_language
from annotator.extract.page import date_from_url, read_page
from annotator.extract.score import PROPOSE_THRESHOLD, score_sentence, score_texts
from annotator.extract.sentences import split_sentences
from annotator.extract.types import Candidate, Cleaned, Scored, Sentence

__all__ = [
    "BUDGET_REASON",
    "PROPOSE_THRESHOLD",
    "Candidate",
    "Cleaned",
    "Scored",
    "Sentence",
    "clean_html",
    "clean_text",
    "date_from_url",
    "detect_language",
    "extract_claims",
    "read_page",
    "reanchor",
    "restore_line",
    "score_sentence",
    "score_texts",
    "split_sentences",
    "trim_span",
]
