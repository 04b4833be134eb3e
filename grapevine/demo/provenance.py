"""What each source's bundled replay files are: recorded API responses, or bodies written
from the API's documented schema.

Each ``collectors/recordings/<source>/PROVENANCE.md`` says which (and a test keeps this
table and those files in agreement). The CLI's replay banner, the dashboard's Sources page
and the demo banner say "recorded" only where it is true.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["RECORDED", "SCHEMA_WRITTEN", "describe", "replay_note"]

#: sources whose replay files are real responses recorded from the API
RECORDED = frozenset({"bluesky", "hackernews", "mastodon", "reddit"})
#: sources whose replay files were written from the documented response format
SCHEMA_WRITTEN = frozenset({"appstore", "googleplay", "rss", "stackexchange"})
#: Discourse: ``/posts.json`` is recorded, ``/search.json`` is written from the schema
PARTLY_RECORDED = frozenset({"discourse"})


def describe(source: str) -> str:
    """What ``source`` replays, in a few words."""
    if source in RECORDED:
        return "recorded API responses"
    if source in PARTLY_RECORDED:
        return "recorded responses, search written from the documented schema"
    return "written from the documented schema"


def replay_note(sources: Iterable[str]) -> str:
    """One sentence for a set of replayed sources: which are recorded and which written."""
    names = sorted(set(sources))
    recorded = [s for s in names if s in RECORDED]
    partly = [s for s in names if s in PARTLY_RECORDED]
    written = [s for s in names if s not in RECORDED and s not in PARTLY_RECORDED]
    parts = []
    if recorded:
        parts.append(f"recorded API responses for {', '.join(recorded)}")
    if partly:
        parts.append(f"partly recorded for {', '.join(partly)}")
    if written:
        parts.append(f"written from the documented schema for {', '.join(written)}")
    return "; ".join(parts)
