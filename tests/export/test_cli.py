"""``grapevine export`` end to end on a seeded store, through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from config import Settings
from grapevine.cli import app
from grapevine.export import export_to_path
from grapevine.export.exporter import ExportFilters
from storage import open_store
from tests.export.conftest import seed

runner = CliRunner()


def _config(tmp_path: Path, make_settings: Callable[..., Settings]) -> Path:
    settings = make_settings()
    assert settings.path is not None
    store = open_store(settings.store.database_url)
    seed(store)
    store.engine.dispose()
    return settings.path


def test_export_writes_file_and_datasheets(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    config = _config(tmp_path, make_settings)
    out = tmp_path / "exports" / "acme.parquet"
    result = runner.invoke(
        app,
        [
            "export",
            "-c",
            str(config),
            "--brand",
            "acme",
            "--format",
            "parquet",
            "--out",
            str(out),
            "--since",
            "2026-03-01",
            "--until",
            "2026-03-02",
            "--source",
            "hackernews",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Exported 2 mentions of Acme" in result.output
    assert pq.read_table(out).num_rows == 2
    sheet = json.loads((tmp_path / "exports" / "acme.parquet.datasheet.json").read_text("utf-8"))
    assert sheet["filters"]["since"] == "2026-03-01T00:00:00+00:00"
    assert sheet["filters"]["until"] == "2026-03-03T00:00:00+00:00"  # --until is inclusive
    assert sheet["brand"]["query"] == 'acme OR "acme corp"'


def test_export_complaints_as_csv_with_authors(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    config = _config(tmp_path, make_settings)
    out = tmp_path / "complaints.csv"
    result = runner.invoke(
        app,
        [
            "export",
            "-c",
            str(config),
            "-b",
            "Acme",
            "-f",
            "csv",
            "-o",
            str(out),
            "--complaint",
            "--include-authors",
        ],
    )
    assert result.exit_code == 0, result.output
    text = out.read_text("utf-8")
    assert "bob_mentions" in text
    assert "carol_reddit" in text
    assert len(text.strip().splitlines()) == 3  # header + 2 complaints (r1's title has no newline)


def test_export_refuses_unknown_brand_format_and_raw_without_authors(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    config = _config(tmp_path, make_settings)
    out = str(tmp_path / "x.csv")
    unknown = runner.invoke(app, ["export", "-c", str(config), "-b", "Nope", "-o", out])
    assert unknown.exit_code == 2
    bad_format = runner.invoke(
        app, ["export", "-c", str(config), "-b", "Acme", "-o", out, "-f", "xlsx"]
    )
    assert bad_format.exit_code == 2
    raw = runner.invoke(
        app, ["export", "-c", str(config), "-b", "Acme", "-o", out, "--include-raw"]
    )
    assert raw.exit_code == 2
    assert "include-authors" in raw.output
    assert not Path(out).exists()


def test_progress_is_reported_chunk_by_chunk(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    from grapevine.export import ExportOptions

    settings = make_settings()
    store = open_store(settings.store.database_url)
    seed(store)
    steps: list[int] = []
    export_to_path(
        store,
        ExportFilters(brand="Acme"),
        "jsonl",
        tmp_path / "a.jsonl",
        ExportOptions(chunk_size=3),
        progress=steps.append,
    )
    assert steps == [3, 3, 2]
    store.engine.dispose()


def test_format_comes_from_the_file_name_when_not_given(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    config = _config(tmp_path, make_settings)
    out = tmp_path / "acme.jsonl"
    result = runner.invoke(app, ["export", "-c", str(config), "-b", "Acme", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert len(out.read_text("utf-8").splitlines()) == 8
    unknown = runner.invoke(
        app, ["export", "-c", str(config), "-b", "Acme", "-o", str(tmp_path / "acme.txt")]
    )
    assert unknown.exit_code == 2
