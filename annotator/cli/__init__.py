"""The `annotator` command line. Every command brings the database schema up to date first.

Each module of this package holds one command group and lists its click commands in
`COMMANDS`; `main` registers the modules named in `_MODULES` below.
"""

from __future__ import annotations

import logging
import sys

import click

from annotator.cli import (
    articles,
    database,
    exchange,
    factchecks,
    feeds,
    jobs,
    search,
    server,
    sources,
    users,
)

log = logging.getLogger("annotator.cli")


class _Commands(click.Group):
    """The command group; a failure prints `Error: <sentence>` and exits 1, never a traceback.

    Click's own usage errors keep their exit status 2. Refusals (services' Invalid, Denied,
    Conflict...) carry their sentence; anything unexpected is named by its kind, and its
    traceback goes to the log at debug level only.
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit,
                KeyboardInterrupt):
            raise
        except RecursionError:
            _fail("the input nests too deeply to read.")
        except OverflowError:
            _fail("a number is too large for the database.")
        except (OSError, ValueError, LookupError) as exc:
            _fail(_sentence(exc))
        except Exception as exc:  # the CLI's last word: never a traceback
            log.debug("command failed", exc_info=True)
            _fail(_sentence(exc))


def _sentence(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@click.group(cls=_Commands)
@click.version_option(package_name="annotator")
def main() -> None:
    """Fact-check and claim annotation workbench."""


_MODULES = (database, users, articles, jobs, exchange, server, factchecks, search, feeds,
            sources)

for _module in _MODULES:
    for _command in _module.COMMANDS:
        main.add_command(_command)


if __name__ == "__main__":
    main()
