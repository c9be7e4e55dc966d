"""The OpenAPI 3 description of /api/v1, beside the endpoints it describes.

The component schemas of articles, claims, sources, notes and people are generated from the
SQLModel shapes in ``annotator.models`` (``*Public`` answers, ``*Create``/``*Update``
requests), the same classes the API's JSON comes from. A test checks that every API rule in
the app's URL map appears here, and schemathesis checks the answers against it.
"""

from __future__ import annotations

from sqlmodel import SQLModel

from annotator import __version__
from annotator.exports import FORMATS
from annotator.models import (
    ArticleCreate,
    ArticlePublic,
    ArticlePublicWithClaims,
    ClaimPublic,
    ClaimPublicWithChildren,
    ClaimUpdate,
    NoteCreate,
    NotePublic,
    SourceCreate,
    SourcePublic,
)
from annotator.review import ACTIONS, STATES
from annotator.sanitize import MAX_INT
from annotator.services.params import MAX_PAGE
from annotator.services.queries import MAX_PER_PAGE, SORTS

# Answers: every field is always present, whatever its default.
ANSWERS = (ArticlePublic, ArticlePublicWithClaims, ClaimPublic, ClaimPublicWithChildren,
           SourcePublic, NotePublic)
REQUESTS = (ArticleCreate, ClaimUpdate, SourceCreate, NoteCreate)
_REF = "#/components/schemas/{model}"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


def _openapi30(node, *, answer: bool):
    """Rewrite a pydantic JSON Schema node in OpenAPI 3.0's dialect."""
    if isinstance(node, list):
        return [_openapi30(item, answer=answer) for item in node]
    if not isinstance(node, dict):
        return node
    node = {k: (_properties(v, answer) if k == "properties" else _openapi30(v, answer=answer))
            for k, v in node.items() if k != "title"}
    options = node.get("anyOf")
    if options and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}]
        node.pop("anyOf")
        only = rest[0] if len(rest) == 1 else {"anyOf": rest}
        node |= ({"allOf": [only]} if "$ref" in only else only) | {"nullable": True}
    if "const" in node:
        node["enum"] = [node.pop("const")]
    if answer:
        # What the database holds is shown as it is; limits are the requests' business.
        node.pop("maxLength", None)
        node.pop("default", None)
        if node.get("type") == "object" and "properties" in node:
            node["required"] = list(node["properties"])
    return node


def _properties(properties: dict, answer: bool) -> dict:
    # Property names are data, not keywords: a field may well be called "title".
    return {name: _openapi30(schema, answer=answer) for name, schema in properties.items()}


def shape_schemas() -> dict:
    """Return the component schemas generated from the SQLModel shapes, by class name."""
    out: dict = {}
    for shapes, answer in ((ANSWERS, True), (REQUESTS, False)):
        for shape in shapes:
            schema = shape.model_json_schema(
                ref_template=_REF, mode="serialization" if answer else "validation")
            for name, sub in schema.pop("$defs", {}).items():
                out[name] = _openapi30(sub, answer=answer)
            out[shape.__name__] = _openapi30(schema, answer=answer)
    return out


def component_name(shape: type[SQLModel]) -> str:
    """Return the schema name a shape has under components/schemas."""
    return shape.__name__


STRING = {"type": "string"}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_INT}

SCHEMAS: dict = shape_schemas() | {
    "Error": {
        "type": "object", "required": ["error", "detail"],
        "description": "error is the HTTP status phrase; detail says what went wrong: a "
                       "sentence, or for a 409 on a claim the current claim with the sentence "
                       "as detail.reason.",
        "properties": {"error": STRING, "detail": {}},
    },
    "ArticleList": {
        "type": "object", "required": ["items", "total"],
        "properties": {"items": {"type": "array", "items": _ref("ArticlePublic")},
                       "total": {"type": "integer", "minimum": 0},
                       "page": {"type": "integer"}, "per_page": {"type": "integer"},
                       "total_exact": {"type": "boolean"},
                       "next": {"type": "string",
                                "description": "Cursor: pass it as ?after= for the next page"}},
    },
    "ClaimList": {
        "type": "object", "required": ["items", "total"],
        "properties": {"items": {"type": "array", "items": {"allOf": [
                           _ref("ClaimPublic"),
                           {"type": "object", "properties": {"snippet": {
                               "type": "string",
                               "description": "With q=: the matching text, escaped, with "
                                              "<mark> around the words found."}}}]}},
                       "total": {"type": "integer", "minimum": 0},
                       "page": {"type": "integer"}, "per_page": {"type": "integer"},
                       "sort": STRING, "total_exact": {"type": "boolean"},
                       "next": {"type": "string",
                                "description": "Cursor: pass it as ?after= for the next page"}},
    },
    "Transition": {
        "type": "object", "required": ["action"],
        "properties": {
            "action": {"type": "string", "enum": list(ACTIONS)},
            "comment": STRING,
            "assignee": {"oneOf": [STRING, ID], "description": "username or user id"},
            "version": ID,
        },
    },
    "ExportDocument": {
        "type": "object",
        "description": "The native export; its JSON Schema ships as "
                       "annotator/exports/export.schema.json.",
        "required": ["schema_version", "exported_at", "generator", "articles"],
        "properties": {"schema_version": {"type": "string", "enum": ["1"]},
                       "exported_at": STRING, "generator": STRING,
                       "verdict_scale": {"type": "array", "items": {"type": "object"}},
                       "people": {"type": "array", "items": {"type": "object"}},
                       "articles": {"type": "array", "items": {"type": "object"}}},
    },
    "ImportReport": {
        "type": "object",
        "required": ["articles", "claims", "sources", "notes", "events", "people_created"],
        "properties": {k: {"type": "integer"} for k in ("articles", "claims", "sources",
                                                         "notes", "events", "verdicts")}
        | {"people_created": {"type": "array", "items": STRING},
           "renumbered": {"type": "array", "items": STRING},
           "article_ids": {"type": "object", "additionalProperties": {"type": "integer"}}},
    },
    "ClaimReview": {
        "type": "object", "required": ["@context", "@type", "url", "claimReviewed",
                                       "reviewRating"],
        "properties": {"@context": STRING, "@type": {"type": "string", "enum": ["ClaimReview"]},
                       "url": STRING, "claimReviewed": STRING,
                       "reviewRating": {"type": "object"}, "itemReviewed": {"type": "object"},
                       "author": {"type": "object"}, "datePublished": STRING,
                       "dateModified": STRING},
    },
    "Matches": {
        "type": "object", "required": ["items", "total"],
        "properties": {"total": {"type": "integer"}, "items": {"type": "array", "items": {
            "type": "object",
            "required": ["kind", "statement", "url", "identifier", "publisher", "date", "score",
                         "tier"],
            "properties": {
                "kind": {"type": "string", "enum": ["desk", "external"]},
                "claim_id": ID, "factcheck_id": ID, "statement": STRING,
                "verdict": {"type": "string", "nullable": True}, "rating": STRING,
                "url": STRING, "identifier": STRING, "publisher": STRING,
                "date": {"type": "string", "nullable": True}, "score": {"type": "number"},
                # Issue 20: the same claim, or possibly related (shown collapsed).
                "tier": {"type": "string", "enum": ["same", "related"]},
            }}}},
    },
}

UNAUTHORISED = _error("No valid bearer token.")
FORBIDDEN = _error("The token's role does not allow this.")
NOT_FOUND = _error("No such resource.")
BAD = _error("Bad input; the message says what to change.")
# A background job's document (services.jobs.job_document).
JOB = {"type": "object", "required": [
    "id", "state", "status", "done", "total", "error", "download"], "properties": {
    "id": {"type": "integer"}, "kind": {"type": "string"},
    "format": {"type": "string"},
    "state": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
    "status": {"type": "string", "description": "The same as state (older name)."},
    "done": {"type": "integer"}, "total": {"type": "integer"},
    "error": {"type": "string"}, "result": {"type": "object"},
    "attempts": {"type": "integer"}, "waiting_for_worker": {"type": "boolean"},
    "download": {"type": ["string", "null"]},
    "created_at": {"type": ["string", "null"]},
    "updated_at": {"type": ["string", "null"]}}}


def _id_param(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": ID}


def _body(name: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


def _filters() -> list[dict]:
    def query(name, schema, description):
        return {"name": name, "in": "query", "required": False, "schema": schema,
                "description": description}

    return [
        query("article", {"type": "array", "items": ID}, "Only these articles (repeat)."),
        query("state", {"type": "array", "items": {"type": "string", "enum": list(STATES)}},
              "Only claims in these states (repeat)."),
        query("verdict", {"type": "array", "items": STRING}, "Only these verdict keys."),
        query("since", {"type": "string", "format": "date"},
              "Claims changed on or after this date (or ISO time)."),
        query("until", {"type": "string", "format": "date"},
              "Claims changed up to and including this date (an ISO time is exclusive)."),
    ]


def _claim_filters() -> list[dict]:
    def query(name, schema, description):
        return {"name": name, "in": "query", "required": False, "schema": schema,
                "description": description}

    sorts = sorted(SORTS)
    return [
        query("state", {"type": "array", "items": {"type": "string", "enum": list(STATES)}},
              "Only claims in these states (repeat). Held-back sentences only when asked."),
        query("verdict", {"type": "array", "items": {"type": "string", "maxLength": 32}},
              "Only these verdict keys (repeat)."),
        query("assignee", {"type": "string", "maxLength": 64},
              "A username, me, or none."),
        query("article", {"type": "string", "maxLength": 500},
              "An article id, or words of its title."),
        query("claimant", {"type": "string", "maxLength": 300}, "Who made the claim."),
        query("q", {"type": "string", "maxLength": 500},
              'The search language: words, "phrases", -excluded, field:value.'),
        query("sort", {"type": "string", "enum": sorts + [f"-{k}" for k in sorts]},
              "A column; - for descending. Default: relevance with q, else newest first."),
        query("held_back", {"type": "string", "enum": ["0", "1", "true", "false"]},
              "1 to include sentences the proposal budget held back."),
        query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "Page number."),
        query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
              "Claims per page."),
        query("after", {"type": "string", "maxLength": 400},
              "The next cursor of the previous page (opaque, signed)."),
    ]


def _paths() -> dict:
    claim_id = [_id_param("claim_id")]
    claim_out = _json(_ref("ClaimPublicWithChildren"), "The claim, with its sources and notes.")
    conflict = _json({"allOf": [_ref("Error"), {"type": "object", "properties": {
        "detail": _ref("ClaimPublicWithChildren")}}]},
        "Stale version or action not valid now; detail is the current claim.")
    return {
        "/api/v1/openapi.json": {"get": {
            "operationId": "openapi", "summary": "This document.", "security": [],
            "tags": ["meta"],
            "responses": {"200": _json({"type": "object"}, "The OpenAPI 3 document.")},
        }},
        "/api/v1/articles": {
            "get": {
                "operationId": "listArticles", "summary": "List articles, newest first.",
                "tags": ["articles"],
                "parameters": [
                    {"name": "page", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}},
                    {"name": "per_page", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}},
                ],
                "responses": {"200": _json(_ref("ArticleList"), "A page of articles."),
                              "400": BAD, "401": UNAUTHORISED, "403": FORBIDDEN},
            },
            "post": {
                "operationId": "createArticle", "tags": ["articles"],
                "summary": "Import an article from text, HTML or a URL; propose its claims.",
                "requestBody": _body("ArticleCreate"),
                "responses": {
                    "201": _json(_ref("ArticlePublicWithClaims"),
                                 "The new article with proposed claims."),
                    # Issue 19: a long article (over IMPORT_QUEUE_BYTES) is imported by the
                    # worker; Location is the job, its result.article_ids the article.
                    "202": _json(JOB, "A long article, queued: the import job (see "
                                      "getJob); its Location header is the job's address."),
                    "400": BAD, "401": UNAUTHORISED, "403": FORBIDDEN,
                    "409": _error("The same article exists; detail.article_id names it."),
                    "413": _error("The request is too large."),
                },
            },
        },
        "/api/v1/articles/{article_id}": {"get": {
            "operationId": "getArticle", "summary": "An article with its body and claims.",
            "tags": ["articles"], "parameters": [
                _id_param("article_id"),
                # Issue 20: held-back sentences are left out unless asked for.
                {"name": "state", "in": "query", "required": False, "explode": True,
                 "description": "Keep the claims in these states (held_back included).",
                 "schema": {"type": "array", "items": {"type": "string",
                                                       "enum": list(STATES)}}},
                {"name": "held_back", "in": "query", "required": False,
                 "description": "1: also list the sentences the proposal budget held back.",
                 "schema": {"type": "string", "enum": ["0", "1", "true", "false"]}}],
            "responses": {"200": _json(_ref("ArticlePublicWithClaims"), "The article."),
                          "400": BAD,
                          "401": UNAUTHORISED, "403": FORBIDDEN, "404": NOT_FOUND},
        }},
        "/api/v1/claims": {"get": {
            "operationId": "listClaims", "tags": ["claims"],
            "summary": "List claims with the claims page's filters, a page at a time.",
            "parameters": _claim_filters(),
            "responses": {"200": _json(_ref("ClaimList"), "A page of claims."),
                          "400": BAD, "401": UNAUTHORISED, "403": FORBIDDEN},
        }},
        "/api/v1/claims/{claim_id}": {
            "get": {
                "operationId": "getClaim", "summary": "A claim with its sources and notes.",
                "tags": ["claims"], "parameters": claim_id,
                "responses": {"200": claim_out, "401": UNAUTHORISED, "403": FORBIDDEN,
                              "404": NOT_FOUND},
            },
            "patch": {
                "operationId": "patchClaim", "tags": ["claims"],
                "summary": "Change statement, verdict or conclusion (optimistic locking).",
                "parameters": claim_id, "requestBody": _body("ClaimUpdate"),
                "responses": {"200": claim_out, "400": BAD, "401": UNAUTHORISED,
                              "403": FORBIDDEN, "404": NOT_FOUND, "409": conflict},
            },
        },
        "/api/v1/claims/{claim_id}/sources": {"post": {
            "operationId": "addSource", "summary": "Attach a source.", "tags": ["claims"],
            "parameters": claim_id, "requestBody": _body("SourceCreate"),
            "responses": {"201": _json(_ref("SourcePublic"), "The new source."), "400": BAD,
                          "401": UNAUTHORISED, "403": FORBIDDEN, "404": NOT_FOUND,
                          "409": conflict},
        }},
        "/api/v1/sources/{source_id}/warc": {"get": {  # issue 22: source snapshots
            "operationId": "getSourceWarc", "tags": ["claims"],
            "summary": "The source's snapshot as a WARC file (gzipped records).",
            "parameters": [_id_param("source_id")],
            "responses": {"200": {"description": "The WARC file.", "content": {
                "application/warc": {"schema": {"type": "string", "format": "binary"}}}},
                "401": UNAUTHORISED, "403": FORBIDDEN, "404": NOT_FOUND},
        }},
        "/api/v1/claims/{claim_id}/notes": {"post": {
            "operationId": "addNote", "summary": "Add a Markdown note.", "tags": ["claims"],
            "parameters": claim_id, "requestBody": _body("NoteCreate"),
            "responses": {"201": _json(_ref("NotePublic"), "The new note."), "400": BAD,
                          "401": UNAUTHORISED, "403": FORBIDDEN, "404": NOT_FOUND,
                          "409": conflict},
        }},
        "/api/v1/claims/{claim_id}/transitions": {"post": {
            "operationId": "transition", "tags": ["claims"],
            "summary": "Take a workflow action (accept, start, submit, approve, ...).",
            "parameters": claim_id, "requestBody": _body("Transition"),
            "responses": {"200": claim_out, "400": BAD, "401": UNAUTHORISED,
                          "403": _error("Not allowed for this user (four-eyes rule too)."),
                          "404": NOT_FOUND, "409": conflict},
        }},
        "/api/v1/claims/{claim_id}/claimreview": {"get": {
            "operationId": "getClaimReview", "tags": ["exports"],
            "summary": "One approved claim as ClaimReview JSON-LD.", "parameters": claim_id,
            "responses": {
                "200": {"description": "The ClaimReview.", "content": {
                    "application/ld+json": {"schema": _ref("ClaimReview")}}},
                "401": UNAUTHORISED, "403": FORBIDDEN,
                "404": _error("No such claim, or it is not approved."),
            },
        }},
        "/api/v1/exports/{fmt}": {"get": {
            "operationId": "export", "tags": ["exports"],
            "summary": "Stream an export: json, claimreview, wadm or csv.",
            "parameters": [{"name": "fmt", "in": "path", "required": True,
                            "schema": {"type": "string", "enum": list(FORMATS)}},
                           *_filters()],
            "responses": {
                "200": {"description": "The export, streamed as a file download.", "content": {
                    "application/json": {"schema": _ref("ExportDocument")},
                    "application/ld+json": {"schema": {"type": "object"}},
                    "text/csv": {"schema": {"type": "string"}},
                }},
                "400": BAD, "401": UNAUTHORISED, "403": FORBIDDEN,
                "404": _error("Unknown format."),
            },
        }},
        # Issue 21: background jobs (exports and imports started on the web pages).
        "/api/v1/jobs/{job_id}": {"get": {
            "operationId": "getJob", "tags": ["exports"],
            "summary": "A background job: its state, progress and, once done, its file.",
            "parameters": [_id_param("job_id")],
            "responses": {"200": _json(JOB, "The job."),
                "401": UNAUTHORISED, "403": FORBIDDEN, "404": NOT_FOUND},
        }},
        "/api/v1/jobs/{job_id}/download": {"get": {
            "operationId": "getJobDownload", "tags": ["exports"],
            "summary": "A finished export job's file.",
            "parameters": [_id_param("job_id")],
            "responses": {
                "200": {"description": "The file, streamed.", "content": {
                    "application/json": {"schema": {"type": "object"}},
                    "application/ld+json": {"schema": {"type": "object"}},
                    "text/csv": {"schema": {"type": "string"}}}},
                "401": UNAUTHORISED, "403": FORBIDDEN, "404": NOT_FOUND,
                "409": _error("The job is not a finished export.")},
        }},
        "/api/v1/imports/json": {"post": {
            "operationId": "importJson", "tags": ["exports"],
            "summary": "Load a native JSON export in one transaction.",
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": _ref("ExportDocument")}}},
            "responses": {
                "201": _json(_ref("ImportReport"), "What was imported."),
                "400": BAD, "401": UNAUTHORISED, "403": FORBIDDEN,
                "409": _error("An article of the file exists here; nothing was imported."),
                "413": _error("The request is too large."),
            },
        }},
        "/api/v1/claims/{claim_id}/matches": {"get": {
            "operationId": "getClaimMatches", "tags": ["matches"],
            "summary": "Checked before? Earlier fact-checks that look like this claim.",
            "parameters": [*claim_id, _limit_param(), _tier_param()],
            "responses": {"200": _json(_ref("Matches"), "Best first; the claim itself and the "
                                                        "matches marked not the same claim "
                                                        "left out."),
                          "400": BAD, "401": UNAUTHORISED, "403": FORBIDDEN,
                          "404": NOT_FOUND},
        }},
        "/api/v1/claims/{claim_id}/matches/reject": {"post": {
            "operationId": "rejectMatch", "tags": ["matches"],
            "summary": "Mark a match \"not the same claim\": hidden from this claim from then "
                       "on, recorded in its history, a negative when the matcher is retrained.",
            "parameters": claim_id,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["kind", "ref"],
                "properties": {"kind": {"type": "string", "enum": ["desk", "external"]},
                               "ref": ID}}}}},
            "responses": {"200": _json({"type": "object"}, "The rejected match."),
                          "400": BAD, "401": UNAUTHORISED, "403": FORBIDDEN,
                          "404": NOT_FOUND},
        }},
        "/api/v1/today": {"get": {  # issue 23: the morning list
            "operationId": "getToday", "tags": ["claims"],
            "summary": "The claims proposed since a time, one item per group of the same "
                       "claim, ranked by score.",
            "parameters": [
                {"name": "since", "in": "query", "required": False,
                 "description": "ISO 8601 date or time (UTC when no zone); default 24 h ago.",
                 "schema": {"type": "string", "format": "date-time"}},
                {"name": "outlet", "in": "query", "required": False,
                 "schema": {"type": "string", "maxLength": 200}},
                {"name": "language", "in": "query", "required": False,
                 "schema": {"type": "string", "maxLength": 8}},
                {"name": "feed", "in": "query", "required": False, "schema": ID},
                {"name": "checked", "in": "query", "required": False,
                 "schema": {"type": "string", "enum": ["yes", "no"]}},
                {"name": "min_score", "in": "query", "required": False,
                 "schema": {"type": "number", "minimum": 0, "maximum": 1}},
                {"name": "page", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_INT}},
                {"name": "per_page", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": 200}}],
            "responses": {"200": _json({"type": "object", "required": ["items", "total"],
                                        "properties": {
                "items": {"type": "array", "items": {
                    "type": "object",
                    "required": ["claim", "outlets", "group", "checked_before"],
                    "properties": {"claim": _ref("ClaimPublic"),
                                   "outlets": {"type": "integer", "minimum": 1},
                                   "group": {"type": "integer", "nullable": True},
                                   "checked_before": {"type": "boolean"},
                                   "claims": {"type": "array", "items": ID},
                                   "outlet_names": {"type": "array",
                                                    "items": {"type": "string"}}}}},
                "total": {"type": "integer", "minimum": 0},
                "total_exact": {"type": "boolean"}}}, "Best first."),
                "400": BAD, "401": UNAUTHORISED, "403": FORBIDDEN},
        }},
        "/api/v1/matches": {"get": {
            "operationId": "getMatches", "tags": ["matches"],
            "summary": "Checked before? Earlier fact-checks that look like the text.",
            "parameters": [{"name": "q", "in": "query", "required": True,
                            "schema": {"type": "string", "minLength": 1, "maxLength": 2000,
                                       "pattern": "\\S"}},
                           _limit_param(), _tier_param()],
            "responses": {"200": _json(_ref("Matches"), "Best first."),
                          "400": BAD, "401": UNAUTHORISED, "403": FORBIDDEN},
        }},
    }


def _tier_param() -> dict:
    return {"name": "tier", "in": "query", "required": False,
            "description": "Keep one tier: same (the same claim) or related.",
            "schema": {"type": "string", "enum": ["same", "related"]}}


def _limit_param() -> dict:
    return {"name": "limit", "in": "query", "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": 50, "default": 5}}


def openapi_document(base_url: str = "") -> dict:
    """Return the OpenAPI 3.0 document for /api/v1."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "annotator API", "version": __version__,
            "description": "Fact-check claim annotation: articles, claims, sources, notes, "
                           "workflow transitions, exports and imports. Authenticate with "
                           "'Authorization: Bearer <token>' (annotator users create NAME "
                           "--role R --token).",
        },
        "servers": [{"url": (base_url or "").rstrip("/") or "/"}],
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "An API token (ann_...)."}},
            "schemas": SCHEMAS,
        },
    }
