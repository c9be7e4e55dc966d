"""CSV: a header, one row per claim, a byte-order mark, and no formula gets through."""

from __future__ import annotations

import csv
import io

import pytest

from annotator.exports import ExportFilter
from annotator.exports.csv_export import COLUMNS, neutralise


def _rows(text: str) -> list[dict]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def test_the_header_and_one_row_per_claim(export, work):
    text = export("csv")
    assert text.startswith("\ufeff" + ",".join(COLUMNS) + "\r\n")
    rows = _rows(text)
    assert len(rows) == work.claim_count
    assert len(_rows(export("csv", ExportFilter(states=["approved"])))) == 2


def test_a_row_carries_the_review_and_its_sources_in_one_cell(export, work):
    row = next(r for r in _rows(export("csv")) if r["claim_id"] == str(work.approved))
    assert row["statement"] == "at least six activists conscripted"
    assert row["verdict"] == "mostly_true" and row["verdict_label"] == "Mostly true"
    assert row["approved_by"] == "editor" and row["submitted_by"] == "reviewer"
    assert row["sources"] == ("supports: List of names <https://a.example/1>; "
                              "refutes: Ministry statement <https://b.example/2>")
    assert row["notes"] == "1"
    assert row["claim_url"] == f"https://desk.example.org/claims/{work.approved}"


def test_formula_cells_are_neutralised(export, work):
    rows = {r["claim_id"]: r for r in _rows(export("csv"))}
    corrected = rows[str(work.corrected)]
    assert corrected["statement"] == "'=HYPERLINK(\"http://evil\")"
    assert corrected["conclusion"] == "'@corrected: misleading"
    assert rows[str(work.in_progress)]["statement"] == "'-3 percent"
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_neutralise_leaves_plain_text_alone():
    assert neutralise("plain") == "plain" and neutralise(None) == ""
    assert [neutralise(v) for v in ("=1", "+1", "-1", "@x", "\tx", "\rx")] == [
        "'=1", "'+1", "'-1", "'@x", "'\tx", "'\rx"]


def test_the_utf8_bytes_start_with_the_bom(export, work):
    assert export("csv").encode("utf-8").startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("cell", [" =1+1", "\u00a0=HYPERLINK(\"x\")", "\u3000+1", "  -1",
                                  "\n@SUM(A1)", "\uff1d1+1", "\uff0b1", "\uff0d1", "\uff20x",
                                  "\ufe66cmd", "\u200b=1", " \uff1d1", "\u2003=1"])
def test_formulas_behind_white_space_or_in_full_width_are_neutralised(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["plain", " plain", "café", "\u00a0text", "１２３", "a=b"])
def test_text_that_is_no_formula_is_left_alone(cell):
    assert neutralise(cell) == cell
