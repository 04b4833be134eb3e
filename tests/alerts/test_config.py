"""The ``[alerts]`` section: what it accepts, and the readable errors for what it refuses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from config import ConfigError, Settings, load_config
from config.alerts import ComplaintRule, RetrySettings
from storage import Store

from .conftest import NOW

REPO = Path(__file__).resolve().parents[2]


def test_shipped_config_validates() -> None:
    settings = load_config(REPO / "config" / "grapevine.toml", environ={})
    cfg = settings.alerts
    assert {r.kind for r in cfg.rules} == {
        "volume_spike",
        "negative_swing",
        "unanswered_complaint",
        "keyword",
        "new_hotspot",
    }
    assert all(not c.enabled for c in cfg.channels.values())  # nothing sent until set up
    assert cfg.every == timedelta(hours=1)


def test_defaults_and_intervals(
    alert_settings: Callable[..., Settings],
) -> None:
    cfg = alert_settings('[[alerts.rules]]\nbrand = "Acme"\nkind = "unanswered_complaint"\n').alerts
    [rule] = cfg.rules
    assert isinstance(rule, ComplaintRule)
    assert rule.cooldown == timedelta(hours=1)
    assert rule.answer_within == timedelta(hours=4)
    assert rule.threshold is None  # falls back to [scoring] complaint_threshold
    assert cfg.channels_for(rule) == ["mail", "slack", "hook"]
    assert cfg.retry.base_delay == timedelta(minutes=1)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            '[alerts.channels.x]\ntype = "slack"\nurl_env = "https://hooks.slack.com/services/T/B/x"\n',
            "NAME of an environment variable",
        ),
        (
            '[[alerts.rules]]\nbrand = "Acme"\nkind = "volume_spike"\nchannels = ["pager"]\n',
            "pager",
        ),
        ('[[alerts.rules]]\nbrand = "Initech"\nkind = "volume_spike"\n', "Initech"),
        ('[[alerts.rules]]\nbrand = "Acme"\nkind = "keyword"\nquery = "(recall"\n', "query"),
        ('[[alerts.rules]]\nbrand = "Acme"\nkind = "sentiment_party"\n', "kind"),
        ('[alerts.digest]\nchannels = ["slack"]\n', "email channels"),
        (
            '[[alerts.rules]]\nbrand = "Acme"\nkind = "volume_spike"\n'
            '[[alerts.rules]]\nbrand = "Acme"\nkind = "volume_spike"\n',
            "distinct name",
        ),
        (
            '[[alerts.rules]]\nbrand = "Acme"\nkind = "volume_spike"\ncooldown = "soon"\n',
            "interval",
        ),
    ],
)
def test_refused_with_a_readable_message(
    alert_settings: Callable[..., Settings], extra: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        alert_settings(extra=extra)
    assert message in str(caught.value)
    assert "hooks.slack.com" not in str(caught.value)  # a pasted secret is not echoed back


def test_backoff_doubles_up_to_the_cap() -> None:
    retry = RetrySettings(base_delay="1m", max_delay="5m")  # type: ignore[arg-type]
    assert [retry.delay(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 5]


def test_scheduler_jobs(alert_settings: Callable[..., Settings], store: Store) -> None:
    from grapevine.alerts.schedule import alert_jobs

    settings = alert_settings('[[alerts.rules]]\nbrand = "Acme"\nkind = "volume_spike"\n')
    jobs = {j.id: j for j in alert_jobs(settings, store, clock=lambda: NOW)}
    assert {k: j.every for k, j in jobs.items()} == {
        "alerts-check": timedelta(hours=1),
        "alerts-deliver": timedelta(minutes=1),
    }
    assert jobs["alerts-check"].func().quiet[0].reason == "no data"
    assert jobs["alerts-deliver"].func() == []
    off = alert_settings(extra="")
    disabled = off.alerts.model_copy(update={"enabled": False})
    assert alert_jobs(off.model_copy(update={"alerts": disabled}), store) == []
