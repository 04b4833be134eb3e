"""Computing the figures the dashboard opens on before anyone opens it.

Figures are sums of stored days (``scoring.daily``); a day is computed on the first view
after it changed. Collectors change only today, but a new label version (a relabelling)
changes every day at once, and on a store of millions of mentions the first view would then
wait tens of seconds. The scheduler runs :func:`warm_figures` after each labelling run, so
the pages each brand opens on (its default period, no filters, the newest labels) read
stored days; a warm store costs it one recomputed day per figure.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from config.settings import Settings
from scoring.complaints import complaint_behaviour
from scoring.hotspots import community_hotspots
from scoring.overview import brand_overview
from scoring.quality import engagement_depth, quality_mix
from scoring.queries import newest_mention_day
from scoring.records import Period
from scoring.wom import word_of_mouth
from storage import daycache

__all__ = ["FIGURES", "warm_figures"]

#: The figures behind the Overview, Word of mouth, Complaints and Communities pages.
FIGURES: tuple[Callable[..., Any], ...] = (
    brand_overview,
    word_of_mouth,
    complaint_behaviour,
    community_hotspots,
    quality_mix,
    engagement_depth,
)


def warm_figures(bind: Engine, settings: Settings, *, stop: threading.Event | None = None) -> int:
    """Compute every brand's default figures: the ``[app] default_period_days`` ending on
    its newest mention's day (what the dashboard opens on), after dropping the stored days
    that changed since they were stored. Returns how many figures were computed; a set
    ``stop`` ends it between figures."""
    with bind.begin() as conn:  # first drop what no view will read again (storage.daycache)
        daycache.drop_stale(conn)
    days = settings.app.default_period_days
    done = 0
    for brand in settings.brands:
        with bind.connect() as conn:
            last = newest_mention_day(conn, brand.name)
        if last is None:
            continue
        period = Period.days(last - timedelta(days=days - 1), last)
        for figure in FIGURES:
            if stop is not None and stop.is_set():
                return done
            with bind.connect() as conn:
                figure(conn, settings, brand.name, period)
            done += 1
    return done
