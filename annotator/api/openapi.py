"""The OpenAPI 3 description of /api/v1, kept by hand beside the endpoints it describes.

A test checks that every API rule in the app's URL map appears here, and schemathesis checks
the answers against it.
"""

from __future__ import annotations

from annotator import __version__
from annotator.models import ROLES, STANCES
from annotator.review import ACTIONS, STATES

MAX_ID = 2**31 - 1
FORMATS = ("json", "claimreview", "wadm", "csv")


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


STRING = {"type": "string"}
TIME = _nullable({"type": "string", "format": "date-time"})
DATE = _nullable({"type": "string", "format": "date"})
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}

SCHEMAS: dict = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": STRING, "detail": {"nullable": True}},
    },
    "Person": _nullable({
        "type": "object", "required": ["username", "display_name", "role"],
        "properties": {"username": STRING, "display_name": STRING,
                       "role": {"type": "string", "enum": list(ROLES)}},
    }),
    "ArticleSummary": {
        "type": "object",
        "required": ["id", "title", "url", "outlet", "byline", "published", "language"],
        "properties": {"id": {"type": "integer"}, "title": STRING, "url": STRING,
                       "outlet": STRING, "byline": STRING, "published": DATE,
                       "language": STRING, "created_at": TIME},
    },
    "Article": {"allOf": [_ref("ArticleSummary"), {
        "type": "object", "required": ["body", "claims"],
        "properties": {"body": STRING, "claims": {"type": "array", "items": _ref("Claim")}},
    }]},
    "ArticleList": {
        "type": "object", "required": ["items", "total"],
        "properties": {"items": {"type": "array", "items": _ref("ArticleSummary")},
                       "total": {"type": "integer", "minimum": 0},
                       "page": {"type": "integer"}, "per_page": {"type": "integer"}},
    },
    "NewArticle": {
        "type": "object",
        "description": "Give text, html or url (then the page is fetched and cleaned).",
        "properties": {k: STRING for k in ("text", "html", "url", "title", "outlet", "byline",
                                           "published", "language")},
    },
    "Claim": {
        "type": "object",
        "required": ["id", "start", "end", "quote", "statement", "state", "verdict",
                     "conclusion", "assignee", "version"],
        "properties": {
            "id": {"type": "integer"}, "article_id": {"type": "integer"},
            "start": {"type": "integer"}, "end": {"type": "integer"}, "quote": STRING,
            "prefix": STRING, "suffix": STRING, "statement": STRING,
            "score": {"type": "number"}, "reasons": {"type": "array", "items": {}},
            "origin": STRING, "state": {"type": "string", "enum": list(STATES)},
            "verdict": _nullable(STRING), "conclusion": STRING,
            "assignee": _ref("Person"), "submitted_by": _ref("Person"),
            "approved_by": _ref("Person"), "approved_at": TIME,
            "orphaned": {"type": "boolean"}, "version": {"type": "integer"},
            "updated_at": TIME,
        },
    },
    "ClaimWithChildren": {"allOf": [_ref("Claim"), {
        "type": "object", "required": ["sources", "notes"],
        "properties": {"sources": {"type": "array", "items": _ref("Source")},
                       "notes": {"type": "array", "items": _ref("Note")}},
    }]},
    "ClaimPatch": {
        "type": "object", "required": ["version"],
        "properties": {"version": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                       "statement": _nullable(STRING), "verdict": _nullable(STRING),
                       "conclusion": _nullable(STRING)},
    },
    "Source": {
        "type": "object", "required": ["id", "url", "stance"],
        "properties": {"id": {"type": "integer"}, "url": STRING, "title": STRING,
                       "publisher": STRING, "published": DATE,
                       "stance": {"type": "string", "enum": list(STANCES)}, "excerpt": STRING,
                       "archived_url": STRING, "created_by": _ref("Person"),
                       "created_at": TIME},
    },
    "NewSource": {
        "type": "object", "required": ["url", "stance"],
        "properties": {"url": {"type": "string", "format": "uri"}, "title": STRING,
                       "stance": {"type": "string", "enum": list(STANCES)},
                       "publisher": STRING, "published": {"type": "string", "format": "date"},
                       "excerpt": STRING, "archived_url": STRING},
    },
    "Note": {
        "type": "object", "required": ["id", "author", "body", "created_at"],
        "properties": {"id": {"type": "integer"}, "author": _ref("Person"), "body": STRING,
                       "created_at": TIME},
    },
    "NewNote": {"type": "object", "required": ["body"],
                "properties": {"body": {"type": "string", "description": "Markdown"}}},
    "Transition": {
        "type": "object", "required": ["action"],
        "properties": {
            "action": {"type": "string", "enum": list(ACTIONS)},
            "comment": STRING,
            "assignee": {"oneOf": [STRING, ID], "description": "username or user id"},
            "version": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
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
}

UNAUTHORISED = _error("No valid bearer token.")
FORBIDDEN = _error("The token's role does not allow this.")
NOT_FOUND = _error("No such resource.")
BAD = _error("Bad input; the message says what to change.")


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


def _paths() -> dict:
    claim_id = [_id_param("claim_id")]
    claim_out = _json(_ref("ClaimWithChildren"), "The claim, with its sources and notes.")
    conflict = _json({"allOf": [_ref("Error"), {"type": "object", "properties": {
        "detail": _ref("ClaimWithChildren")}}]},
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
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                               "maximum": 10**6}},
                    {"name": "per_page", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
                ],
                "responses": {"200": _json(_ref("ArticleList"), "A page of articles."),
                              "400": BAD, "401": UNAUTHORISED, "403": FORBIDDEN},
            },
            "post": {
                "operationId": "createArticle", "tags": ["articles"],
                "summary": "Import an article from text, HTML or a URL; propose its claims.",
                "requestBody": _body("NewArticle"),
                "responses": {
                    "201": _json(_ref("Article"), "The new article with proposed claims."),
                    "400": BAD, "401": UNAUTHORISED, "403": FORBIDDEN,
                    "409": _error("The same article exists; detail.article_id names it."),
                    "413": _error("The request is too large."),
                },
            },
        },
        "/api/v1/articles/{article_id}": {"get": {
            "operationId": "getArticle", "summary": "An article with its body and claims.",
            "tags": ["articles"], "parameters": [_id_param("article_id")],
            "responses": {"200": _json(_ref("Article"), "The article."),
                          "401": UNAUTHORISED, "403": FORBIDDEN, "404": NOT_FOUND},
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
                "parameters": claim_id, "requestBody": _body("ClaimPatch"),
                "responses": {"200": claim_out, "400": BAD, "401": UNAUTHORISED,
                              "403": FORBIDDEN, "404": NOT_FOUND, "409": conflict},
            },
        },
        "/api/v1/claims/{claim_id}/sources": {"post": {
            "operationId": "addSource", "summary": "Attach a source.", "tags": ["claims"],
            "parameters": claim_id, "requestBody": _body("NewSource"),
            "responses": {"201": _json(_ref("Source"), "The new source."), "400": BAD,
                          "401": UNAUTHORISED, "403": FORBIDDEN, "404": NOT_FOUND,
                          "409": conflict},
        }},
        "/api/v1/claims/{claim_id}/notes": {"post": {
            "operationId": "addNote", "summary": "Add a Markdown note.", "tags": ["claims"],
            "parameters": claim_id, "requestBody": _body("NewNote"),
            "responses": {"201": _json(_ref("Note"), "The new note."), "400": BAD,
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
    }


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
