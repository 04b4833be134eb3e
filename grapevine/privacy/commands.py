"""``grapevine users add|remove|list`` (local dashboard accounts) and ``grapevine forget``
(delete a person's data on request). Thin: they parse, call :mod:`accounts` or
:mod:`forget`, and say what happened."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from config.app import ROLES
from grapevine.privacy.accounts import AccountError, add_user, remove_user
from grapevine.privacy.forget import NoKeyError, forget_author, forget_mentions
from grapevine.runtime import (
    ConfigOption,
    DatabaseOption,
    console,
    load_settings,
    open_settings_store,
    setup_logging,
)

__all__ = ["forget_command", "users_app"]

users_app = typer.Typer(
    help="Local dashboard accounts (when there is no identity provider).", no_args_is_help=True
)
out = Console()


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = str(typer.prompt("Password", hide_input=True))
    if first != str(typer.prompt("Repeat the password", hide_input=True)):
        console.print("[bold red]The passwords differ.[/]")
        raise typer.Exit(2)
    return first


@users_app.command("add")
def add_command(
    username: Annotated[str, typer.Argument(help="The name to log in with.")],
    role: Annotated[
        str, typer.Option("--role", "-r", help=f"One of {', '.join(ROLES)}.")
    ] = "viewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Create an account, or give an existing one a new password and role. Any account
    makes the dashboard ask for a login."""
    setup_logging()
    settings = load_settings(config, database_url)
    store = open_settings_store(settings)
    try:
        new = add_user(store, username, _password(password_stdin), role)
    except AccountError as exc:
        console.print(f"[bold red]{exc}[/]")
        raise typer.Exit(2) from None
    verb = "Added" if new else "Updated"
    console.print(f"[green]{verb}[/] {username} ({role}). The dashboard now asks for a login.")


@users_app.command("remove")
def remove_command(
    username: Annotated[str, typer.Argument(help="The account to delete.")],
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Delete an account; its open dashboard sessions end at their next click."""
    setup_logging()
    store = open_settings_store(load_settings(config, database_url))
    if not remove_user(store, username):
        console.print(f"[bold red]No account named {username}.[/]")
        raise typer.Exit(1)
    console.print(f"[green]Removed[/] {username}.")


@users_app.command("list")
def list_command(config: ConfigOption = None, database_url: DatabaseOption = None) -> None:
    """Accounts, their roles and when they were created (never a password or its hash)."""
    setup_logging()
    store = open_settings_store(load_settings(config, database_url))
    users = store.list_users()
    if not users:
        console.print("No accounts: a loopback dashboard is open to this machine's users.")
        return
    table = Table("user", "role", "created", "changed")
    for u in users:
        table.add_row(
            u["username"], u["role"], f"{u['created_at']:%Y-%m-%d}", f"{u['updated_at']:%Y-%m-%d}"
        )
    out.print(table)


def forget_command(
    author: Annotated[
        str | None, typer.Option("--author", "-a", help="The person's handle on --source.")
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", "-s", help="Where the handle is (e.g. reddit).")
    ] = None,
    mention: Annotated[
        list[int] | None,
        typer.Option("--mention", "-m", help="A mention id (as the dashboard shows; repeatable)."),
    ] = None,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Delete a person's mentions (with their labels, matches and alert quotes) on request,
    and keep collectors from storing them again."""
    setup_logging()
    if (author is None) == (not mention):
        console.print("[bold red]Give --author with --source, or --mention, not both.[/]")
        raise typer.Exit(2)
    if author is not None and not source:
        console.print("[bold red]--author needs --source: a handle names a person on one site.[/]")
        raise typer.Exit(2)
    settings = load_settings(config, database_url)
    store = open_settings_store(settings)
    try:
        if author is not None:
            assert source is not None
            report = forget_author(store, source, author)
            who = f"{author} on {source}"
        else:
            report = forget_mentions(store, mention or [])
            who = "mention " + ", ".join(str(m) for m in mention or [])
    except NoKeyError as exc:
        console.print(f"[bold red]Cannot forget:[/] {exc}")
        raise typer.Exit(2) from None
    console.print(f"[green]Forgot[/] {who}:")
    for line in report.lines():
        out.print(f"  {line}")
    if report.mentions == 0:
        console.print("[yellow]Nothing was stored for it; the tombstone still keeps it out.[/]")
    console.print(
        "Exports written before now still hold these rows: delete or re-make them "
        "(docs/privacy.md)."
    )
