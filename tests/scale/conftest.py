"""Fixtures for the scale-out tests: a fresh PostgreSQL database per test (on the CI's
loopback cluster; skipped without one), configurations, and the tiny model."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.nlp.conftest import tiny_model_dir  # noqa: F401  (the session's tiny model)

PG_URL = os.environ.get("GRAPEVINE_TEST_POSTGRES_URL")
REPO = Path(__file__).resolve().parents[2]
EXAMPLE_CONFIG = REPO / "config" / "grapevine.toml"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A database of its own on the test cluster, dropped afterwards."""
    if not PG_URL:
        pytest.skip("GRAPEVINE_TEST_POSTGRES_URL not set (.ci/run starts a PostgreSQL)")
    import psycopg

    name = f"gv_scale_{secrets.token_hex(4)}"
    admin = make_url(PG_URL).set(drivername="postgresql", database="postgres")
    admin_dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store URL: SQLite in tmp_path, and PostgreSQL where CI started one."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'grapevine.db'}"
    return str(request.getfixturevalue("pg_url"))
