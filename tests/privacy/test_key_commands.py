"""The pseudonym key through the command line: ``grapevine init`` creates it (or moves it
out of the database), ``grapevine export`` stops clearly without it."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from config import Settings
from grapevine.cli import app
from grapevine.export.pseudonym import SECRET_META_KEY
from storage import keys, open_store
from tests.export.conftest import mentions

runner = CliRunner()


def test_init_creates_the_key_and_moves_an_old_one_out_of_the_database(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings()
    assert settings.path is not None
    store = open_store(settings.store.database_url)
    old = "cd" * 32
    store.set_meta_once(SECRET_META_KEY, old)
    store.engine.dispose()
    result = runner.invoke(app, ["init", "-c", str(settings.path)])
    assert result.exit_code == 0, result.output
    path = keys.key_path(settings.store.database_url)
    assert "moved out of the database" in result.output
    assert path.read_text().strip() == old
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    store = open_store(settings.store.database_url)
    assert store.get_meta(SECRET_META_KEY) is None
    store.engine.dispose()
    again = runner.invoke(app, ["init", "-c", str(settings.path)])
    assert again.exit_code == 0
    assert path.read_text().strip() == old


def test_export_without_the_key_stops_before_writing_anything(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings()
    assert settings.path is not None
    store = open_store(settings.store.database_url)
    for mention, matched in mentions():
        store.save_page([mention], {mention.key: matched})
    store.engine.dispose()
    out = tmp_path / "acme.csv"
    result = runner.invoke(app, ["export", "-c", str(settings.path), "-b", "Acme", "-o", str(out)])
    assert result.exit_code == 2
    assert "grapevine init" in result.output
    assert not out.exists()
    assert not list(tmp_path.glob("acme.csv*"))
