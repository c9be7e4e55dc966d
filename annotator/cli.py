"""The `annotator` command line. Every command brings the database schema up to date first."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from annotator import config as settings

DEMO_USER = "demo"
DEMO_PASSWORD = "demo-editor-2026"  # noqa: S105 - printed to the operator on purpose


def _url() -> str:
    return settings.default_database_url()


def _engine():
    from annotator import migrate
    from annotator.db import get_engine

    url = _url()
    migrate.upgrade(url)
    return get_engine(url)


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@click.group()
@click.version_option(package_name="annotator")
def main() -> None:
    """Fact-check and claim annotation workbench."""


@main.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the database schema to the newest revision."""
    from annotator import migrate

    migrate.upgrade(_url())
    click.echo(f"Database at revision {migrate.current(_url())}.")


@db.command("current")
def db_current() -> None:
    """Print the database's current revision and the newest one."""
    from annotator import migrate

    click.echo(f"current: {migrate.current(_url())}\nhead: {migrate.head(_url())}")


@main.group()
def users() -> None:
    """Manage accounts."""


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "editor", "reviewer", "viewer"]),
              required=True)
@click.option("--password", help="Give the password; otherwise it is prompted for.")
@click.option("--display-name", default="")
@click.option("--token", is_flag=True, help="Also create an API token; printed on the last line.")
def users_create(username, role, password, display_name, token) -> None:
    """Create a user."""
    from annotator.db import session_scope
    from annotator.services import users as user_service
    from annotator.services.errors import ServiceError

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    engine = _engine()
    try:
        with session_scope(engine) as session:
            user = user_service.create_user(session, username, role, password, display_name)
            secret = None
            if token:
                _, secret = user_service.create_token(session, user, name="created on the CLI")
    except ServiceError as exc:
        _fail(exc.message)
    click.echo(f"Created {role} {username!r}.")
    if secret:
        click.echo(secret)


@main.command()
def demo() -> None:
    """Create the demo editor account and demo article, if the database has no users yet."""
    from sqlmodel import select

    from annotator.db import session_scope
    from annotator.models import User
    from annotator.services import articles as article_service
    from annotator.services import users as user_service

    engine = _engine()
    with session_scope(engine) as session:
        if session.exec(select(User)).first() is not None:
            click.echo("The database has users already; no demo data added.")
            return
        user = user_service.create_user(session, DEMO_USER, "editor", DEMO_PASSWORD,
                                        "Demo Editor")
        text = (Path(__file__).parent / "demo_article.txt").read_text(encoding="utf-8")
        article = article_service.import_article(session, user, article_service.ImportRequest(
            text=text, outlet="Riverton Gazette (demo)", published="2026-05-20"))
        click.echo(f"Demo article {article.id}: {article.title}")
    click.echo(f"Demo editor account: username {DEMO_USER!r}, password {DEMO_PASSWORD!r}")


@main.command("import")
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

    engine = _engine()
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
        _fail(exc.message)
    click.echo(article_id)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--jsonl", is_flag=True, required=True, help="One JSON object per line.")
@click.option("--lang", default=None)
def extract(file: Path, jsonl: bool, lang) -> None:
    """Print the proposed claims of a text file, without touching the database."""
    from annotator import extract as ex

    cleaned = ex.clean_text(file.read_text(encoding="utf-8"))
    language = lang or ex.detect_language(cleaned.text)
    for c in ex.extract_claims(cleaned.text, language, captions=cleaned.captions):
        if c.proposed:
            click.echo(json.dumps({"start": c.start, "end": c.end, "quote": c.quote,
                                   "statement": c.statement, "score": round(c.score, 4),
                                   "reasons": list(c.reasons)}, ensure_ascii=False))


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--jsonl", is_flag=True, required=True, help="One JSON object per line.")
@click.option("--lang", default="en", show_default=True)
def sentences(file: Path, jsonl: bool, lang: str) -> None:
    """Split a text file into sentences as given (no cleaning); print start, end and text."""
    from annotator import extract as ex

    for s in ex.split_sentences(file.read_text(encoding="utf-8"), lang):
        click.echo(json.dumps({"start": s.start, "end": s.end, "text": s.text},
                              ensure_ascii=False))


@main.command()
def score() -> None:
    """Read sentences one per line on stdin; print one check-worthiness score per line."""
    from annotator import extract as ex

    lines = sys.stdin.read().splitlines()
    for value in ex.score_texts(lines):
        click.echo(f"{value:.6f}")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True)
@click.option("--article", "article_ids", type=int, multiple=True, help="Only this article.")
@click.option("--state", "states", multiple=True)
@click.option("--verdict", "verdicts", multiple=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def export(fmt: str, article_ids, states, verdicts, output: Path | None) -> None:
    """Export claims; streams to stdout or to a file."""
    from annotator.db import new_session
    from annotator.exports import ExportFilter, export_json

    engine = _engine()
    filters = ExportFilter(article_ids=list(article_ids), states=list(states),
                           verdicts=list(verdicts))
    session = new_session(engine)
    try:
        chunks = export_json(session, filters)
        if output is None:
            for chunk in chunks:
                sys.stdout.write(chunk)
        else:
            tmp = output.with_name(output.name + ".part")
            with tmp.open("w", encoding="utf-8") as fh:
                for chunk in chunks:
                    fh.write(chunk)
            tmp.replace(output)  # a reader never sees half a file
    finally:
        session.close()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def serve(host: str, port: int) -> None:
    """Upgrade the database and serve the app with Flask's server (for one desk or trying it)."""
    from annotator import create_app

    _engine()
    create_app().run(host=host, port=port, threaded=True)


if __name__ == "__main__":
    main()
