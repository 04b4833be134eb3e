"""Fixtures for the team-workflow tests: the app's hand-checked store (tests/app/seed.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from config import Settings
from storage import Store, open_store, schema
from tests.app.conftest import _fresh_caches, seeded

__all__ = ["_fresh_caches", "ids_by_external", "seeded"]


def ids_by_external(store: Store) -> dict[str, int]:
    """Mention ids by their external id (``c1``, ``r1``, … in tests/app/seed.py)."""
    m = schema.mentions
    with store.engine.connect() as conn:
        return {str(e): int(i) for i, e in conn.execute(select(m.c.id, m.c.external_id))}


@pytest.fixture
def store(seeded: Settings) -> Store:
    return open_store(seeded.store.database_url)


@pytest.fixture
def ids(store: Store) -> dict[str, int]:
    return ids_by_external(store)


@pytest.fixture
def settings_factory(make_settings: Callable[..., Settings]) -> Callable[..., Settings]:
    return make_settings
