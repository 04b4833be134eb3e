"""``grapevine evaluate``, ``report`` and ``corrections``; the scheduled report by e-mail
(to a loopback SMTP server that requires STARTTLS and AUTH) and as a file."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from typer.testing import CliRunner

from config import Settings
from config.alerts import EmailChannel
from grapevine.alerts.channels.email import send_message
from grapevine.cli import app
from grapevine.workflow.area import run_scheduled_reports
from grapevine.workflow.mail import send_report
from grapevine.workflow.report import build_report
from storage import Store, keys, open_store, workflow
from tests.alerts.conftest import CHANNELS, SmtpReceiver, client_tls, loopback_smtp, smtp_receiver
from tests.app.seed import CONFIG_EXTRA, seed
from tests.workflow.conftest import ids_by_external

__all__ = ["smtp_receiver"]

runner = CliRunner()
END = datetime(2026, 11, 20, tzinfo=UTC)  # the seeded store's newest day is 19 Nov


def _args(settings: Settings) -> list[str]:
    return ["--config", str(settings.path)]


def test_evaluate_reports_agreement_with_counts(seeded: Settings, store: Store) -> None:
    ids = ids_by_external(store)
    empty = runner.invoke(app, ["evaluate", *_args(seeded)])
    assert empty.exit_code == 0, empty.output
    assert "No corrections yet" in empty.output
    workflow.save_correction(store, ids["c1"], "ana", sentiment="positive")
    workflow.save_correction(store, ids["c3"], "ana", sentiment="neutral", quality="spam")
    result = runner.invoke(app, ["evaluate", "--json", *_args(seeded)])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    overall = {(r["field"], r["by"]): r for r in found["rows"] if r["by"] == "all"}
    assert found["corrections"] == 2
    assert (overall[("sentiment", "all")]["reviewed"], overall[("sentiment", "all")]["agreed"]) == (
        2,
        1,
    )
    assert overall[("quality", "all")]["agreed"] == 0
    table = runner.invoke(app, ["evaluate", *_args(seeded)])
    assert "sentiment: 50.0 % of 2" in table.output


def test_corrections_export_as_jsonl_and_csv(
    seeded: Settings, store: Store, tmp_path: Path
) -> None:
    ids = ids_by_external(store)
    workflow.save_correction(store, ids["c3"], "ana", sentiment="neutral", complaint=True)
    out = tmp_path / "labelled.jsonl"
    result = runner.invoke(app, ["corrections", "--out", str(out), *_args(seeded)])
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert (row["mention_id"], row["sentiment"], row["complaint"], row["quality"]) == (
        ids["c3"],
        "neutral",
        True,
        None,
    )
    assert row["model_sentiment"] == "negative"
    assert "author" not in row
    assert "corrected_by" not in row
    sheet = tmp_path / "labelled.csv"
    assert runner.invoke(app, ["corrections", "-o", str(sheet), *_args(seeded)]).exit_code == 0
    with sheet.open(encoding="utf-8", newline="") as f:
        (line,) = list(csv.DictReader(f))
    assert line["text"] == "acme broke after a week, I want a refund"


def _fake_png(_chart: object) -> bytes:
    return b"\x89PNG fake"


def test_the_report_holds_the_figures_status_and_inline_charts(
    seeded: Settings, store: Store
) -> None:
    ids = ids_by_external(store)
    workflow.update_triage(store, [ids["c3"]], "ana", status="done", assignee="ben")
    report = build_report(store, seeded, "acme", end=END, length=timedelta(days=30))
    page = report.html()
    assert report.title == "Acme: 21 Oct – 19 Nov 2026"
    for heading in ("Key figures", "Volume and sentiment", "Share of voice", "Top complaints"):
        assert heading in page
    assert "Community hotspots" in page
    assert page.count("data:image/png;base64,") == 2  # self-contained: no external images
    assert "<td>done</td><td>ben</td>" in page
    assert "http://localhost:8501/mentions?brand=Acme&amp;from=2026-10-21&amp;to=2026-11-19" in page


def test_the_report_renders_real_charts_offline(seeded: Settings, store: Store) -> None:
    report = build_report(store, seeded, "Acme", end=END, length=timedelta(days=30))
    assert [c.png[:8] for c in report.charts] == [b"\x89PNG\r\n\x1a\n"] * 2


@pytest.fixture
def mail_settings(
    make_settings: Callable[..., Settings],
    smtp_receiver: SmtpReceiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Settings]:
    report = f"""
[alerts.report]
every = "7d"
period = "7d"
channels = ["mail"]
out_dir = "{tmp_path / "reports"}"
"""
    channels = CHANNELS.replace('default_channels = ["mail", "slack", "hook"]', "")
    settings = make_settings(CONFIG_EXTRA + channels.format(smtp_port=smtp_receiver.port) + report)
    store = open_store(settings.store.database_url)
    seed(store, settings)
    keys.create_key(settings.store.database_url)
    yield settings
    store.engine.dispose()


def test_the_report_is_emailed_with_related_images_and_the_file_attached(
    mail_settings: Settings, smtp_receiver: SmtpReceiver
) -> None:
    store = open_store(mail_settings.store.database_url)
    report = build_report(store, mail_settings, "Acme", end=END, render=_fake_png)
    channel = mail_settings.alerts.channels["mail"]
    assert isinstance(channel, EmailChannel)
    send_report(report, channel, smtp_factory=loopback_smtp, ssl_context=client_tls())
    (mail,) = smtp_receiver.mails
    assert mail.tls
    assert mail.login == "alerts"
    msg = mail.message
    assert msg["Subject"] == "Grapevine report — Acme: 13 Nov – 19 Nov 2026"
    html_part = msg.get_body(("html",))
    assert html_part is not None
    assert "cid:volume@grapevine" in html_part.get_content()
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert {p["Content-ID"] for p in images} == {"<volume@grapevine>", "<sov@grapevine>"}
    (attached,) = list(msg.iter_attachments())
    assert attached.get_filename() == "acme-2026-11-19.html"
    assert "data:image/png;base64," in attached.get_content()


def test_the_scheduled_report_is_made_once_per_interval(
    mail_settings: Settings, smtp_receiver: SmtpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(mail_settings.store.database_url)

    def over_loopback(channel: EmailChannel, msg: EmailMessage, **_: object) -> None:
        send_message(channel, msg, smtp_factory=loopback_smtp, ssl_context=client_tls())

    monkeypatch.setattr("grapevine.workflow.mail.send_message", over_loopback)
    now = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    assert run_scheduled_reports(store, mail_settings, now=now) == ["Acme"]
    assert run_scheduled_reports(store, mail_settings, now=now + timedelta(hours=1)) == []
    assert run_scheduled_reports(store, mail_settings, now=now + timedelta(days=7)) == ["Acme"]
    assert len(smtp_receiver.mails) == 2
    assert mail_settings.alerts.report is not None
    out_dir = Path(str(mail_settings.alerts.report.out_dir))
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "acme-2026-11-19.html",
        "acme-2026-11-26.html",
    ]


def test_report_command_writes_the_file(seeded: Settings, tmp_path: Path) -> None:
    out = tmp_path / "out" / "report.html"
    result = runner.invoke(
        app,
        [
            "report",
            "--brand",
            "Acme",
            "--period",
            "7d",
            "--until",
            "2026-11-19",
            "--out",
            str(out),
            *_args(seeded),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "<h1>Acme: 13 Nov – 19 Nov 2026</h1>" in out.read_text(encoding="utf-8")
    bad = runner.invoke(app, ["report", "--brand", "Nobody", "--out", str(out), *_args(seeded)])
    assert bad.exit_code == 2
