"""Fixtures for the extraction tests: the shared article and data beside the repo."""

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


@pytest.fixture(scope="session")
def shared() -> Path:
    """Return the shared test-data folder (../shared beside the repo)."""
    if not SHARED.is_dir():
        pytest.fail("../shared is not beside the repo")
    return SHARED


@pytest.fixture(scope="session")
def article_raw(shared: Path) -> str:
    """Return the raw text of the shared RFE/RL article, page junk included."""
    return (shared / "articles" / "kazakh-conscriptions.txt").read_text(encoding="utf-8")
