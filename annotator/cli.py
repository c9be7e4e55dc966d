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
            user = user_service.create_user(session, username, role, password, display_name,
                                            audit=True)
            secret = None
            if token:
                _, secret = user_service.create_token(session, user, name="created on the CLI",
                                                      audit=True)
    except ServiceError as exc:
        _fail(exc.message)
    click.echo(f"Created {role} {username!r}.")
    if secret:
        click.echo(secret)


def _user_change(username: str, change):
    """Run change(session, user) on the named user in one transaction; return its result."""
    from annotator.db import session_scope
    from annotator.services import users as user_service
    from annotator.services.errors import ServiceError

    engine = _engine()
    try:
        with session_scope(engine) as session:
            return change(session, user_service.find_user(session, username))
    except ServiceError as exc:
        _fail(exc.message)


@users.command("list")
def users_list() -> None:
    """List users: username, role, active or not, display name."""
    from annotator.db import session_scope
    from annotator.services import users as user_service

    with session_scope(_engine(), write=False) as session:
        for user in user_service.list_users(session):
            state = "active" if user.active else "deactivated"
            click.echo(f"{user.username}\t{user.role}\t{state}\t{user.display_name}")


@users.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(["admin", "editor", "reviewer", "viewer"]))
def users_set_role(username, role) -> None:
    """Change a user's role."""
    from annotator.services import users as user_service

    _user_change(username, lambda s, u: user_service.change_role(s, None, u, role))
    click.echo(f"{username!r} is now {role}.")


@users.command("deactivate")
@click.argument("username")
def users_deactivate(username) -> None:
    """Stop a user signing in and their tokens working; their history stays."""
    from annotator.services import users as user_service

    _user_change(username, lambda s, u: user_service.deactivate(s, None, u))
    click.echo(f"{username!r} is deactivated: they cannot sign in and their tokens stop working.")


@users.command("reactivate")
@click.argument("username")
def users_reactivate(username) -> None:
    """Let a deactivated user sign in again."""
    from annotator.services import users as user_service

    _user_change(username, lambda s, u: user_service.reactivate(s, None, u))
    click.echo(f"{username!r} is active again.")


@users.command("reset-password")
@click.argument("username")
@click.option("--password", help="Give the new password; otherwise it is prompted for.")
def users_reset_password(username, password) -> None:
    """Set a new password for a user."""
    from annotator.services import users as user_service

    if password is None:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    _user_change(username, lambda s, u: user_service.reset_password(s, None, u, password))
    click.echo(f"The password of {username!r} is reset.")


@users.command("token")
@click.argument("username")
@click.option("--expires-days", type=int, default=None, help="Expire after N days; default never.")
@click.option("--name", default="created on the CLI", show_default=True)
def users_token(username, expires_days, name) -> None:
    """Create an API token for a user; printed alone on the last line."""
    from annotator.services import users as user_service

    def make(session, user):
        token, secret = user_service.create_token(
            session, user, name, user_service.expiry_in_days(expires_days), audit=True)
        expiry = token.expires_at.strftime("%Y-%m-%d %H:%M UTC") if token.expires_at else "never"
        return f"Token {token.id} for {username!r}, expires {expiry}:\n{secret}"

    click.echo(_user_change(username, make))


@users.command("tokens")
@click.argument("username", required=False)
def users_tokens(username) -> None:
    """List API tokens (one user's, or everyone's): id, user, name, created, expires, status."""
    from annotator.db import session_scope
    from annotator.services import users as user_service
    from annotator.services.errors import ServiceError

    def stamp(value) -> str:
        return value.strftime("%Y-%m-%d") if value else "-"

    try:
        with session_scope(_engine(), write=False) as session:
            owner = user_service.find_user(session, username) if username else None
            for token, user in user_service.list_tokens(session, owner):
                click.echo(f"{token.id}\t{user.username}\t{token.name}\t"
                           f"{stamp(token.created_at)}\t{stamp(token.expires_at)}\t"
                           f"{user_service.token_status(token)}")
    except ServiceError as exc:
        _fail(exc.message)


@users.command("revoke-token")
@click.argument("token_id", type=int)
def users_revoke_token(token_id) -> None:
    """Revoke an API token by its id (see `annotator users tokens`)."""
    from annotator.db import session_scope
    from annotator.services import users as user_service
    from annotator.services.errors import ServiceError

    try:
        with session_scope(_engine()) as session:
            user_service.revoke_token(session, None, token_id)
    except ServiceError as exc:
        _fail(exc.message)
    click.echo(f"Token {token_id} is revoked.")


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
@click.option("--min-examples", default=20, show_default=True,
              help="Refuse to retrain on fewer decisions than this.")
def retrain(min_examples: int) -> None:
    """Retrain the desk's claim scorer on its accepted, dismissed and added claims."""
    from annotator.db import session_scope
    from annotator.services import learning
    from annotator.services.errors import ServiceError

    engine = _engine()
    try:
        with session_scope(engine) as session:
            report = learning.retrain_desk(session, None, min_examples=min_examples)
    except ServiceError as exc:
        _fail(exc.message)
    click.echo(f"Retrained on {report.examples} decisions ({report.positives} check-worthy).")
    if report.ap_before is not None:
        click.echo(f"Held-out decisions: {report.held_out}; average precision "
                   f"{report.ap_before:.3f} before, {report.ap_after:.3f} after.")


@main.group()
def jobs() -> None:
    """Background exports and imports."""


@jobs.command("prune")
@click.option("--days", default=30, show_default=True, type=click.IntRange(min=0),
              help="Keep finished jobs younger than this.")
def jobs_prune(days: int) -> None:
    """Delete finished jobs and their files older than --days."""
    from datetime import timedelta

    from annotator.db import session_scope
    from annotator.services import jobs as job_service

    engine = _engine()
    with session_scope(engine) as session:
        removed = job_service.prune(session, timedelta(days=days))
    click.echo(f"Removed {removed} finished job(s) older than {days} day(s).")


@main.command()
def score() -> None:
    """Read sentences one per line on stdin; print one check-worthiness score per line."""
    from annotator import extract as ex

    lines = sys.stdin.read().splitlines()
    for value in ex.score_texts(lines):
        click.echo(f"{value:.6f}")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["json", "claimreview", "wadm", "csv"]),
              default="json", show_default=True)
@click.option("--article", "article_ids", type=int, multiple=True, help="Only this article.")
@click.option("--state", "states", multiple=True)
@click.option("--verdict", "verdicts", multiple=True)
@click.option("--since", default=None, help="Claims changed on or after: YYYY-MM-DD or ISO time.")
@click.option("--until", default=None, help="Claims changed up to (a date: that day included).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def export(fmt: str, article_ids, states, verdicts, since, until, output: Path | None) -> None:
    """Export claims in any format; streams to stdout or to a file."""
    from annotator.db import new_session
    from annotator.exports import ExportFilter, parse_day, run_export

    try:
        filters = ExportFilter(article_ids=list(article_ids), states=list(states),
                               verdicts=list(verdicts), since=parse_day(since),
                               until=parse_day(until, end=True))
    except ValueError as exc:
        _fail(str(exc))
    engine = _engine()
    config = settings.load()
    session = new_session(engine)
    try:
        chunks = run_export(session, fmt, filters, base_url=config["PUBLIC_BASE_URL"],
                            desk_name=config["DESK_NAME"])
        if output is None:
            for chunk in chunks:
                sys.stdout.write(chunk)
            sys.stdout.flush()
        else:
            tmp = output.with_name(output.name + ".part")
            with tmp.open("w", encoding="utf-8", newline="") as fh:
                for chunk in chunks:
                    fh.write(chunk)
            tmp.replace(output)  # a reader never sees half a file
    finally:
        session.close()


@main.command("import-json")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "as_user", default=None, help="Username recorded as the importer.")
def import_json_cmd(file: Path, as_user) -> None:
    """Load a native JSON export (people, verdicts, articles, claims, history) in one go."""
    from annotator.db import session_scope
    from annotator.exports.json_import import import_json
    from annotator.services import users as user_service
    from annotator.services.errors import ServiceError

    engine = _engine()
    try:
        with file.open("rb") as fh, session_scope(engine) as session:
            actor = user_service.user_by_name(session, as_user) if as_user else None
            if as_user and actor is None:
                raise ServiceError(f"No user {as_user!r}.")
            report = import_json(session, fh, actor=actor)
    except ServiceError as exc:
        _fail(exc.message)
    click.echo(report.summary())


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(file: Path) -> None:
    """Copy the live SQLite database to FILE (safe while the app serves); PostgreSQL: pg_dump."""
    from annotator.backup import BackupError, backup_sqlite, pg_dump_recipe, sqlite_path

    url = _url()
    try:
        source = sqlite_path(url)
        if source is None:
            click.echo(pg_dump_recipe(url, str(file)), err=True)
            _fail("annotator backup copies SQLite databases only; use pg_dump as shown above.")
        target = backup_sqlite(source, file)
    except BackupError as exc:
        _fail(str(exc))
    click.echo(f"Backed up {source} to {target}.")


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
