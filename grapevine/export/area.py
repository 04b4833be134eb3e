"""The export area as the registry sees it: ``grapevine export``, and the per-installation
pseudonym key that ``grapevine init`` creates (the only place that creates it)."""

from __future__ import annotations

import typer

from config import Settings
from grapevine.areas import Area
from grapevine.export.commands import export_command
from grapevine.export.pseudonym import ensure_installation_secret
from grapevine.runtime import console
from storage import Store


def _add_commands(app: typer.Typer) -> None:
    app.command("export")(export_command)


def _on_init(_settings: Settings, store: Store) -> None:
    """Create the key behind research exports' pseudonyms and forgotten people's
    tombstones, outside the store; move a key older stores kept in ``meta`` out to it."""
    setup = ensure_installation_secret(store)
    where = str(setup.path) if setup.path is not None else "the environment"
    if setup.moved_from_meta:
        console.print(f"Pseudonym key moved out of the database to {where} (mode 0600).")
    elif setup.dropped_meta_key:
        console.print(
            f"[yellow]The database held another pseudonym key; the one in {where} is kept "
            "and the database's copy deleted. Exports made before now used the other key.[/]"
        )
    else:
        console.print(f"Pseudonym key: {where}")


AREA = Area(name="export", add_commands=_add_commands, on_init=_on_init)
