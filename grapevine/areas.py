"""The registry through which each area adds its commands and its scheduled jobs.

Built-in areas register exactly as a third-party one would (as Datasette's default plugins
do): an area is a module with an ``AREA`` attribute, named in :data:`BUILTIN_AREAS` or
advertised by an installed package under the ``grapevine.areas`` entry-point group. The
command line and the scheduler ask this registry; neither imports an area by name.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Sequence
from datetime import timedelta
from functools import cache
from importlib.metadata import entry_points
from typing import Any

import typer

from config import Settings
from grapevine.engine import Engine
from storage import Store

__all__ = [
    "BUILTIN_AREAS",
    "ENTRY_POINT_GROUP",
    "Area",
    "JobContext",
    "ScheduledJob",
    "installed_areas",
    "scheduled_jobs",
]

#: Areas that ship with Grapevine, in the order their commands appear in ``--help``.
BUILTIN_AREAS: tuple[str, ...] = (
    "grapevine.collect.area",
    "grapevine.labelling.area",
    "grapevine.alerts.area",
    "grapevine.export.area",
    "grapevine.privacy.area",
    "grapevine.demo.area",
    "grapevine.worker.area",
    "grapevine.workflow.area",
)
ENTRY_POINT_GROUP = "grapevine.areas"


@dataclasses.dataclass(frozen=True)
class JobContext:
    """What a scheduled job may use: the settings, the store, and the collection engine
    (whose ``stop`` event every long job should watch)."""

    settings: Settings
    store: Store
    engine: Engine


@dataclasses.dataclass(frozen=True)
class ScheduledJob:
    """A periodic task: APScheduler decides when, ``func`` does the work."""

    id: str
    every: timedelta
    func: Callable[[], Any]
    #: False for collection jobs: ``grapevine run`` has just collected once before starting
    start_now: bool = True


@dataclasses.dataclass(frozen=True)
class Area:
    """One part of Grapevine as the command line and the scheduler see it."""

    name: str
    #: adds the area's commands (or a sub-app) to the root ``grapevine`` app
    add_commands: Callable[[typer.Typer], None] | None = None
    #: the area's periodic jobs for ``grapevine run``
    jobs: Callable[[JobContext], Sequence[ScheduledJob]] | None = None
    #: per-installation set-up that ``grapevine init`` runs (idempotent)
    on_init: Callable[[Settings, Store], None] | None = None


@cache
def installed_areas() -> tuple[Area, ...]:
    """Built-in areas, then those installed packages advertise."""
    modules = [importlib.import_module(name) for name in BUILTIN_AREAS]
    found: list[Area] = [module.AREA for module in modules]
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        area = entry.load()
        if not isinstance(area, Area):
            raise TypeError(f"entry point {entry.name!r} ({entry.value}) is not an Area")
        found.append(area)
    names = [area.name for area in found]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise ValueError(f"two areas named {', '.join(sorted(duplicates))}")
    return tuple(found)


def scheduled_jobs(context: JobContext) -> list[ScheduledJob]:
    """Every area's periodic jobs."""
    return [job for area in installed_areas() if area.jobs for job in area.jobs(context)]
