"""The first ten minutes at the command line: ``grapevine demo``, a first ``collect`` that
counts per brand, tables that fit 80 columns, and lists and tables from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from config import ConfigError, load_config
from grapevine.cli import app
from storage import open_store
from tests.demo.conftest import EXAMPLE, stand_in_labels

runner = CliRunner()


def _config(tmp_path: Path) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        'database_url = "sqlite:///data/grapevine.db"',
        f'database_url = "sqlite:///{tmp_path / "first.db"}"',
    )
    path = tmp_path / "grapevine.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _rows(output: str, title: str) -> dict[tuple[str, str], list[str]]:
    """The table's rows by (source, brand); a blank source repeats the one above."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    rows: dict[tuple[str, str], list[str]] = {}
    source = ""
    for line in lines[start + 3 :]:
        if not line.strip() or line.startswith("* "):  # the table ends; notes follow
            break
        cells = line.split()
        if line[0] != " ":
            source, cells = cells[0].rstrip("*"), cells[1:]
        rows[(source, cells[0])] = cells[1:]
    return rows


def test_first_collect_counts_per_brand_and_fits_80_columns(tmp_path: Path) -> None:
    config = _config(tmp_path)
    result = runner.invoke(
        app, ["collect", "--once", "--replay", "-c", str(config)], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "replaying the bundled API recordings and fixtures" in said
    assert "written from the documented schema for appstore, googleplay" in said
    rows = _rows(result.output, "Collection")
    store = open_store(f"sqlite:///{tmp_path / 'first.db'}")
    stored = store.count_mentions()
    # every row: new == stored on an empty store, and the brand's new add up to at least
    # every stored mention (a mention naming two brands counts for both)
    for (source, brand), cells in rows.items():
        assert cells[1] == cells[2], (source, brand, cells)
    assert sum(int(c[1]) for c in rows.values()) >= stored
    # HN's recordings serve every brand's search: the same 2 comments, stored once; a
    # comment about Facebook is never "new" for Waymo
    assert rows[("reddit", "Waymo")][1] == "0"
    assert int(rows[("reddit", "Facebook")][1]) > 0
    width = max(len(line) for line in result.output.splitlines())
    assert width <= 80
    status = runner.invoke(app, ["status", "-c", str(config)], env={"COLUMNS": "80"})
    assert status.exit_code == 0, status.output
    assert max(len(line) for line in status.output.splitlines()) <= 80
    assert "stackexchange*" in status.output  # never "stackexc…"
    assert "Facebook" in status.output


def test_grapevine_demo_builds_the_demo_and_lists_the_alerts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import grapevine.demo.area as area

    built: list[object] = []
    real = area.build_demo

    def without_the_model(*args: object, **kwargs: object) -> object:
        kwargs["label"] = stand_in_labels  # the shipped model takes minutes
        built.append(True)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(area, "build_demo", without_the_model)
    config = _config(tmp_path)
    result = runner.invoke(app, ["demo", "-c", str(config)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert built
    said = " ".join(result.output.split())
    assert "Waymo: mention volume spike" in said
    assert "Waymo: sentiment turned negative" in said
    assert "Demo data" in said
    assert "written from the documented schema for appstore" in said
    # a second store with collected data is never turned into a demo
    other = tmp_path / "other.toml"
    other.write_text(config.read_text(encoding="utf-8").replace("first.db", "live.db"))
    runner.invoke(app, ["collect", "--once", "--replay", "-s", "hackernews", "-c", str(other)])
    refused = runner.invoke(app, ["demo", "-c", str(other)])
    assert refused.exit_code == 2
    assert "already holds collected mentions" in " ".join(refused.output.split())
    offline = {"GRAPEVINE_REPLAY": "always"}  # as if no API could be reached
    quiet = runner.invoke(app, ["demo", "--if-offline", "-c", str(other)], env=offline)
    assert quiet.exit_code == 0  # offline, but the store is not a demo: left alone
    assert "No demo built" in quiet.output
    online = runner.invoke(
        app, ["demo", "--if-offline", "-c", str(other)], env={"GRAPEVINE_REPLAY": "never"}
    )
    assert online.exit_code == 0
    assert "Online" in online.output


def test_environment_overrides_take_lists_and_tables_as_json(tmp_path: Path) -> None:
    environ = {
        "GRAPEVINE_SOURCES__RSS__FEEDS": '["https://example.com/feed.xml"]',
        "GRAPEVINE_SOURCES__APPSTORE__APPS": '[{"id": "1", "countries": ["us", "de"]}]',
        "GRAPEVINE_SCORING__HOTSPOT_WEIGHTS": '{"relevance": 2.0}',
        "GRAPEVINE_SOURCES__REDDIT__ENABLED": "false",
    }
    settings = load_config(EXAMPLE, environ=environ)
    assert settings.sources["rss"].options["feeds"] == ["https://example.com/feed.xml"]
    assert settings.sources["appstore"].options["apps"] == [{"id": "1", "countries": ["us", "de"]}]
    assert settings.scoring.hotspot_weights.relevance == 2.0
    assert settings.scoring.hotspot_weights.growth == 0.5  # a table merges into the file's
    assert settings.sources["reddit"].enabled is False
    with pytest.raises(ConfigError, match=r"GRAPEVINE_SOURCES__RSS__FEEDS.*not valid JSON"):
        load_config(EXAMPLE, environ={"GRAPEVINE_SOURCES__RSS__FEEDS": '["unclosed'})
