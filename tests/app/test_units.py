"""The dashboard's small pure parts: periods, formatting, links, the masked store URL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from config import Brand, Settings
from config.app import AppSettings
from grapevine.dashboard.filters import Filters, default_period
from grapevine.dashboard.format import ago, number, signed, span
from grapevine.dashboard.pages.mentions import safe_link
from grapevine.dashboard.sidebar import Context


def test_filters_cover_whole_utc_days() -> None:
    f = Filters("Acme", date(2026, 11, 1), date(2026, 11, 30))
    assert f.start == datetime(2026, 11, 1, tzinfo=UTC)
    assert f.end == datetime(2026, 12, 1, tzinfo=UTC)
    assert f.days == 30
    with pytest.raises(ValueError, match="ends before"):
        Filters("Acme", date(2026, 11, 2), date(2026, 11, 1))


def test_default_period_ends_on_the_newest_mention_but_never_in_the_future() -> None:
    today = date(2026, 11, 23)
    assert default_period(date(2026, 11, 1), today, 7) == (date(2026, 10, 26), date(2026, 11, 1))
    assert default_period(date(2027, 1, 1), today, 1) == (today, today)
    assert default_period(None, today, 30) == (today - timedelta(days=29), today)


def test_figures_read_as_people_say_them() -> None:
    assert number(None) == "—"
    assert number(1234.5, 1, " %") == "1,234.5 %"
    assert signed(None) is None
    assert signed(-3.25, 1, " pts") == "-3.2 pts"  # ASCII minus: st.metric colours it red
    assert span(45) == "45 s"
    assert span(12 * 60) == "12 min"
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert ago(now - timedelta(hours=3), now) == "3.0 h ago"
    assert ago(now + timedelta(minutes=5), now) == "in 5 min"
    assert ago(None, now) == "never"


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://news.ycombinator.com/item?id=1", True),
        ("HTTP://example.com/x", True),
        ("javascript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("", False),
        (None, False),
    ],
)
def test_only_web_links_become_clickable(url: str | None, kept: bool) -> None:
    assert safe_link(url) == (url if kept else None)


def test_the_store_url_is_shown_without_its_password() -> None:
    url = "postgresql+psycopg://grapevine:s3cret@db.internal/grapevine"
    settings = Settings(brands=[Brand(name="Acme", query="acme")])
    ctx = Context(settings, AppSettings(), url, None)
    assert "s3cret" not in ctx.display_url
    assert "db.internal" in ctx.display_url
