"""Jinja filters and globals: the sanitised Markdown renderer, dates, the live-poll interval."""

from __future__ import annotations

import re
from datetime import datetime

from flask import Flask, g, url_for
from markupsafe import Markup, escape

from annotator import models, review
from annotator.sanitize import render_markdown


def when(value) -> str:
    """Show a timestamp as YYYY-MM-DD HH:MM UTC."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return "" if value is None else str(value)


def shown(value, key: str, people: dict) -> str:
    """Show a history value: people by name, empty values as a dash."""
    if value is None or value == "":
        return "—"
    if key.endswith("_id") and key != "claim_id" and value in people:
        person = people[value]
        return person.display_name or person.username
    return str(value).replace("_", " ") if key in ("state", "verdict") else str(value)


_TAG = re.compile(r"(<[^>]+>)")
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.-]+)")


def mentions(html: str, people: dict) -> Markup:
    """Style and link the ``@name`` of teammates in already sanitised note HTML.

    Only text outside tags and outside existing links is touched; unknown names stay text.
    """
    by_name = {p.username.lower(): p for p in people.values()}
    out, in_link = [], 0
    for part in _TAG.split(str(html)):
        if part.startswith("<"):
            low = part.lower()
            in_link += 1 if low.startswith("<a ") or low == "<a>" else (
                -1 if low.startswith("</a") else 0)
            out.append(part)
            continue
        if in_link:
            out.append(part)
            continue

        def link(match):
            person = by_name.get(match.group(1).lower().rstrip("."))
            if person is None:
                return match.group(0)
            href = url_for("work.claim_list", assignee=person.username)
            name = person.display_name or person.username
            return (f'<a class="mention" href="{escape(href)}" title="{escape(name)}">'
                    f"@{escape(person.username)}</a>")

        out.append(_MENTION.sub(link, part))
    # The input is sanitised HTML and every piece added here is escaped.
    return Markup("".join(out))  # noqa: S704


_DONE = {"edit": "edited", "note": "added a note", "add_source": "added a source",
         "edit_source": "changed a source", "remove_source": "removed a source",
         "request_changes": "asked for changes", "approve": "approved it",
         "submit": "submitted it for review", "accept": "accepted it", "dismiss": "dismissed it",
         "restore": "restored it", "start": "started work on it", "assign": "assigned it",
         "unassign": "unassigned it", "reopen": "reopened it", "merge": "merged claims",
         "split": "split it", "blind_review": "recorded a blind verdict"}


def change_summary(event) -> str:
    """Say what an event did in words: "edited the verdict and conclusion", "approved it"."""
    if event is None:
        return "changed it"
    if event.action == "edit" and isinstance(event.new, dict) and event.new:
        fields = [k.replace("_", " ") for k in event.new]
        named = fields[0] if len(fields) == 1 else ", ".join(fields[:-1]) + " and " + fields[-1]
        return f"edited the {named}"
    return _DONE.get(event.action, event.action.replace("_", " "))


def claim_url(claim_id: int) -> str:
    """Return a claim's URL; built from one url_for per request, since long pages need 600."""
    prefix = g.get("_claim_url_prefix")
    if prefix is None:
        prefix = g._claim_url_prefix = url_for("claims.show", claim_id=0)[:-1]
    return f"{prefix}{int(claim_id)}"


# The shapes whose field limits forms read: `maxlength="{{ limit('SourceCreate', 'title') }}"`.
_SHAPES = {shape.__name__: shape for shape in (
    models.ArticleCreate, models.SourceCreate, models.NoteCreate, models.ClaimUpdate,
    models.UserBase, models.VerdictBase, models.ApiToken)}


def limit(shape: str, field: str) -> int:
    """Return a field's maximum length from its model, for a form's ``maxlength``."""
    found = models.max_length(_SHAPES[shape], field)
    if found is None:
        raise KeyError(f"{shape}.{field} declares no max_length")
    return found


def init_app(app: Flask) -> None:
    """Register the filters and globals."""
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["shown"] = shown
    app.jinja_env.filters["mentions"] = mentions
    app.jinja_env.filters["change_summary"] = change_summary
    app.jinja_env.globals["may"] = review.may
    app.jinja_env.globals["limit"] = limit
    app.jinja_env.globals["claim_url"] = claim_url
    app.jinja_env.globals["STATE_LABELS"] = review.STATE_LABELS
