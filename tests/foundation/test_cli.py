from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from config import Settings
from grapevine.cli import app
from storage import open_store

runner = CliRunner()


def _replay_config(tmp_path: Path) -> Path:
    repo_config = Path(__file__).resolve().parents[2] / "config" / "grapevine.toml"
    text = repo_config.read_text(encoding="utf-8").replace(
        'database_url = "sqlite:///data/grapevine.db"',
        f'database_url = "sqlite:///{tmp_path / "demo.db"}"',
    )
    path = tmp_path / "grapevine.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_init_collect_twice_adds_nothing_the_second_time(tmp_path: Path) -> None:
    config = _replay_config(tmp_path)
    result = runner.invoke(app, ["init", "-c", str(config)])
    assert result.exit_code == 0, result.output
    first = runner.invoke(app, ["collect", "--once", "--replay", "-c", str(config)])
    assert first.exit_code == 0, first.output
    assert "replaying the bundled API recordings" in first.output
    store = open_store(f"sqlite:///{tmp_path / 'demo.db'}")
    count = store.count_mentions()
    assert count > 0
    second = runner.invoke(app, ["collect", "--once", "--replay", "-c", str(config)])
    assert second.exit_code == 0, second.output
    assert store.count_mentions() == count
    status = runner.invoke(app, ["status", "-c", str(config)])
    assert status.exit_code == 0, status.output
    assert "hackernews" in status.output
    assert "ok" in status.output


def test_collect_only_named_source_and_brand(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    config = _replay_config(tmp_path)
    result = runner.invoke(
        app, ["collect", "--once", "--replay", "-s", "hackernews", "-b", "Tesla", "-c", str(config)]
    )
    assert result.exit_code == 0, result.output
    runs = open_store(f"sqlite:///{tmp_path / 'demo.db'}").latest_runs()
    assert {(r["source"], r["scope"]) for r in runs} == {("hackernews", "Tesla")}


def test_unknown_brand_and_source_are_readable_errors(tmp_path: Path) -> None:
    config = _replay_config(tmp_path)
    bad_brand = runner.invoke(
        app, ["collect", "--once", "--replay", "-b", "Nope", "-c", str(config)]
    )
    assert bad_brand.exit_code == 2
    assert "no brand or competitor named 'Nope'" in bad_brand.output
    bad_source = runner.invoke(
        app, ["collect", "--once", "--replay", "-s", "myspace", "-c", str(config)]
    )
    assert bad_source.exit_code == 2
    assert "unknown source" in bad_source.output


def test_broken_config_exits_2_with_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('[[brands]]\nname = "Acme"\nquery = "acme AND ("\n', encoding="utf-8")
    result = runner.invoke(app, ["init", "-c", str(path)])
    assert result.exit_code == 2
    assert "Configuration error" in result.output
    assert "brands[0].query" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["init", "collect", "run", "status"])
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output
