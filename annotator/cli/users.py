"""`annotator users ...`: accounts and API tokens."""

from __future__ import annotations

import click

from annotator.cli._common import ID, fail, migrated_engine
from annotator.review import ROLES


@click.group()
def users() -> None:
    """Manage accounts."""


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES),
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
    engine = migrated_engine()
    try:
        with session_scope(engine) as session:
            user = user_service.create_user(session, username, role, password, display_name,
                                            audit=True)
            secret = None
            if token:
                _, secret = user_service.create_token(session, user, name="created on the CLI",
                                                      audit=True)
    except ServiceError as exc:
        fail(exc.message)
    click.echo(f"Created {role} {username!r}.")
    if secret:
        click.echo(secret)


def _user_change(username: str, change):
    """Run change(session, user) on the named user in one transaction; return its result."""
    from annotator.db import session_scope
    from annotator.services import users as user_service
    from annotator.services.errors import ServiceError

    engine = migrated_engine()
    try:
        with session_scope(engine) as session:
            return change(session, user_service.find_user(session, username))
    except ServiceError as exc:
        fail(exc.message)


@users.command("list")
def users_list() -> None:
    """List users: username, role, active or not, display name."""
    from annotator.db import session_scope
    from annotator.services import users as user_service

    with session_scope(migrated_engine(), write=False) as session:
        for user in user_service.list_users(session):
            state = "active" if user.active else "deactivated"
            click.echo(f"{user.username}\t{user.role}\t{state}\t{user.display_name}")


@users.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
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
@click.option("--expires-days", type=click.IntRange(1, 3650), default=None,
              help="Expire after N days; default never.")
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
        with session_scope(migrated_engine(), write=False) as session:
            owner = user_service.find_user(session, username) if username else None
            for token, user in user_service.list_tokens(session, owner):
                click.echo(f"{token.id}\t{user.username}\t{token.name}\t"
                           f"{stamp(token.created_at)}\t{stamp(token.expires_at)}\t"
                           f"{user_service.token_status(token)}")
    except ServiceError as exc:
        fail(exc.message)


@users.command("revoke-token")
@click.argument("token_id", type=ID)
def users_revoke_token(token_id) -> None:
    """Revoke an API token by its id (see `annotator users tokens`)."""
    from annotator.db import session_scope
    from annotator.services import users as user_service
    from annotator.services.errors import ServiceError

    try:
        with session_scope(migrated_engine()) as session:
            user_service.revoke_token(session, None, token_id)
    except ServiceError as exc:
        fail(exc.message)
    click.echo(f"Token {token_id} is revoked.")


COMMANDS = [users]
