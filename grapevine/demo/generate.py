"""A realistic month of mentions for the configured brands, ending now: the demo's data.

What it is made to show, so that every page and every alert rule has something to say:

- every source, with its own kinds (posts, comments, reviews, questions, answers), its
  communities (with readable names: subreddits, instances, app listings, sites, forums,
  publishers) and its engagement counts;
- six languages (English, German, French, Spanish, Portuguese, Japanese);
- authors who post often — a few fans and a few critics, so advocates and detractors exist;
- complaints, some answered by the brand's own accounts (hours later), some not;
- talk in the brand's category that names no brand (hotspots where the brand is absent);
- quieter weekends, and in the last day an outage for every configured brand that has
  alert rules: a volume spike, a negative swing, engaged complaints left unanswered, the
  incident keywords, and a local community that suddenly fills up (a new hotspot).

The texts come from :mod:`grapevine.demo.texts` (written for the demo). Brand matches are
not decided here: the demo stores the mentions through the engine's own matcher, and the
shipped classifier labels them, so every figure is computed exactly as for collected data.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import math
import random
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from config import Brand, Settings
from core.mention import Mention, MentionKind
from grapevine.demo import texts

__all__ = ["DemoMonth", "generate_month"]

DAYS = 30
#: mentions per day naming each tracked name, before weekends and the incident
_DAILY = (22.0, 18.0, 14.0, 10.0)
_CATEGORY_DAILY = 5.0
_LANGUAGES = (("en", 0.66), ("de", 0.09), ("fr", 0.08), ("es", 0.08), ("pt", 0.05), ("ja", 0.04))
#: source -> (share of mentions, kinds with weights)
_SOURCES: dict[str, tuple[float, tuple[tuple[MentionKind, float], ...]]] = {
    "reddit": (0.25, ((MentionKind.POST, 0.25), (MentionKind.COMMENT, 0.75))),
    "hackernews": (0.10, ((MentionKind.POST, 0.2), (MentionKind.COMMENT, 0.8))),
    "stackexchange": (0.05, ((MentionKind.QUESTION, 0.6), (MentionKind.ANSWER, 0.4))),
    "appstore": (0.12, ((MentionKind.REVIEW, 1.0),)),
    "googleplay": (0.12, ((MentionKind.REVIEW, 1.0),)),
    "mastodon": (0.12, ((MentionKind.POST, 0.8), (MentionKind.COMMENT, 0.2))),
    "bluesky": (0.11, ((MentionKind.POST, 0.85), (MentionKind.COMMENT, 0.15))),
    "discourse": (0.05, ((MentionKind.POST, 0.4), (MentionKind.COMMENT, 0.6))),
    "rss": (0.08, ((MentionKind.POST, 1.0),)),
}
#: sources whose people write in English here (news headlines, HN, Stack Overflow)
_ENGLISH_ONLY = frozenset({"hackernews", "stackexchange", "rss"})

#: known app listings: brand -> (App Store id, Google Play package, the listing's name)
_APPS: dict[str, tuple[str, str, str]] = {
    "waymo": ("1463803563", "com.waymo.carapp", "Waymo One"),
    "facebook": ("284882215", "com.facebook.katana", "Facebook"),
    "tesla": ("582007913", "com.teslamotors.tesla", "Tesla"),
}
_SUBREDDITS = ("SelfDrivingCars", "technology", "sanfrancisco", "privacy", "electricvehicles")
_INSTANCES = ("mastodon.social", "fosstodon.org", "social.tchncs.de", "mastodon.online")
_SITES = {
    "stackoverflow": "Stack Overflow",
    "android": "Android Enthusiasts",
    "webapps": "Web Applications",
}
_PUBLISHERS = {
    "citydesk.example": "City Desk",
    "techwire.example": "Tech Wire",
    "dailycommute.example": "The Daily Commute",
}
#: where the incident's locals gather (the demo's "new hotspot")
_LOCAL = "reddit:r/phoenix"
_FORUM = "discourse:forum.riders.example"
_FORUM_NAME = "Riders Forum"


@dataclasses.dataclass(frozen=True)
class DemoMonth:
    """The generated mentions, oldest first, and the display names of their communities."""

    mentions: tuple[Mention, ...]
    community_names: dict[str, str]
    start: datetime
    end: datetime


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.casefold()) or "brand"


def _apps(brand: Brand) -> tuple[str, str, str]:
    known = _APPS.get(_slug(brand.name))
    if known is not None:
        return known
    digits = str(int(hashlib.sha256(brand.name.encode()).hexdigest(), 16))[:9]
    return digits, f"com.{_slug(brand.name)}.app", brand.name


def _handles(rng: random.Random, n: int) -> list[str]:
    first = ["sam", "lee", "mika", "jo", "ari", "nora", "tomas", "ines", "yuki", "pat", "kai"]
    first += ["lena", "omar", "zoe", "marc", "ana", "ravi", "elif", "ben", "chloe", "hugo"]
    second = ["rides", "codes", "bikes", "in_sf", "writes", "dev", "travels", "cooks", "runs"]
    second += ["reads", "builds", "on_tour", "photo", "daily", "nyc", "pdx", "atx", "phx"]
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        handle = f"{rng.choice(first)}_{rng.choice(second)}"
        if rng.random() < 0.5:
            handle += str(rng.randint(2, 99))
        if handle not in seen:
            seen.add(handle)
            out.append(handle)
    return out


def _pick(rng: random.Random, items: Sequence[tuple[str, float]]) -> str:
    return rng.choices([v for v, _ in items], weights=[w for _, w in items])[0]


@dataclasses.dataclass
class _Writer:
    """Turns (when, brand, mood, source) into a Mention, keeping ids, authors and replies."""

    rng: random.Random
    settings: Settings
    now: datetime
    names: dict[str, str] = dataclasses.field(default_factory=dict)
    mentions: list[Mention] = dataclasses.field(default_factory=list)
    serial: int = 0

    def __post_init__(self) -> None:
        self.crowd = _handles(self.rng, 700)
        self.fans = self.crowd[:6]
        self.critics = self.crowd[6:12]
        self.others = self.crowd[12:]
        self.others_weights = list(
            itertools.accumulate(1 / (i + 1) ** 0.5 for i in range(len(self.others)))
        )

    # -- where --------------------------------------------------------------------------

    def community(self, source: str, brand: Brand | None, language: str) -> str:
        rng = self.rng
        if source == "reddit":
            if brand is not None and rng.random() < 0.45:
                own = [c for c in brand.own_communities if c.startswith("reddit:")]
                return own[0] if own else f"reddit:r/{brand.name}"
            return f"reddit:r/{rng.choice(_SUBREDDITS)}"
        if source == "hackernews":
            return "hackernews"
        if source == "stackexchange":
            site = rng.choice(list(_SITES))
            self.names[f"stackexchange:{site}"] = _SITES[site]
            return f"stackexchange:{site}"
        if source in ("appstore", "googleplay"):
            owner = brand or self.rng.choice(self.settings.tracked)
            app_id, package, title = _apps(owner)
            if source == "appstore":
                community, store = f"appstore:{app_id}", "App Store"
            else:
                community, store = f"googleplay:{package}", "Google Play"
            self.names[community] = f"{title} ({store})"
            return community
        if source == "mastodon":
            return f"mastodon:{'social.tchncs.de' if language == 'de' else rng.choice(_INSTANCES)}"
        if source == "bluesky":
            return "bluesky"
        if source == "discourse":
            self.names[_FORUM] = _FORUM_NAME
            return _FORUM
        host = rng.choice(list(_PUBLISHERS))
        self.names[f"news:{host}"] = _PUBLISHERS[host]
        return f"news:{host}"

    # -- who ----------------------------------------------------------------------------

    def author(self, source: str, community: str, mood: str) -> str | None:
        rng = self.rng
        if source == "rss":
            return None  # news items: the publisher is the community, not an author
        if mood == "positive" and rng.random() < 0.12:
            return rng.choice(self.fans)
        if mood in ("complaint", "incident") and rng.random() < 0.12:
            return rng.choice(self.critics)
        # a long tail: most people post once or twice, a few post often
        return rng.choices(self.others, cum_weights=self.others_weights)[0]

    # -- what ---------------------------------------------------------------------------

    def text(self, brand: Brand | None, mood: str, language: str) -> tuple[str, str | None]:
        """(text, complaint topic)."""
        rng = self.rng
        if brand is None:
            terms = self._category_terms()
            return rng.choice(texts.CATEGORY).format(c=rng.choice(terms)), None
        lines = texts.MOODS[language]
        if mood == "complaint":
            if language == "en":
                topic = rng.choice(list(texts.TOPICS))
                return rng.choice(texts.TOPICS[topic]).format(b=brand.name), topic
            return rng.choice(lines["complaint"]).format(b=brand.name), None
        return rng.choice(lines[mood]).format(b=brand.name), None

    def _category_terms(self) -> list[str]:
        terms: list[str] = []
        for b in self.settings.brands:
            if b.parsed_category is not None:
                terms += [t for t in b.parsed_category.search_terms if "*" not in t]
        return terms or ["the category"]

    # -- how much -----------------------------------------------------------------------

    def engagement(self, source: str, mood: str, loud: bool) -> dict[str, Any]:
        rng = self.rng
        boost = 6 if loud else 1

        def heavy(alpha: float) -> int:
            return int(rng.paretovariate(alpha) * boost) - 1

        rating = {"positive": rng.choice((4, 5, 5)), "neutral": 3}.get(mood, rng.choice((1, 1, 2)))
        if source in ("reddit", "hackernews"):
            return {"score": heavy(1.2), "comments": heavy(1.5)}
        if source == "stackexchange":
            return {
                "score": heavy(1.8),
                "comments": rng.randint(0, 4),
                "answers": rng.randint(0, 3),
            }
        if source in ("appstore", "googleplay"):
            return {"rating": rating, "helpful_votes": heavy(1.4)}
        if source in ("mastodon", "bluesky"):
            return {"score": heavy(1.3), "comments": heavy(2.0)}
        if source == "discourse":
            return {"score": heavy(1.6)}
        return {}

    # -- the record ---------------------------------------------------------------------

    def write(
        self,
        when: datetime,
        brand: Brand | None,
        mood: str,
        *,
        source: str | None = None,
        community: str | None = None,
        loud: bool = False,
    ) -> Mention:
        rng = self.rng
        if source is None:
            source = _pick(rng, [(s, w) for s, (w, _k) in _SOURCES.items()])
        language = "en" if source in _ENGLISH_ONLY else _pick(rng, _LANGUAGES)
        if mood == "complaint" and language != "en" and "complaint" not in texts.MOODS[language]:
            language = "en"
        community = community or self.community(source, brand, language)
        kind = MentionKind(_pick(rng, [(str(k), w) for k, w in _SOURCES[source][1]]))
        text, _topic = self.text(brand, mood, language)
        title = None
        if source == "appstore":  # App Store reviews have a title; Google Play's do not
            title = _REVIEW_TITLES.get(mood) if language == "en" else None
        elif kind in (MentionKind.POST, MentionKind.QUESTION) and source not in _UNTITLED:
            title, text = _headline(text)
        self.serial += 1
        external_id = f"demo-{source}-{self.serial}"
        parent = None
        if kind in (MentionKind.COMMENT, MentionKind.ANSWER):
            parent = f"demo-{source}-thread-{rng.randint(1, 400)}"
        mention = Mention(
            source=source,
            external_id=external_id,
            kind=kind,
            created_at=when,
            text=text,
            title=title,
            community=community,
            author=self.author(source, community, mood),
            parent_id=parent,
            thread_id=parent,
            language=language,
            raw={"generated_by": "grapevine demo", "mood": mood},
            **self.engagement(source, mood, loud),
        )
        self.mentions.append(mention)
        return mention

    def reply(self, to: Mention, brand: Brand, after: timedelta) -> None:
        """The brand's own account answers ``to`` (same source and community)."""
        handles = brand.own_accounts.get(to.source)
        when = to.created_at + after
        if not handles or when >= self.now:
            return
        language = to.language if to.language in texts.REPLIES else "en"
        self.serial += 1
        kind = MentionKind.ANSWER if to.source == "stackexchange" else MentionKind.COMMENT
        self.mentions.append(
            Mention(
                source=to.source,
                external_id=f"demo-{to.source}-{self.serial}",
                kind=kind,
                created_at=when,
                text=self.rng.choice(texts.REPLIES[language]).format(b=brand.name),
                community=to.community,
                author=handles[0],
                parent_id=to.external_id,
                thread_id=to.thread_id or to.external_id,
                language=language,
                raw={"generated_by": "grapevine demo", "mood": "reply"},
                score=self.rng.randint(1, 12),
            )
        )


def _headline(text: str) -> tuple[str | None, str]:
    """A post's title and body: its first sentence and the rest (no title for one line)."""
    parts = re.split(r"(?<=[.!?。！？])\s+", text, maxsplit=1)
    if len(parts) < 2 or not parts[1].strip():
        return None, text
    return parts[0], parts[1]


#: sources whose posts have no title (microblogs)
_UNTITLED = frozenset({"mastodon", "bluesky"})
_REVIEW_TITLES = {
    "positive": "Love it",
    "neutral": "Some questions",
    "complaint": "Needs work",
    "incident": "Broken tonight",
}


def _count(rng: random.Random, mean: float) -> int:
    return max(0, round(rng.gauss(mean, math.sqrt(mean))))


def _mood(rng: random.Random, incident: bool) -> str:
    if incident:
        return _pick(
            rng, (("incident", 0.55), ("complaint", 0.15), ("positive", 0.12), ("neutral", 0.18))
        )
    return _pick(rng, (("positive", 0.45), ("neutral", 0.35), ("complaint", 0.20)))


def _has_rules(settings: Settings, brand: Brand) -> bool:
    return any(rule.brand.casefold() == brand.name.casefold() for rule in settings.alerts.rules)


def generate_month(settings: Settings, now: datetime, *, seed: int = 7) -> DemoMonth:
    """Mentions of every tracked brand (and its category) over the 30 days before ``now``."""
    rng = random.Random(seed)
    writer = _Writer(rng, settings, now)
    start = now - timedelta(days=DAYS)
    tracked = list(settings.tracked)
    with_incident = {b.name for b in settings.brands if _has_rules(settings, b)}
    for day in range(DAYS, 0, -1):
        day_end = now - timedelta(days=day - 1)
        day_start = day_end - timedelta(days=1)
        weekend = day_start.weekday() >= 5
        for i, brand in enumerate(tracked):
            incident = day == 1 and brand.name in with_incident
            mean = _DAILY[min(i, len(_DAILY) - 1)] * (0.7 if weekend else 1.0)
            mean *= 4.0 if incident else (1.3 if day == 2 and brand.name in with_incident else 1)
            for _ in range(_count(rng, mean)):
                if incident:  # the outage: most of it in the last 14 hours
                    when = now - timedelta(hours=rng.uniform(0.3, 14))
                else:
                    when = day_start + timedelta(seconds=rng.uniform(0, 86_400 - 60))
                mood = _mood(rng, incident)
                mention = writer.write(when, brand, mood, loud=incident and rng.random() < 0.4)
                if mood in ("complaint", "incident"):
                    answered = rng.random() < (0.12 if incident else 0.55)
                    if answered:
                        writer.reply(mention, brand, timedelta(hours=rng.expovariate(1 / 5)))
            if incident and i == 0:  # locals fill a community that was quiet: a new hotspot
                for _ in range(18):
                    when = now - timedelta(hours=rng.uniform(0.3, 10))
                    writer.write(
                        when,
                        brand,
                        rng.choice(("incident", "complaint", "neutral")),
                        source="reddit",
                        community=_LOCAL,
                        loud=True,
                    )
        for _ in range(_count(rng, _CATEGORY_DAILY * (0.7 if weekend else 1.0))):
            when = day_start + timedelta(seconds=rng.uniform(0, 86_400 - 60))
            writer.write(when, None, "neutral")
    mentions = tuple(sorted(writer.mentions, key=lambda m: m.created_at))
    return DemoMonth(mentions, dict(sorted(writer.names.items())), start, now)
