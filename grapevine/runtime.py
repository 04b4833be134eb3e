"""What every command shares, and nothing else: the console, logging set-up, the settings
loader (flags over environment over file) and the store opener.

A leaf of the faces layer: it imports only ``config`` and ``storage``, so any area's
commands may use it without importing the CLI that calls them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler

from config import ConfigError, Settings, install_redaction, load_config, load_dotenv_file
from storage import Store, database_url_for_display, open_store

__all__ = [
    "ConfigOption",
    "DatabaseOption",
    "VerboseOption",
    "console",
    "load_settings",
    "open_settings_store",
    "setup_logging",
]

#: Messages, progress and errors go to stderr; tables a user may pipe go to stdout.
console = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Config file (default: $GRAPEVINE_CONFIG or config/grapevine.toml)."
    ),
]
DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", help="Overrides GRAPEVINE_DATABASE_URL and the file."),
]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")]


def setup_logging(verbose: bool = False) -> None:
    """Warnings only by default, INFO with ``-v``; secrets masked in every record."""
    root = logging.getLogger()
    if not any(isinstance(h, RichHandler) for h in root.handlers):
        root.addHandler(RichHandler(console=console, show_path=False, rich_tracebacks=False))
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    install_redaction(root)


def load_settings(
    config: Path | None, database_url: str | None = None, **collect: object
) -> Settings:
    """Config with CLI flags on top; a ConfigError ends the command with its message."""
    load_dotenv_file()
    overrides: dict[str, object] = {}
    if database_url:
        overrides["store"] = {"database_url": database_url}
    collect_overrides = {k: v for k, v in collect.items() if v is not None}
    if collect_overrides:
        overrides["collect"] = collect_overrides
    try:
        return load_config(config, overrides=overrides)
    except ConfigError as exc:
        console.print(f"[bold red]Configuration error[/]\n{exc}")
        raise typer.Exit(2) from None


def open_settings_store(settings: Settings) -> Store:
    """The configured store, created or migrated; a store that cannot be opened ends the
    command with one line naming it (credentials masked)."""
    try:
        return open_store(settings.store.database_url)
    except Exception as exc:
        url = database_url_for_display(settings.store.database_url)
        console.print(f"[bold red]Cannot open the store[/] at {url}: {type(exc).__name__}: {exc}")
        raise typer.Exit(2) from None
