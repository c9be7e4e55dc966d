"""Articles and claim extraction: demo, import, extract, sentences, score, retrain."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from annotator.cli._common import fail, migrated_engine

DEMO_USER = "demo"
DEMO_PASSWORD = "demo-editor-2026"  # noqa: S105 - printed to the operator on purpose


@click.command()
def demo() -> None:
    """Create the demo editor account and demo article, if the database has no users yet."""
    from sqlmodel import select

    from annotator.db import session_scope
    from annotator.models import User
    from annotator.services import articles as article_service
    from annotator.services import users as user_service

    engine = migrated_engine()
    with session_scope(engine) as session:
        if session.exec(select(User)).first() is not None:
            click.echo("The database has users already; no demo data added.")
            return
        user = user_service.create_user(session, DEMO_USER, "editor", DEMO_PASSWORD,
                                        "Demo Editor")
        text = (Path(__file__).parent.parent / "demo_article.txt").read_text(encoding="utf-8")
        article = article_service.import_article(session, user, article_service.ImportRequest(
            text=text, outlet="Riverton Gazette (demo)", published="2026-05-20"))
        click.echo(f"Demo article {article.id}: {article.title}")
    click.echo(f"Demo editor account: username {DEMO_USER!r}, password {DEMO_PASSWORD!r}")


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--title", default="")
@click.option("--url", default="")
@click.option("--outlet", default="")
@click.option("--byline", default="")
@click.option("--published", default="", help="YYYY-MM-DD")
@click.option("--lang", "language", default="", help="Language code; detected when omitted.")
@click.option("--as", "as_user", default=None, help="Username recorded as the importer.")
def import_cmd(file: Path, title, url, outlet, byline, published, language, as_user) -> None:
    """Import an article from a .txt, .md or .html file and print its id."""
    from sqlmodel import select

    from annotator.db import session_scope
    from annotator.models import User
    from annotator.services import articles as article_service
    from annotator.services.errors import ServiceError

    engine = migrated_engine()
    req = article_service.ImportRequest(title=title, url=url, outlet=outlet, byline=byline,
                                        published=published, language=language)
    try:
        with session_scope(engine) as session:
            query = select(User).where(User.active)
            if as_user:
                query = query.where(User.username == as_user)
            actor = session.exec(query.order_by(User.id)).first()
            if actor is None:
                raise ServiceError("Create a user first: annotator users create NAME --role editor")
            req = article_service.request_from_upload(file.name, file.read_bytes(), req)
            article = article_service.import_article(session, actor, req)
            article_id = article.id
    except ServiceError as exc:
        fail(exc.message)
    # After the import's commit, as the web's background job does: "checked before?" marks.
    from annotator.services import jobs

    jobs.run_mark_job(engine, article_id)
    click.echo(article_id)


def _read_page(file: Path):
    """Read FILE (HTML or text) as an import would; ARTICLE_URL names the page's URL."""
    import os

    from annotator.extract.page import read_page

    url = os.environ.get("ARTICLE_URL") or None
    content = file.read_bytes().decode("utf-8-sig", errors="replace")
    return read_page(content, url=url, name=file.name)


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def clean(file: Path) -> None:
    """Print the article text an import of FILE (HTML or plain text) would store."""
    cleaned, _ = _read_page(file)
    click.echo(cleaned.text)


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--jsonl", is_flag=True, required=True, help="One JSON object per line.")
@click.option("--lang", default=None)
def extract(file: Path, jsonl: bool, lang) -> None:
    """Print the proposed claims of an HTML or text file, without touching the database.

    The page's date (from the page or its URL) resolves relative times; its outlet or
    byline is the claimant of its own assertions. Held-back sentences are not printed.
    """
    from annotator.extract.claims import extract_claims
    from annotator.extract.lang import detect_language

    cleaned, meta = _read_page(file)
    language = lang or meta.get("language") or detect_language(cleaned.text)
    outlet = meta.get("byline") or meta.get("outlet") or ""
    for c in extract_claims(cleaned.text, language, captions=cleaned.captions,
                            outlet=outlet, published=meta.get("published")):
        if c.proposed:
            click.echo(json.dumps({"start": c.start, "end": c.end, "quote": c.quote,
                                   "statement": c.statement, "claimant": c.claimant,
                                   "score": round(c.score, 4),
                                   "reasons": list(c.reasons), "rewrite": c.rewrite,
                                   "needs_context": c.needs_context}, ensure_ascii=False))


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--jsonl", is_flag=True, required=True, help="One JSON object per line.")
@click.option("--lang", default="en", show_default=True)
def sentences(file: Path, jsonl: bool, lang: str) -> None:
    """Split a text file into sentences as given (no cleaning); print start, end and text."""
    from annotator import extract as ex

    for s in ex.split_sentences(file.read_text(encoding="utf-8"), lang):
        click.echo(json.dumps({"start": s.start, "end": s.end, "text": s.text},
                              ensure_ascii=False))


@click.command()
@click.option("--min-examples", default=20, show_default=True,
              help="Refuse to retrain on fewer decisions than this.")
def retrain(min_examples: int) -> None:
    """Retrain the desk's claim scorer on its accepted, dismissed and added claims."""
    from annotator.db import session_scope
    from annotator.services import learning
    from annotator.services.errors import ServiceError

    engine = migrated_engine()
    try:
        with session_scope(engine) as session:
            report = learning.retrain_desk(session, None, min_examples=min_examples)
    except ServiceError as exc:
        fail(exc.message)
    click.echo(f"Retrained on {report.examples} decisions ({report.positives} check-worthy).")
    if report.ap_before is not None:
        click.echo(f"Held-out decisions: {report.held_out}; average precision "
                   f"{report.ap_before:.3f} before, {report.ap_after:.3f} after.")


@click.command()
def score() -> None:
    """Read sentences one per line on stdin; print one check-worthiness score per line."""
    from annotator import extract as ex

    lines = sys.stdin.read().splitlines()
    for value in ex.score_texts(lines):
        click.echo(f"{value:.6f}")


COMMANDS = [demo, import_cmd, clean, extract, sentences, score, retrain]
