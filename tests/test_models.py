"""models.py is the contract: each field's rule is written once, on its model, and read
everywhere else (services, forms, OpenAPI, the export schema)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator import models
from annotator.models import (
    ArticleBase,
    ArticleCreate,
    ClaimBase,
    ClaimUpdate,
    NoteBase,
    SourceBase,
    SourceCreate,
    max_length,
)

SCHEMA = Path(models.__file__).parent / "exports" / "export.schema.json"
PAIRS = [("article", ArticleBase), ("claim", ClaimBase), ("source", SourceBase),
         ("note", NoteBase)]


@pytest.mark.parametrize("definition,shape", PAIRS)
def test_the_published_export_schema_states_the_models_limits(definition, shape):
    schema = json.loads(SCHEMA.read_text())["$defs"][definition]["properties"]
    for name in shape.model_fields:
        declared = max_length(shape, name)
        if name in schema and schema[name].get("type") == "string":
            assert schema[name].get("maxLength") == declared, (definition, name)


def test_requests_carry_the_same_limits_as_the_fields_they_write():
    for field in ("statement", "conclusion", "claimant", "published_url"):
        assert max_length(ClaimUpdate, field) == max_length(ClaimBase, field), field
    for field in SourceBase.model_fields:
        assert max_length(SourceCreate, field) == max_length(SourceBase, field), field
    for field in ("title", "url", "outlet", "byline", "language"):
        assert max_length(ArticleCreate, field) == max_length(ArticleBase, field), field


def test_every_text_a_person_types_has_a_limit():
    for shape, fields in ((ClaimUpdate, ("statement", "conclusion", "claimant")),
                          (SourceCreate, ("url", "title", "publisher", "excerpt",
                                          "archived_url")),
                          (models.NoteCreate, ("body",))):
        for field in fields:
            assert max_length(shape, field), (shape.__name__, field)


def test_unused_shapes_are_gone():
    for name in ("UserCreate", "VerdictCreate", "VerdictUpdate", "ArticleRecord"):
        assert not hasattr(models, name), name
