"""How many late-arriving statuses a Mastodon tag loses, with and without the late margin
(``late_minutes``), on a simulated live timeline.

    python benchmarks/bench_late_arrivals.py [--hours 12] [--seed 7]

A simulation, not a recording: statuses are published at a steady rate; most reach the
instance at once, some federate minutes late (their ids still come from their publication
time, as Mastodon mints them), a few an hour late. The collector runs every 30 minutes
with the configured page budget against a server that answers ``since_id``/``max_id``/
``limit`` as Mastodon does, and a last run two hours after the last publication lets the
stragglers arrive. Printed per traffic level and setting: statuses published, missed for
good, stored twice, and requests made. The delays are assumptions (chosen to show the
mechanism), not measured federation delays.
"""

from __future__ import annotations

import argparse
import random
from datetime import UTC, datetime, timedelta

import httpx

from collectors.base import Search
from collectors.http import HttpSession
from collectors.mastodon import Mastodon, MastodonOptions

START = datetime(2026, 11, 2, tzinfo=UTC)
EVERY = timedelta(minutes=30)


class Instance:
    """A Mastodon instance's tag timeline as seen at ``now``: the statuses that have
    arrived, newest first by id."""

    def __init__(self, per_minute: float, hours: float, rng: random.Random) -> None:
        self.statuses: list[tuple[int, datetime]] = []  # (id, arrival)
        self.now = START
        self.requests = 0
        t = START
        end = START + timedelta(hours=hours)
        while t < end:
            t += timedelta(minutes=rng.expovariate(per_minute))
            roll = rng.random()
            delay = (
                timedelta(minutes=rng.uniform(1, 8))  # federates a few minutes late
                if roll < 0.15
                else timedelta(minutes=rng.uniform(20, 60))  # an hour late: past any margin
                if roll < 0.17
                else timedelta(0)
            )
            ms = int(t.timestamp() * 1000)
            self.statuses.append(((ms << 16) | rng.randrange(1 << 16), t + delay))
        self.end = end

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        params = request.url.params
        ids = sorted((i for i, arrived in self.statuses if arrived <= self.now), reverse=True)
        if "max_id" in params:
            ids = [i for i in ids if i < int(params["max_id"])]
        if "since_id" in params:
            ids = [i for i in ids if i > int(params["since_id"])]
        body = [_status(i) for i in ids[: int(params.get("limit", "20"))]]
        return httpx.Response(200, json=body, request=request)


def _status(local_id: int) -> dict[str, object]:
    created = datetime.fromtimestamp((local_id >> 16) / 1000, UTC)
    return {
        "id": str(local_id),
        "uri": f"https://remote.example/statuses/{local_id}",
        "url": f"https://remote.example/@a/{local_id}",
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "content": "<p>#grapevine sim</p>",
        "language": "en",
        "account": {"id": "1", "acct": "a@remote.example", "username": "a"},
        "in_reply_to_id": None,
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "tags": [{"name": "grapevine"}],
    }


def simulate(per_minute: float, hours: float, late_minutes: float, seed: int) -> dict[str, int]:
    instance = Instance(per_minute, hours, random.Random(seed))
    collector = Mastodon(MastodonOptions(hashtags=["grapevine"], late_minutes=late_minutes))
    client = httpx.Client(
        base_url="https://mastodon.example", transport=httpx.MockTransport(instance.answer)
    )
    http = HttpSession(client, sleep=lambda _: None, clock=lambda: instance.now)
    cursor = None
    stored: list[str] = []
    instance.now = START + EVERY
    while instance.now <= instance.end + timedelta(hours=2):
        for page in collector.collect(http, Search([], page_budget=50), cursor):
            stored.extend(m.raw["id"] for m in page.mentions)
            cursor = page.cursor
        instance.now += EVERY
    published = {str(i) for i, _ in instance.statuses}
    return {
        "published": len(published),
        "missed": len(published - set(stored)),
        "twice": len(stored) - len(set(stored)),
        "requests": instance.requests,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=12.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(
        f"{args.hours:g} h of statuses, a run every 30 min (50 pages of 40), 15 % of statuses "
        "1-8 min late, 2 % 20-60 min late"
    )
    print("| statuses/min | late_minutes | published | missed | stored twice | requests |")
    print("| --- | --- | --- | --- | --- | --- |")
    for per_minute in (0.5, 5.0, 40.0):
        for late_minutes in (0.0, 10.0):
            r = simulate(per_minute, args.hours, late_minutes, args.seed)
            print(
                f"| {per_minute:g} | {late_minutes:g} | {r['published']} | {r['missed']} "
                f"| {r['twice']} | {r['requests']} |"
            )


if __name__ == "__main__":
    main()
