"""The `annotator` command line. Every command brings the database schema up to date first.

Each module of this package holds one command group and lists its click commands in
`COMMANDS`; `main` registers the modules named in `_MODULES` below.
"""

from __future__ import annotations

import click

from annotator.cli import (
    articles,
    database,
    exchange,
    factchecks,
    jobs,
    search,
    server,
    users,
)


@click.group()
@click.version_option(package_name="annotator")
def main() -> None:
    """Fact-check and claim annotation workbench."""


_MODULES = (database, users, articles, jobs, exchange, server, factchecks, search)

for _module in _MODULES:
    for _command in _module.COMMANDS:
        main.add_command(_command)


if __name__ == "__main__":
    main()
