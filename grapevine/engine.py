"""The collection engine: it owns state so collectors don't have to.

For each job (one source x one brand) it reads the cursor, runs the collector, re-checks
every mention against the configured queries, and writes each page's mentions with the
advanced cursor in one transaction. An unsorted source gets its cursor written only when
the run ends. Whatever happens inside a collector, or in the store while saving (a full
disk, a read-only file), is recorded in ``runs`` as one line; nothing escapes
:meth:`Engine.run_job`, so one broken source never stops the scheduler or the other
sources, and no traceback reaches a user (it is logged at debug level).

Sources that page back in time plan their own pages (``plans_pages``): the engine hands
them the page budget (``max_pages``) and they spend it fresh-first (see
:mod:`collectors.window`). A stop request (SIGINT/SIGTERM) ends a run within a fraction of
a second, even mid-request, recorded ``stopped`` with every committed page kept.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime

import httpx
from sqlalchemy.exc import SQLAlchemyError

from collectors import REGISTRY, Collector, CollectorError, ConfigurationError, HttpSession
from collectors.base import Search
from collectors.errors import Stopped
from collectors.http import Limits, RetryPolicy
from collectors.payload import cap_raw
from config import Brand, Settings
from config.secrets import redact
from core.mention import Mention, Page
from core.query import Query
from storage import Match, RunCounters, Store

__all__ = ["BrandMatcher", "Engine", "Job", "RunResult"]

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _wait_on_stop(seconds: float) -> None:
    """The default ``sleep``: stands for :meth:`Engine._interruptible_sleep` (a wait
    that a stop request cuts short), which needs the engine's stop flag."""
    raise NotImplementedError  # replaced in Engine.__init__


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
        sleep: Callable[[float], None] = _wait_on_stop,
        clock: Callable[[], datetime] = utcnow,
        stop: threading.Event | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.replay = frozenset(replay)
        self._transports = dict(transports or {})
        self._clock = clock
        self.stop = stop or threading.Event()
        # By default a wait is cut short by a stop request (the session then raises Stopped).
        self._sleep = self._interruptible_sleep if sleep is _wait_on_stop else sleep
        c = settings.collect
        self.limits = limits or Limits(
            connect_timeout=c.connect_timeout_seconds,
            read_timeout=c.timeout_seconds,
            total_timeout=c.request_deadline_seconds,
            max_response_bytes=int(c.max_response_mb * 1024 * 1024),
        )
        self.max_raw_bytes = int(c.max_raw_kb * 1024)
        self.matcher = BrandMatcher(settings.tracked)

    def _interruptible_sleep(self, seconds: float) -> None:
        self.stop.wait(seconds)

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
            limits=self.limits,
            stop=self.stop,
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
            timeout=self.limits.timeout(),
            headers={"User-Agent": self.settings.collect.user_agent},
            follow_redirects=True,
        )

    def run_job(self, job: Job, on_page: Callable[[Job, Page], None] | None = None) -> RunResult:
        """Run one job to its end and record it; never raises for a collector's or the
        store's failure (only KeyboardInterrupt/SystemExit pass, after recording)."""
        replay = job.source in self.replay
        counters = RunCounters()
        try:
            run_id = self.store.start_run(job.source, job.brand, replay=replay)
        except SQLAlchemyError as exc:
            reason = _store_message(exc)
            log.error("%s could not start: %s", job.id, reason)
            counters.errors += 1
            return RunResult(job, 0, "failed", counters, reason, replay)
        status: str = "ok"
        message: str | None = None
        session: HttpSession | None = None
        repaired: list[str] = []
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
            search = Search(
                terms=terms,
                languages=tuple(brand.languages),
                page_budget=max_pages if cls.plans_pages else None,
            )
            cursor = self.store.get_cursor(job.source, job.brand)
            with self._client(job.source, cls) as client:
                session = self._session(job.source, client)
                last_cursor = None
                for pages, page in enumerate(collector.collect(session, search, cursor), 1):
                    self._save(job, cls, page, counters)
                    last_cursor = page.cursor
                    if session.repairs:
                        repaired += self._repaired(job, page, session.repairs)
                        session.repairs.clear()
                    if page.errors and message is None:
                        message = f"skipped records: {'; '.join(page.errors[:3])}"
                    if on_page is not None:
                        on_page(job, page)
                    if self.stop.is_set():
                        status, message = "stopped", "stopped on request after a committed page"
                        break
                    if not cls.plans_pages and pages >= max_pages:
                        break
                if not cls.is_sorted and last_cursor is not None and status == "ok":
                    self.store.put_cursor(job.source, job.brand, last_cursor)
            if status == "ok" and (counters.skipped or repaired):
                status = "degraded"
                if message is None and repaired:
                    message = "; ".join(repaired[:3])
        except ConfigurationError as exc:
            # Not a failure of the API: the source cannot run until someone configures it.
            status, message = "disabled", f"not configured: {exc}"
            log.warning("%s is disabled: %s", job.id, redact(str(exc)))
        except Stopped:
            status, message = "stopped", "stopped on request; committed pages kept"
            log.warning("%s stopped on request", job.id)
        except CollectorError as exc:
            status, message = "failed", f"{type(exc).__name__}: {exc}"
            counters.errors += 1
            log.warning("%s failed: %s", job.id, redact(message))
        except SQLAlchemyError as exc:
            status, message = "failed", _store_message(exc)
            counters.errors += 1
            log.error("%s failed: %s", job.id, message)
            log.debug("%s store failure", job.id, exc_info=True)
        except (KeyboardInterrupt, SystemExit):
            self._finish(job, run_id, "stopped", counters, session, "interrupted")
            raise
        except Exception as exc:  # a bug in a collector must not stop the others
            status, message = "failed", f"unexpected {type(exc).__name__}: {_one_line(exc)}"
            counters.errors += 1
            log.error("%s crashed: %s", job.id, redact(message))
            log.debug("%s crashed", job.id, exc_info=True)
        recorded = self._finish(job, run_id, status, counters, session, message)
        if not recorded and status not in ("failed", "stopped"):
            status, message = "failed", "the store could not record the run's end"
        return RunResult(job, run_id, status, counters, message and redact(message), replay)

    @staticmethod
    def _repaired(job: Job, page: Page, repairs: Sequence[str]) -> list[str]:
        """Name the records whose text carries U+FFFD after a body had invalid UTF-8."""
        ids = [
            m.external_id
            for m in page.mentions
            if "\ufffd" in m.text or "\ufffd" in (m.title or "") or "\ufffd" in (m.author or "")
        ]
        notes = []
        for repair in repairs:
            note = f"{repair}" + (f" (records {', '.join(ids[:5])})" if ids else "")
            log.warning("%s: %s", job.id, redact(note))
            notes.append(note)
        return notes

    def _finish(
        self,
        job: Job,
        run_id: int,
        status: str,
        counters: RunCounters,
        session: HttpSession | None,
        message: str | None,
    ) -> bool:
        if session is not None:
            counters.rate_limit_waits = session.rate_limit_waits
            counters.waited_seconds = session.waited_seconds
        try:
            self.store.finish_run(run_id, status, counters, message and redact(message))
        except SQLAlchemyError as exc:
            log.error("%s: could not record the run (%s)", job.id, _store_message(exc))
            return False
        return True

    def _save(self, job: Job, cls: type[Collector], page: Page, counters: RunCounters) -> None:
        kept: list[Mention] = []
        matched: dict[tuple[str, str], list[Match]] = {}
        for mention in page.mentions:
            found = self.matcher.match(mention)
            if found:
                raw, cut = cap_raw(mention.raw, self.max_raw_bytes)
                if cut:
                    mention = dataclasses.replace(mention, raw=raw)
                kept.append(mention)
                matched[mention.key] = found
        cursor = (job.source, job.brand, page.cursor) if cls.is_sorted else None
        new, dupes = self.store.save_page(kept, matched, cursor=cursor)
        counters.new += new
        counters.duplicates += dupes
        counters.skipped += page.skipped
        counters.errors += len(page.errors)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def _store_message(exc: SQLAlchemyError) -> str:
    """A store failure in one line: ``store: database or disk is full`` (the driver's
    words, without the SQL statement and parameters SQLAlchemy appends)."""
    original = getattr(exc, "orig", None)
    cause = _one_line(original) if original is not None else _one_line(exc)
    return f"store failed ({type(exc).__name__}): {redact(cause)}"
