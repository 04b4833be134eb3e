"""What the sidebar selects, as one hashable value every page and cached query receives."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta

__all__ = ["Filters", "default_period"]


@dataclasses.dataclass(frozen=True, slots=True)
class Filters:
    """A brand, an inclusive period of whole UTC days, and the sources and languages kept.

    Empty ``sources`` or ``languages`` mean *all*: a brand manager who selects nothing
    wants everything, not an empty page. The value is hashable so cached queries key on it.
    """

    brand: str
    first_day: date
    last_day: date
    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError("the period ends before it starts")

    @property
    def start(self) -> datetime:
        """The first instant of the period (inclusive), UTC."""
        return datetime.combine(self.first_day, time(), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The instant after the period's last day (exclusive), UTC."""
        return datetime.combine(self.last_day + timedelta(days=1), time(), tzinfo=UTC)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def describe(self) -> str:
        """One line for captions: which brand, when, from where."""
        sources = ", ".join(self.sources) if self.sources else "all sources"
        languages = ", ".join(self.languages) if self.languages else "all languages"
        return (
            f"{self.brand} · {self.first_day:%d %b %Y} – {self.last_day:%d %b %Y} "
            f"({self.days} days) · {sources} · {languages}"
        )


def default_period(latest: date | None, today: date, days: int) -> tuple[date, date]:
    """The period shown when the app opens: the last ``days`` days of data.

    It ends on the newest mention's day rather than today, so a store filled from the
    bundled recordings (or one whose collectors stopped a while ago) opens on its data
    instead of on an empty fortnight. A newest mention in the future (clock skew) is capped.
    """
    end = min(latest, today) if latest is not None else today
    return end - timedelta(days=days - 1), end
