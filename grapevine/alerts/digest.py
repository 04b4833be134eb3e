"""The daily digest: each brand's last 24 h at a glance and every alert fired in them.

It goes through the outbox like any alert (rule ``digest``, brand ``*``, event key = the
UTC date), so it is stored before it is sent, retried like the rest, and sent once a day
however often the check runs: the first check at or after ``[alerts.digest] hour`` fires it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from config import Settings
from config.alerts import AlertsSettings
from grapevine.alerts import outbox
from scoring import Period, brand_overview
from storage import Store

__all__ = ["DIGEST_RULE", "build_digest", "fire_digest_if_due"]

DIGEST_RULE = "digest"
DIGEST_BRAND = "*"


def build_digest(
    store: Store, settings: Settings, cfg: AlertsSettings, *, now: datetime
) -> dict[str, Any]:
    """The digest payload for the 24 h ending at ``now``.

    Volume and NSS come from :func:`scoring.brand_overview`, the figures the dashboard's
    overview shows for the same window.
    """
    period = Period(now - timedelta(days=1), now)
    brands = []
    for brand in settings.brands:
        overview = brand_overview(
            store.engine, settings, brand.name, period, model_version=cfg.model_version
        )
        brands.append(
            {
                "brand": brand.name,
                "mentions": int(overview.total.current or 0),
                "previous_mentions": int(overview.total.previous or 0),
                "nss": overview.nss.current,
                "previous_nss": overview.nss.previous,
            }
        )
    fired = [
        a
        for a in outbox.list_alerts(store, limit=500)
        if a.rule != DIGEST_RULE and period.start < a.fired_at <= period.end
    ]
    alerts = [
        {
            "id": a.id,
            "rule": a.rule,
            "brand": a.brand,
            "title": a.payload.get("title", a.rule),
            "fired_at": a.fired_at.isoformat(),
            "deliveries": {d.channel: d.status for d in a.deliveries},
        }
        for a in sorted(fired, key=lambda a: a.fired_at)
    ]
    n = len(alerts)
    return {
        "kind": "digest",
        "rule": DIGEST_RULE,
        "brand": DIGEST_BRAND,
        "title": f"Daily digest, {now:%Y-%m-%d}",
        "summary": (
            f"{n} alert{'s' if n != 1 else ''} in the 24 h to {now:%Y-%m-%d %H:%M} UTC, "
            f"and where {len(brands)} brand{'s' if len(brands) != 1 else ''} stand."
        ),
        "brands": brands,
        "alerts": alerts,
        "link": cfg.dashboard_url,
        "checked_at": now.isoformat(),
        "subjects": [],
    }


def fire_digest_if_due(
    store: Store, settings: Settings, cfg: AlertsSettings, *, now: datetime
) -> int | None:
    """Fire today's digest if it is configured, due and not fired yet; return its id."""
    digest = cfg.digest
    if digest is None or not digest.enabled or now.hour < digest.hour:
        return None
    channels = [c for c in digest.channels if cfg.channels[c].enabled]
    if not channels:
        return None
    key = f"{now:%Y-%m-%d}"
    last = outbox.last_fired(store, DIGEST_RULE, DIGEST_BRAND)
    if last is not None and f"{last:%Y-%m-%d}" == key:
        return None
    return outbox.fire(
        store,
        rule=DIGEST_RULE,
        brand=DIGEST_BRAND,
        event_key=key,
        payload=build_digest(store, settings, cfg, now=now),
        channels=channels,
        now=now,
    )
