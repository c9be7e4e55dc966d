"""Detect an article's language offline with py3langid, among plausible languages."""

from __future__ import annotations

from functools import lru_cache

# Languages a desk is likely to see; constraining the model makes short texts more reliable.
PLAUSIBLE = (
    "en", "ru", "uk", "kk", "ky", "uz", "tg", "az", "tk", "be", "de", "fr", "es", "it", "pt",
    "nl", "pl", "cs", "sk", "ro", "hu", "bg", "sr", "hr", "sl", "sv", "da", "no", "fi", "et",
    "lv", "lt", "el", "tr", "ar", "fa", "he", "ka", "hy", "zh", "ja", "ko", "hi", "id",
)  # fmt: skip
DEFAULT = "en"
_MIN_CHARS = 20
_MIN_PROB = 0.6
_SAMPLE = 3000


@lru_cache(maxsize=1)
def _identifier():
    """Load the py3langid model once, normalised and constrained to PLAUSIBLE."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(PLAUSIBLE)
    return ident


def detect_language(text: str) -> str:
    """Return the ISO 639-1 code of `text`, or "en" when the text is short or unclear."""
    sample = " ".join(text[:_SAMPLE].split())
    letters = sum(ch.isalpha() for ch in sample)
    if letters < _MIN_CHARS:
        return DEFAULT
    lang, prob = _identifier().classify(sample)
    return lang if prob >= _MIN_PROB else DEFAULT
