"""The ``backcast`` command. Thin: it parses arguments and calls services or the planning core.

Django is imported only inside the commands that need it, so ``backcast plan`` stays an offline
tool that starts fast and never touches a database.
"""

from __future__ import annotations

import os
import sys
from datetime import date

import typer
from rich.console import Console

from backcast.cli import backup, imports, setup
from backcast.cli.errors import fail, reported
from backcast.cli.plan import plan
from backcast.cli.worker import worker

app = typer.Typer(
    name="backcast",
    help="Backcast: backward goal-setting for operations teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
user_app = typer.Typer(help="Manage people and their organisations.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(imports.app, name="import")
app.command("plan")(plan)
app.command("export")(backup.export)
app.command("worker")(worker)
console = Console()


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(
        int(os.environ.get("WEB_CONCURRENCY", "2")), min=1, help="Worker processes (gunicorn)."
    ),
    threads: int = typer.Option(4, min=1, help="Threads per worker process."),
    with_worker: bool = typer.Option(
        False,
        "--worker/--no-worker",
        help="Also run `backcast worker` (reminders, digests, notifications) as a child process.",
    ),
) -> None:
    """Start the web app: migrate the database if needed, then serve it.

    Uses gunicorn, a production WSGI server; with DEBUG=true, Django's autoreloading server instead.
    With --worker, `backcast worker` runs beside it and is stopped when serving ends; without, run
    `backcast worker` yourself (one or several, anywhere) to send notifications.
    """
    setup.django(migrate=True)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    from backcast.cli.server import check_port_free, run_gunicorn

    check_port_free(host, port)
    if settings.PRODUCTION:
        call_command("collectstatic", interactive=False, verbosity=0)
    connections.close_all()  # workers open their own connections
    console.print(
        f"Backcast on [bold]http://{host}:{port}/[/] ({setup.describe_database()})", highlight=False
    )
    from backcast.cli.server import background_worker

    with background_worker(with_worker):
        if settings.DEBUG:
            call_command("runserver", f"{host}:{port}")
        else:
            run_gunicorn(host, port, workers, threads)


@app.command()
def demo(
    if_empty: bool = typer.Option(
        False, "--if-empty", help="Only load the demo into a database that has no organisation yet."
    ),
) -> None:
    """Fill the database with a demo organisation and print how to log in."""
    setup.django(migrate=True)
    from backcast.services.platform.demo import load_demo

    with reported():
        login = load_demo(date.today(), only_if_empty=if_empty)  # noqa: DTZ011 - the machine's calendar day
    if login is None:
        console.print("The database already holds organisations; the demo was not loaded.")
        return
    verb = "Loaded" if login.created else "Already loaded:"
    console.print(f"{verb} the demo organisation [bold]{login.organization}[/].", highlight=False)
    console.print(
        f"Log in as [bold]{login.email}[/] with the password [bold]{login.password}[/]",
        highlight=False,
    )


def read_password() -> str:
    """The password from standard input when piped, else asked for twice without echo."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            fail("password: standard input was empty; pipe the password on one line")
        return line
    import getpass

    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password (again): "):
        fail("password: the two passwords differ")
    return first


@user_app.command("create")
def user_create(
    email: str = typer.Argument(..., help="The person's e-mail address (their login)."),
    org: str = typer.Option(..., "--org", help="Organisation slug or name; created if missing."),
    role: str = typer.Option("contributor", "--role", help="viewer, contributor, owner or admin."),
    name: str = typer.Option("", "--name", help="The person's name as others see it."),
) -> None:
    """Create a user (or update their password) with a role in an organisation.

    The password is read from standard input when one is piped, else asked for.
    """
    setup.django(migrate=True)
    from backcast.services.platform.accounts import create_user
    from backcast.services.platform.organizations import check_role

    with reported():
        check_role(role)
        user, membership = create_user(email, read_password(), org=org, role=role, name=name)
    console.print(
        f"{user.email} is {membership.role} of {membership.organization.name} "
        f"(/{'o/' + membership.organization.slug}/).",
        highlight=False,
    )


@token_app.command("create")
def token_create(
    email: str = typer.Argument(..., help="The user the token acts as."),
    name: str = typer.Option("", "--name", help="A name to recognise the token by."),
    scope: str = typer.Option("write", "--scope", help="read or write."),
) -> None:
    """Create an API token for a user and print it as the last line (it is shown only once)."""
    setup.django(migrate=True)
    from backcast.accounts.models import User
    from backcast.services.platform.tokens import create_token

    with reported():
        user = User.objects.filter(email=email.strip().lower()).first()
        if user is None:
            fail(f"no user with the e-mail address {email!r}")
        token, raw = create_token(user, name, scope)
    sys.stderr.write(f"Token {token.name!r} ({token.scope}) for {user.email}; it is not shown again:\n")
    print(raw)


@token_app.command("list")
def token_list(email: str = typer.Argument(..., help="Whose tokens.")) -> None:
    """List a user's tokens: prefix, name, scope, last use, revocation."""
    setup.django(migrate=True)
    from rich.table import Table

    from backcast.accounts.models import ApiToken

    table = Table("prefix", "name", "scope", "created", "last used", "revoked")
    for t in ApiToken.objects.filter(user__email=email.strip().lower()):
        table.add_row(
            t.prefix,
            t.name,
            t.scope,
            f"{t.created_at:%Y-%m-%d %H:%M}",
            f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never",
            f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "",
        )
    console.print(table)


@token_app.command("revoke")
def token_revoke(
    email: str = typer.Argument(..., help="Whose token."),
    prefix: str = typer.Argument(..., help="The token's prefix, as shown by token list."),
) -> None:
    """Revoke a token: it stops working at once."""
    setup.django(migrate=True)
    from backcast.accounts.models import User
    from backcast.services.platform.tokens import revoke_token

    with reported():
        user = User.objects.filter(email=email.strip().lower()).first()
        if user is None:
            fail(f"no user with the e-mail address {email!r}")
        revoke_token(user, prefix)
    console.print(f"Token {prefix} revoked.")


@app.command(
    "manage",
    context_settings={
        "allow_extra_args": True,
        "ignore_unknown_options": True,
        "help_option_names": [],
    },
)
def manage(ctx: typer.Context) -> None:
    """Run one of Django's management commands, e.g. `backcast manage createsuperuser`."""
    setup.django()
    from django.core.management import execute_from_command_line

    with reported():
        execute_from_command_line(["backcast manage", *ctx.args])


@app.command()
def purge() -> None:
    """Delete for good the goals and milestones that have been in the trash for its retention
    period: TRASH_RETENTION_DAYS, 30 days unless set.

    The worker does this on every tick; this runs it once, now. The activity keeps their trail.
    """
    setup.django(migrate=True)
    from django.utils import timezone

    from backcast.services.goals.trash import purge_expired

    with reported():
        count = purge_expired(timezone.now())
    console.print(f"Purged {count} item{'' if count == 1 else 's'} from the trash.", highlight=False)


def run() -> None:
    """Entry point of the console script."""
    app()
