from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from config import ConfigError, Settings, get_secret, install_redaction, load_config, redact
from config.secrets import load_dotenv_file

REPO = Path(__file__).resolve().parents[2]


def test_shipped_example_config_is_valid() -> None:
    settings = load_config(REPO / "config" / "grapevine.toml", environ={})
    assert len(settings.brands) >= 2
    assert len(settings.competitors) >= 1
    for brand in settings.brands:
        for competitor in brand.competitors:
            settings.brand(competitor)  # every competitor resolves
    assert "hackernews" in settings.enabled_sources()


def test_intervals_and_source_options(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    hn = settings.sources["hackernews"]
    assert hn.every == timedelta(minutes=15)
    assert hn.options == {"hits_per_page": 2}
    assert hn.base_url == "https://hn.test/api/v1"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_malformed_query_is_a_config_error_naming_file_and_key(tmp_path: Path) -> None:
    path = _write(tmp_path, '[[brands]]\nname = "Acme"\nquery = "(acme OR"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={})
    message = str(err.value)
    assert str(path) in message
    assert "brands[0].query" in message
    assert "not a valid boolean query" in message


def test_every_problem_is_listed_with_what_was_expected(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[collect]\nreplay = "sometimes"\ntimeout_seconds = -1\n'
        '[[brands]]\nname = "Acme"\nquery = "acme"\ncompetitors = ["Nobody"]\n'
        '[sources.hackernews]\nevery = "often"\n',
    )
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={})
    message = str(err.value)
    assert "collect.replay" in message
    assert "'auto', 'always' or 'never'" in message
    assert "collect.timeout_seconds" in message
    assert "greater than 0" in message
    assert "sources.hackernews.every" in message
    assert "'15m'" in message


def test_unknown_competitor_is_reported(tmp_path: Path) -> None:
    path = _write(tmp_path, '[[brands]]\nname = "Acme"\nquery = "acme"\ncompetitors = ["Nobody"]\n')
    with pytest.raises(ConfigError, match="Nobody"):
        load_config(path, environ={})


def test_unknown_keys_are_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, '[[brands]]\nname = "Acme"\nquery = "acme"\nqeury = "typo"\n')
    with pytest.raises(ConfigError, match=r"brands\[0\]\.qeury"):
        load_config(path, environ={})


def test_broken_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(_write(tmp_path, "[store\n"), environ={})
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml", environ={})


def test_precedence_flags_over_environment_over_file(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings()
    path = settings.path
    assert path is not None
    env = {
        "GRAPEVINE_DATABASE_URL": "sqlite:///from-env.db",
        "GRAPEVINE_SOURCES__HACKERNEWS__ENABLED": "false",
        "GRAPEVINE_REPLAY": "always",
    }
    from_env = load_config(path, environ=env)
    assert from_env.store.database_url == "sqlite:///from-env.db"
    assert from_env.sources["hackernews"].enabled is False
    assert from_env.collect.replay == "always"
    from_flags = load_config(
        path, environ=env, overrides={"store": {"database_url": "sqlite:///flag.db"}}
    )
    assert from_flags.store.database_url == "sqlite:///flag.db"
    assert from_flags.collect.replay == "always"  # untouched by the flag


def test_secrets_come_from_dotenv_and_are_redacted_in_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("GV_TEST_TOKEN", raising=False)
    (tmp_path / ".env").write_text("GV_TEST_TOKEN=s3cr3t-value-123\n", encoding="utf-8")
    load_dotenv_file(tmp_path / ".env")
    secret = get_secret("GV_TEST_TOKEN")
    assert secret is not None
    assert "s3cr3t" not in repr(secret)
    assert secret.get_secret_value() == "s3cr3t-value-123"
    logger = logging.getLogger("grapevine.test")
    with caplog.at_level(logging.INFO):
        install_redaction(logging.getLogger())  # covers caplog's handler on the root logger
        logger.info("calling with token %s", "s3cr3t-value-123")
    assert "s3cr3t-value-123" not in caplog.text
    assert redact("x s3cr3t-value-123 y") == "x *** y"


def test_environment_wins_over_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GV_TEST_OTHER", "from-env")
    (tmp_path / ".env").write_text("GV_TEST_OTHER=from-file\n", encoding="utf-8")
    load_dotenv_file(tmp_path / ".env")
    secret = get_secret("GV_TEST_OTHER")
    assert secret is not None
    assert secret.get_secret_value() == "from-env"
