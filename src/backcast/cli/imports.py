"""``backcast import readings FILE --kpi ID``: a CSV or XLSX file of readings into a KPI.

``backcast import FILE`` (a first argument that names no subcommand) restores a backup: it is
routed to ``backcast import backup FILE`` (``cli/backup.py``) by :class:`ImportGroup`.

Thin: it opens the file and calls the import service, with a progress bar on a terminal. The
command acts as the operator, who holds the database already: no role is checked and the readings
carry no ``recorded_by``, unless ``--as EMAIL`` names the person they come from, whose role in the
KPI's organisation is then checked as on the web (contributor or up). A bad file, an unknown KPI
or person is one line on standard error and exit status 2; nothing is written.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from backcast.cli import backup, setup
from backcast.cli.errors import fail, reported


class ImportGroup(TyperGroup):
    """``backcast import``'s subcommands, and ``backcast import FILE`` for ``import backup FILE``."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """(name, command, arguments); Any, as Typer's vendored click types are not public."""
        first = args[0] if args else None
        if first is not None and first not in self.commands and (first == "-" or not first.startswith("-")):
            return "backup", self.commands["backup"], args
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=ImportGroup,
    help="Import data from files: backcast import FILE restores a backup (from backcast export) "
    "into an empty database; backcast import readings FILE --kpi ID reads a KPI's readings from CSV or XLSX.",
    no_args_is_help=True,
)
app.command("backup")(backup.restore)


@app.command("readings")
def readings(
    file: str = typer.Argument(
        ...,
        help="A CSV or XLSX file with a header row: date, value and optionally key ('-' reads standard input).",
    ),
    kpi: int = typer.Option(..., "--kpi", help="The id of the KPI the readings are for."),
    as_email: str = typer.Option(
        "", "--as", metavar="EMAIL", help="Record the readings as this person (their role is checked)."
    ),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="On a bad file, also list every faulty row (up to 1,000), one a line."
    ),
) -> None:
    """Import the readings of a KPI from a CSV or XLSX file: all of them, or none.

    One reading a row under a header naming the columns date (YYYY-MM-DD, or a date cell) and
    value, and optionally key (the idempotency key; without one it is derived from the date and
    value, so importing the same file again records nothing twice). CSV may be separated by
    commas, semicolons or tabs; with semicolons or tabs a value may use a decimal comma. A file
    with any faulty row is refused whole, naming the rows and what is wrong with them.
    """
    setup.django(migrate=True)
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from backcast.accounts.models import User
    from backcast.services.intake.imports import ImportRejected, import_readings

    actor = None
    if as_email:
        actor = User.objects.filter(email=as_email.strip().lower(), is_active=True).first()
        if actor is None:
            fail(f"--as: no active user with the e-mail address {as_email!r}")
    name = "<stdin>" if file == "-" else file
    with open_file(file) as handle, reported():
        try:
            with progress_bar(name) as report:  # gone from the terminal before any fault is printed
                result = import_readings(actor, kpi, handle, name, progress=report)
        except ImportRejected as exc:
            if verbose:
                sys.stderr.write("".join(f"{name}: {fault}\n" for fault in exc.faults))
            raise  # and reported() prints the one line
        except Http404:
            fail(f"--kpi: {as_email} can see no KPI with id {kpi}")
        except PermissionDenied:
            fail(f"--kpi: {as_email} may not record readings of KPI {kpi} (contributors and up may)")
    readings = f"{result.rows:,} reading{'' if result.rows == 1 else 's'}"
    Console(highlight=False).print(
        f"{escape(name)}: {readings} ({result.format}): {result.created:,} recorded, "
        f"{result.duplicates:,} recorded before and skipped."
    )


def open_file(file: str) -> IO[bytes]:
    """The file opened for reading bytes (standard input, spooled so it can be read twice, for '-')."""
    if file == "-":
        spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 - returned open
        shutil.copyfileobj(sys.stdin.buffer, spool)
        spool.seek(0)
        return spool
    path = Path(file)
    try:
        return path.open("rb")
    except FileNotFoundError:
        fail(f"{file}: no such file")
    except IsADirectoryError:
        fail(f"{file}: is a directory, not a file of readings")
    except OSError as exc:
        fail(f"{file}: cannot be read ({exc.strerror or exc})")


@contextmanager
def progress_bar(name: str) -> Iterator[Callable[[int, int | None], None]]:
    """A progress bar on standard error while the file is read, when that is a terminal."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task(f"Importing {escape(name)}", total=None)

        def report(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        yield report
