"""Alembic environment: the URL comes from the caller's config, the target from models.py."""

from alembic import context
from sqlmodel import SQLModel

from annotator import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from annotator.engine import get_engine
from annotator.migrate import include_object

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = get_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        _run(conn)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite can only change a table by copying it; batch mode does that.
        render_as_batch=connection.dialect.name == "sqlite",
        # Autogenerate compares column types and server defaults too; tests/test_migrations.py
        # checks with the same options that the diff against models.py is empty.
        compare_type=True,
        compare_server_default=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
