"""``grapevine init`` refuses any configuration mistake, in any section, naming the file and
the key — and never with a traceback (issue #11)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from grapevine.cli import app

runner = CliRunner()
REPO_CONFIG = Path(__file__).resolve().parents[2] / "config" / "grapevine.toml"

BASE = """
[store]
database_url = "sqlite:///{db}"

[[brands]]
name = "Acme"
query = "acme"

[sources.hackernews]
enabled = true
"""


def _config(tmp_path: Path, extra: str, base: str = BASE) -> Path:
    path = tmp_path / "grapevine.toml"
    path.write_text(base.format(db=tmp_path / "g.db") + extra, encoding="utf-8")
    return path


def test_the_shipped_configuration_is_ready(tmp_path: Path) -> None:
    text = REPO_CONFIG.read_text(encoding="utf-8").replace(
        "sqlite:///data/grapevine.db", f"sqlite:///{tmp_path / 'g.db'}"
    )
    path = tmp_path / "grapevine.toml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["init", "-c", str(path)])
    assert result.exit_code == 0, result.output
    assert "Ready." in result.output


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("[scoring]\ncomplaint_treshold = 0.5\n", "scoring.complaint_treshold"),
        ('[scoring]\nhotspot_normalisation = "zscore"\n', "scoring.hotspot_normalisation"),
        ("[alerts]\nenabeld = true\n", "alerts.enabeld"),
        ("[nlp]\nbatchsize = 8\n", "nlp.batchsize"),
        ('[app]\ndefault_period = "30d"\n', "app.default_period"),
        ("[collect]\nretries = 3\n", "collect.retries"),
        ("[store]\npath = 'x'\n", "store"),
        ("[sources.hackernews]\nhitz = 5\n", "sources.hackernews.hitz"),
        ("[sources.nosuchsource]\nenabled = true\n", "sources.nosuchsource"),
    ],
)
def test_a_misspelled_key_in_any_section_is_refused(tmp_path: Path, extra: str, key: str) -> None:
    base = BASE
    for section in ("[store]\n", "[sources.hackernews]\n"):
        if extra.startswith(section):  # TOML refuses a table twice: merge into it instead
            base = base.replace(section, extra)
            extra = ""
    path = _config(tmp_path, extra, base)
    result = runner.invoke(app, ["init", "-c", str(path)])
    assert result.exit_code == 2, result.output
    assert str(path) in result.output
    assert key in result.output
    assert "Traceback" not in result.output
    assert "Ready." not in result.output


def test_a_misspelled_key_in_a_brand_is_refused(tmp_path: Path) -> None:
    path = _config(tmp_path, "", BASE.replace('query = "acme"', 'query = "acme"\nqeury = "x"'))
    result = runner.invoke(app, ["init", "-c", str(path)])
    assert result.exit_code == 2
    assert "brands[0].qeury" in result.output


def test_no_brand_is_refused(tmp_path: Path) -> None:
    path = _config(tmp_path, "", BASE.replace('[[brands]]\nname = "Acme"\nquery = "acme"\n', ""))
    result = runner.invoke(app, ["init", "-c", str(path)])
    assert result.exit_code == 2
    assert "brands" in result.output


def test_a_query_without_a_positive_term_is_refused(tmp_path: Path) -> None:
    path = _config(tmp_path, "", BASE.replace('query = "acme"', 'query = "NOT acme"'))
    result = runner.invoke(app, ["init", "-c", str(path)])
    assert result.exit_code == 2
    assert "brands[0].query" in result.output
    assert "no positive term" in result.output


@pytest.mark.parametrize(
    "command", [["label"], ["alerts", "check"], ["status"], ["export", "-b", "Acme", "-o", "x.csv"]]
)
def test_other_commands_report_config_errors_without_a_traceback(
    tmp_path: Path, command: list[str]
) -> None:
    path = _config(tmp_path, "[nlp]\nbatch_size = 0\n")
    result = runner.invoke(app, [*command, "-c", str(path)])
    assert result.exit_code == 2, result.output
    assert "nlp.batch_size" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
