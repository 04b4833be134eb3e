"""The collection engine: it owns state so collectors don't have to.

For each job (one source x one brand) it reads the cursor, runs the collector, re-checks
every mention against the configured queries, and writes each page's mentions with the
advanced cursor in one transaction. An unsorted source gets its cursor written only when
the run ends. Whatever happens inside a collector is recorded in ``runs``; nothing a
collector raises escapes :meth:`Engine.run_job`, so one broken source never stops the
scheduler or the other sources.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime

import httpx

from collectors import REGISTRY, Collector, CollectorError, ConfigurationError, HttpSession
from collectors.base import Search
from collectors.http import RetryPolicy
from config import Brand, Settings
from config.secrets import redact
from grapevine.mention import Mention, Page
from grapevine.query import Query
from storage import Match, RunCounters, Store

__all__ = ["BrandMatcher", "Engine", "Job", "RunResult"]

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclasses.dataclass(frozen=True, slots=True)
class Job:
    """One scheduled unit of collection: a source searched for one brand or competitor."""

    source: str
    brand: str

    @property
    def id(self) -> str:
        return f"{self.source}:{self.brand}"


@dataclasses.dataclass(frozen=True, slots=True)
class RunResult:
    job: Job
    run_id: int
    status: str  # ok, degraded, failed, stopped, disabled (missing configuration or credentials)
    counters: RunCounters
    message: str | None = None
    replay: bool = False


@dataclasses.dataclass(frozen=True)
class _Compiled:
    brand: Brand
    query: Query
    exclusions: tuple[Query, ...]
    category: Query | None


class BrandMatcher:
    """Decides which tracked names a mention is about; the local re-check of every query.

    Every mention is checked against *all* brands and competitors, not only the one whose
    job found it, so share of voice counts the same mention wherever it was collected.
    """

    def __init__(self, brands: Sequence[Brand]) -> None:
        self._compiled = [
            _Compiled(b, b.parsed_query, tuple(b.parsed_exclusions), b.parsed_category)
            for b in brands
        ]

    def match(self, mention: Mention) -> list[Match]:
        text = mention.searchable_text
        found: list[Match] = []
        for c in self._compiled:
            languages = c.brand.languages
            if languages and mention.language and mention.language not in languages:
                continue
            if c.query.matches(text) and not any(q.matches(text) for q in c.exclusions):
                found.append(Match(c.brand.name, "brand"))
            elif c.category is not None and c.category.matches(text):
                found.append(Match(c.brand.name, "category"))
            if c.brand.is_own_account(mention.source, mention.author):
                found.append(Match(c.brand.name, "own"))
        return found


class Engine:
    """Runs collection jobs against a store."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        replay: Iterable[str] = (),
        transports: Mapping[str, httpx.BaseTransport] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = utcnow,
        stop: threading.Event | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.replay = frozenset(replay)
        self._transports = dict(transports or {})
        self._sleep = sleep
        self._clock = clock
        self.stop = stop or threading.Event()
        self.matcher = BrandMatcher(settings.tracked)

    def jobs(
        self, sources: Sequence[str] | None = None, brands: Sequence[str] | None = None
    ) -> list[Job]:
        enabled = self.settings.enabled_sources()
        names = list(sources) if sources else list(enabled)
        unknown = [s for s in names if s not in REGISTRY]
        if unknown:
            raise ConfigurationError(f"unknown source(s) {unknown}; available: {sorted(REGISTRY)}")
        tracked = (
            [self.settings.brand(b).name for b in brands]
            if brands
            else [b.name for b in self.settings.tracked]
        )
        return [Job(s, b) for s in names for b in tracked]

    def _session(self, source: str, client: httpx.Client) -> HttpSession:
        c = self.settings.collect
        policy = RetryPolicy(max_retries=c.max_retries, max_wait=c.max_wait_seconds)
        return HttpSession(
            client,
            policy=policy,
            sleep=self._sleep,
            clock=self._clock,
            replay=source in self.replay,
        )

    def _client(self, source: str, collector: type[Collector]) -> httpx.Client:
        settings = self.settings.sources.get(source)
        base_url = (settings.base_url if settings else None) or collector.default_base_url
        transport = self._transports.get(source)
        if transport is None and source in self.replay:
            transport = collector.replay_transport(base_url)
        return httpx.Client(
            base_url=base_url,
            transport=transport,
            timeout=self.settings.collect.timeout_seconds,
            headers={"User-Agent": self.settings.collect.user_agent},
            follow_redirects=True,
        )

    def run_job(self, job: Job, on_page: Callable[[Job, Page], None] | None = None) -> RunResult:
        """Run one job to its end and record it; never raises for a collector's failure."""
        replay = job.source in self.replay
        run_id = self.store.start_run(job.source, job.brand, replay=replay)
        counters = RunCounters()
        status, message = "ok", None
        session: HttpSession | None = None
        try:
            cls = REGISTRY.get(job.source)
            if cls is None:
                raise ConfigurationError(f"no collector named {job.source!r}")
            source_settings = self.settings.sources.get(job.source)
            options = source_settings.options if source_settings else {}
            max_pages = source_settings.max_pages if source_settings else 10
            collector = cls.from_config(options)
            brand = self.settings.brand(job.brand)
            terms = list(brand.parsed_query.search_terms)
            if brand.parsed_category is not None:
                terms += [t for t in brand.parsed_category.search_terms if t not in terms]
            search = Search(terms=terms, languages=tuple(brand.languages))
            cursor = self.store.get_cursor(job.source, job.brand)
            with self._client(job.source, cls) as client:
                session = self._session(job.source, client)
                last_cursor = None
                for pages, page in enumerate(collector.collect(session, search, cursor), 1):
                    self._save(job, cls, page, counters)
                    last_cursor = page.cursor
                    if page.errors and message is None:
                        message = f"skipped records: {'; '.join(page.errors[:3])}"
                    if on_page is not None:
                        on_page(job, page)
                    if self.stop.is_set():
                        status, message = "stopped", "stopped on request after a committed page"
                        break
                    if pages >= max_pages:
                        break
                if not cls.is_sorted and last_cursor is not None and status == "ok":
                    self.store.put_cursor(job.source, job.brand, last_cursor)
            if status == "ok" and counters.skipped:
                status = "degraded"
        except ConfigurationError as exc:
            # Not a failure of the API: the source cannot run until someone configures it.
            status, message = "disabled", f"not configured: {exc}"
            log.warning("%s is disabled: %s", job.id, redact(str(exc)))
        except CollectorError as exc:
            status, message = "failed", f"{type(exc).__name__}: {exc}"
            counters.errors += 1
            log.warning("%s failed: %s", job.id, redact(message))
        except (KeyboardInterrupt, SystemExit):
            self._finish(run_id, "stopped", counters, session, "interrupted")
            raise
        except Exception as exc:  # a bug in a collector must not stop the others
            status, message = "failed", f"unexpected {type(exc).__name__}: {exc}"
            counters.errors += 1
            log.exception("%s crashed", job.id)
        self._finish(run_id, status, counters, session, message)
        return RunResult(job, run_id, status, counters, message and redact(message), replay)

    def _finish(
        self,
        run_id: int,
        status: str,
        counters: RunCounters,
        session: HttpSession | None,
        message: str | None,
    ) -> None:
        if session is not None:
            counters.rate_limit_waits = session.rate_limit_waits
            counters.waited_seconds = session.waited_seconds
        self.store.finish_run(run_id, status, counters, message and redact(message))

    def _save(self, job: Job, cls: type[Collector], page: Page, counters: RunCounters) -> None:
        kept: list[Mention] = []
        matched: dict[tuple[str, str], list[Match]] = {}
        for mention in page.mentions:
            found = self.matcher.match(mention)
            if found:
                kept.append(mention)
                matched[mention.key] = found
        cursor = (job.source, job.brand, page.cursor) if cls.is_sorted else None
        new, dupes = self.store.save_page(kept, matched, cursor=cursor)
        counters.new += new
        counters.duplicates += dupes
        counters.skipped += page.skipped
        counters.errors += len(page.errors)
