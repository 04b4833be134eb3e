"""The alert check: evaluate every rule, and fire (store) what crossed its threshold.

Firing only writes to the outbox (:mod:`grapevine.alerts.outbox`); sending is
:func:`grapevine.alerts.deliver.deliver_pending`'s job. So a check is cheap to repeat, a
crash after it loses nothing, and the same event never fires twice: a rule that fired for a
brand stays quiet for its cooldown, an item (a complaint, a keyword hit, a community) is
never in two alerts, and the outbox refuses a second copy of an event key.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from config import Settings
from config.alerts import (
    AlertsSettings,
    AnyRule,
    ComplaintRule,
    HotspotRule,
    KeywordRule,
    NegativeSwingRule,
    VolumeSpikeRule,
)
from grapevine.alerts import outbox, queries, rules
from grapevine.alerts.digest import fire_digest_if_due
from grapevine.alerts.links import mentions_link
from scoring import Hotspot, Period, ScoringSettings, community_hotspots, resolve_model_version
from scoring.communities import community_names, display_name
from storage import Store

__all__ = ["CheckSummary", "Fired", "Quiet", "run_alert_check"]

log = logging.getLogger(__name__)
DAY = timedelta(days=1)


@dataclasses.dataclass(frozen=True, slots=True)
class Fired:
    alert_id: int
    rule: str
    brand: str
    title: str


@dataclasses.dataclass(frozen=True, slots=True)
class Quiet:
    """A rule that did not fire, and why (``cooldown``, ``no data``, ``below threshold``,
    ``already fired``) — what ``alerts check`` prints so a silent rule is explainable."""

    rule: str
    brand: str
    reason: str


@dataclasses.dataclass(frozen=True, slots=True)
class CheckSummary:
    fired: tuple[Fired, ...]
    quiet: tuple[Quiet, ...]
    digest_id: int | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Finding:
    """What a rule found: the alert's event key, what it says, and what it is about."""

    event_key: str
    title: str
    summary: str
    figure: dict[str, str]
    examples: list[dict[str, Any]]
    data: dict[str, Any]
    subjects: list[str]


@dataclasses.dataclass(frozen=True)
class _Context:
    conn: Connection
    settings: Settings
    alerts: AlertsSettings
    scoring: ScoringSettings
    store: Store
    now: datetime

    def version(self, override: str | None) -> str | None:
        return resolve_model_version(self.conn, override or self.alerts.model_version)

    @functools.cached_property
    def _community_names(self) -> dict[str, str]:
        options = {name: dict(s.options) for name, s in self.settings.sources.items()}
        return community_names(self.conn, options)

    def community(self, community: str | None) -> str:
        """The name a reader knows a community by (``r/espresso``, an app's configured
        name, a forum's host), as the dashboard shows it; ids stay in the data."""
        return display_name(community, self._community_names)

    def named(self, examples: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Example payloads with the community's display name beside its id."""
        return [{**e, "community_name": self.community(e.get("community"))} for e in examples]


def _key(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:24]


def _hour(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H")


def _signed(value: float | None) -> str:
    return "—" if value is None else f"{value:+.0f}"


def _span(length: timedelta) -> str:
    hours = length.total_seconds() / 3600
    return f"{hours / 24:g} days" if hours >= 48 and hours % 24 == 0 else f"{hours:g} h"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


# --- one evaluator per rule kind -----------------------------------------------------------


def _volume_spike(ctx: _Context, rule: VolumeSpikeRule) -> Finding | str:
    counts = queries.volume_windows(ctx.conn, rule.brand, end=ctx.now, days=rule.baseline_days)
    current, baseline = counts[0], counts[1:]
    if current == 0 and not any(baseline):
        return "no data"
    spike = rules.volume_spike(current, baseline, k=rule.k, min_mentions=rule.min_mentions)
    if spike is None:
        return "below threshold"
    sigmas = spike.sigmas
    above = f"{sigmas:.1f}σ above the mean" if sigmas is not None else "above a flat baseline"
    window = Period(ctx.now - DAY, ctx.now)
    shown = queries.examples(ctx.conn, rule.brand, window, ctx.scoring, limit=ctx.alerts.examples)
    return Finding(
        event_key=_hour(ctx.now),
        title=f"{rule.brand}: mention volume spike",
        summary=(
            f"{current} mentions of {rule.brand} in the last 24 h; the trailing "
            f"{rule.baseline_days}-day mean is {spike.mean:.1f} per day (σ {spike.stdev:.1f}), "
            f"so the alert threshold was {spike.threshold:.1f} (mean + {rule.k:g}·σ)."
        ),
        figure={"label": "Mentions, last 24 h", "value": f"{current} ({above})"},
        examples=[e.as_payload() for e in shown],
        data={
            "current": current,
            "baseline": baseline,
            "mean": spike.mean,
            "stdev": spike.stdev,
            "threshold": spike.threshold,
            "k": rule.k,
        },
        subjects=[],
    )


def _negative_swing(ctx: _Context, rule: NegativeSwingRule) -> Finding | str:
    version = ctx.version(rule.model_version)
    if version is None:
        return "no data"
    window = Period(ctx.now - DAY, ctx.now)
    before = Period(window.start - DAY * rule.baseline_days, window.start)
    current = queries.sentiment_counts(ctx.conn, rule.brand, window, version)
    baseline = queries.sentiment_counts(ctx.conn, rule.brand, before, version)
    if current.labelled == 0:
        return "no data"
    swing = rules.negative_swing(
        current,
        baseline,
        nss_drop=rule.nss_drop,
        negative_share_rise=rule.negative_share_rise,
        min_polar=rule.min_polar,
    )
    if swing is None:
        return "below threshold"
    shown = queries.examples(
        ctx.conn,
        rule.brand,
        window,
        ctx.scoring,
        limit=ctx.alerts.examples,
        version=version,
        sentiment="negative",
    )
    return Finding(
        event_key=_hour(ctx.now),
        title=f"{rule.brand}: sentiment turned negative",
        summary=(
            f"Over the last 24 h the net sentiment score of {rule.brand} is "
            f"{_signed(swing.nss)} against {_signed(swing.baseline_nss)} over the previous "
            f"{rule.baseline_days} days; negative share {_pct(swing.negative_share)} "
            f"(was {_pct(swing.baseline_negative_share)}). "
            f"{current.negative} negative of {current.labelled} labelled mentions."
        ),
        figure={
            "label": "Net sentiment score, last 24 h",
            "value": f"{_signed(swing.nss)} (was {_signed(swing.baseline_nss)})",
        },
        examples=[e.as_payload() for e in shown],
        data={
            "nss": swing.nss,
            "baseline_nss": swing.baseline_nss,
            "negative_share": swing.negative_share,
            "baseline_negative_share": swing.baseline_negative_share,
            "reasons": list(swing.reasons),
            "current": dataclasses.asdict(current),
            "baseline": dataclasses.asdict(baseline),
            "model_version": version,
        },
        subjects=[],
    )


def _unanswered_complaints(ctx: _Context, rule: ComplaintRule) -> Finding | str:
    version = ctx.version(rule.model_version)
    if version is None:
        return "no data"
    threshold = rule.threshold if rule.threshold is not None else ctx.scoring.complaint_threshold
    period = Period(ctx.now - rule.lookback, ctx.now)
    brand = ctx.settings.brand(rule.brand)
    found = queries.complaint_candidates(
        ctx.conn, brand, period, ctx.scoring, threshold=threshold, version=version
    )
    shown = {c.mention_id: e for c, e in found}
    due = rules.unanswered_complaints(
        (c for c, _ in found),
        now=ctx.now,
        threshold=threshold,
        min_engagement=rule.min_engagement,
        answer_within=rule.answer_within,
    )
    seen = outbox.alerted_subjects(ctx.store, rule.rule_id, rule.brand, since=period.start)
    due = [c for c in due if str(c.mention_id) not in seen]
    if not due:
        return "below threshold" if found else "no data"
    hours = rule.answer_within.total_seconds() / 3600
    n = len(due)
    return Finding(
        event_key=_key(*(c.mention_id for c in due)),
        title=f"{rule.brand}: {n} complaint{'s' if n != 1 else ''} need{'s' if n == 1 else ''} an answer",
        summary=(
            f"{n} complaint{'s' if n != 1 else ''} about {rule.brand} with engagement ≥ "
            f"{rule.min_engagement} {'have' if n != 1 else 'has'} had no reply from "
            f"{rule.brand}'s own accounts for more than {hours:g} h."
        ),
        figure={"label": "Complaints waiting for an answer", "value": str(n)},
        examples=[shown[c.mention_id].as_payload() for c in due[: ctx.alerts.examples]],
        data={
            "complaints": [
                {
                    "mention_id": c.mention_id,
                    "engagement": c.engagement,
                    "complaint": round(c.complaint, 3),
                    "waiting_hours": round((ctx.now - c.created_at).total_seconds() / 3600, 1),
                    "url": shown[c.mention_id].url,
                }
                for c in due
            ],
            "threshold": threshold,
            "model_version": version,
        },
        subjects=[str(c.mention_id) for c in due],
    )


def _keyword(ctx: _Context, rule: KeywordRule) -> Finding | str:
    period = Period(ctx.now - rule.lookback, ctx.now)
    hits = queries.keyword_hits(
        ctx.conn,
        rule.brand,
        period,
        rule.parsed_query,
        include_category=rule.include_category,
    )
    seen = outbox.alerted_subjects(ctx.store, rule.rule_id, rule.brand, since=period.start)
    fresh = [h for h in hits if str(h.mention_id) not in seen]
    if not fresh:
        return "below threshold" if hits else "no data"
    n = len(fresh)
    newest_first = sorted(fresh, key=lambda h: h.created_at, reverse=True)
    return Finding(
        event_key=_key(*(h.mention_id for h in fresh)),
        title=f"{rule.brand}: {n} mention{'s' if n != 1 else ''} matched {rule.query!r}",
        summary=(
            f"{n} new mention{'s' if n != 1 else ''} of {rule.brand} in the last "
            f"{_span(rule.lookback)} matched the query {rule.query}."
        ),
        figure={"label": "Matching mentions", "value": str(n)},
        examples=[h.as_payload() for h in newest_first[: ctx.alerts.examples]],
        data={"query": rule.query, "mention_ids": [h.mention_id for h in fresh]},
        subjects=[str(h.mention_id) for h in fresh],
    )


def _new_hotspot(ctx: _Context, rule: HotspotRule) -> Finding | str:
    def ranking(end: datetime) -> tuple[Hotspot, ...]:
        return community_hotspots(
            ctx.conn,
            ctx.settings,
            rule.brand,
            Period(end - rule.window, end),
            model_version=ctx.alerts.model_version,
            scoring=ctx.scoring,
            limit=rule.top_n,
        )

    # A community that scores nothing is no hotspot; and with nothing ranked before (the
    # first check, a new store) every community would be "new": no baseline, no alert.
    current = tuple(h for h in ranking(ctx.now) if h.score > 0)
    if not current:
        return "no data"
    previous = ranking(ctx.now - rule.compare_to)
    if not previous:
        return "no baseline"
    entered = rules.new_entries(
        [h.community for h in current],
        [h.community for h in previous],
    )
    seen = outbox.alerted_subjects(
        ctx.store, rule.rule_id, rule.brand, since=ctx.now - rule.cooldown
    )
    entered = [c for c in entered if c not in seen]
    if not entered:
        return "below threshold"
    rank = {h.community: (i + 1, h) for i, h in enumerate(current)}
    name = {c: ctx.community(c) for c in entered}
    names = ", ".join(name[c] for c in entered)
    return Finding(
        event_key=_key(ctx.now.date(), *entered),
        title=f"{rule.brand}: new hotspot{'s' if len(entered) > 1 else ''} {names}",
        summary=(
            f"{names} entered {rule.brand}'s top {rule.top_n} communities (hotspot score over "
            f"the last {_span(rule.window)}). "
            + " ".join(
                f"{name[c]}: #{rank[c][0]}, score {rank[c][1].score:.2f}, "
                f"{rank[c][1].recommendation}"
                + (f" ({', '.join(rank[c][1].top_factors)})." if rank[c][1].top_factors else ".")
                for c in entered
            )
        ),
        figure={
            "label": f"Entered the top {rule.top_n}",
            "value": ", ".join(f"{name[c]} (#{rank[c][0]})" for c in entered),
        },
        examples=[],
        data={
            "communities": [
                {
                    "community": c,
                    "name": name[c],
                    "rank": rank[c][0],
                    "score": rank[c][1].score,
                    "recommendation": rank[c][1].recommendation,
                    "mentions": rank[c][1].mentions,
                    "top_factors": list(rank[c][1].top_factors),
                }
                for c in entered
            ]
        },
        subjects=entered,
    )


_EVALUATORS: dict[type[Any], Callable[[_Context, Any], Finding | str]] = {
    VolumeSpikeRule: _volume_spike,
    NegativeSwingRule: _negative_swing,
    ComplaintRule: _unanswered_complaints,
    KeywordRule: _keyword,
    HotspotRule: _new_hotspot,
}


def _link(cfg: AlertsSettings, rule: AnyRule, finding: Finding, now: datetime) -> str:
    """The Mentions view of what fired the alert: the mentions it names (complaints,
    keyword hits), else the window it looked at — negative ones for a swing, the
    communities' for a hotspot."""
    window: timedelta = getattr(rule, "lookback", None) or getattr(rule, "window", None) or DAY
    ids: list[int] = []
    extra: dict[str, str] = {}
    if isinstance(rule, ComplaintRule | KeywordRule):
        ids = [int(s) for s in finding.subjects if s.isdigit()]
    elif isinstance(rule, NegativeSwingRule):
        extra["sentiment"] = "negative"
    elif isinstance(rule, HotspotRule):
        extra["community"] = ",".join(finding.subjects)
    if isinstance(rule, VolumeSpikeRule | NegativeSwingRule):
        window = DAY
    return mentions_link(
        cfg.dashboard_url,
        rule.brand,
        first=(now - window).date(),
        last=now.date(),
        ids=ids,
        extra=extra,
    )


def _payload(ctx: _Context, rule: AnyRule, finding: Finding) -> dict[str, Any]:
    cfg, now = ctx.alerts, ctx.now
    return {
        "kind": rule.kind,
        "rule": rule.rule_id,
        "brand": rule.brand,
        "title": finding.title,
        "summary": finding.summary,
        "figure": finding.figure,
        "examples": ctx.named(finding.examples),
        "link": _link(cfg, rule, finding, now),
        "checked_at": now.isoformat(),
        "data": finding.data,
        "subjects": finding.subjects,
    }


def run_alert_check(
    store: Store,
    settings: Settings,
    *,
    now: datetime,
    brands: Sequence[str] | None = None,
) -> CheckSummary:
    """Evaluate every enabled rule (of ``brands``, default all) at ``now`` and fire what
    crossed a threshold; fire the daily digest when it is due. Nothing is sent here."""
    cfg = settings.alerts
    if not cfg.enabled:
        return CheckSummary((), ())
    scoring = settings.scoring
    wanted = {b.casefold() for b in brands} if brands else None
    fired: list[Fired] = []
    quiet: list[Quiet] = []
    with store.engine.connect() as conn:
        ctx = _Context(conn, settings, cfg, scoring, store, now)
        for rule in cfg.rules:
            if not rule.enabled or (wanted is not None and rule.brand.casefold() not in wanted):
                continue
            last = outbox.last_fired(store, rule.rule_id, rule.brand)
            if rules.in_cooldown(last, now=now, cooldown=rule.cooldown):
                quiet.append(Quiet(rule.rule_id, rule.brand, "cooldown"))
                continue
            result = _EVALUATORS[type(rule)](ctx, rule)
            if isinstance(result, str):
                quiet.append(Quiet(rule.rule_id, rule.brand, result))
                continue
            alert_id = outbox.fire(
                store,
                rule=rule.rule_id,
                brand=rule.brand,
                event_key=result.event_key,
                payload=_payload(ctx, rule, result),
                channels=cfg.channels_for(rule),
                now=now,
            )
            if alert_id is None:
                quiet.append(Quiet(rule.rule_id, rule.brand, "already fired"))
                continue
            log.info("alert %s fired: %s", alert_id, result.title)
            fired.append(Fired(alert_id, rule.rule_id, rule.brand, result.title))
    digest_id = fire_digest_if_due(store, settings, cfg, now=now)
    return CheckSummary(tuple(fired), tuple(quiet), digest_id)
