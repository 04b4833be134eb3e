"""Fixtures for the app's tests: a seeded store and a config pointing at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st

from config import Settings
from storage import keys, open_store
from tests.app.seed import CONFIG_EXTRA, seed

APP = Path(__file__).resolve().parents[2] / "app.py"


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Each test reads its own store; cached results must not leak between tests."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def seeded(make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The hand-checked store of :mod:`tests.app.seed`, with GRAPEVINE_CONFIG set to it."""
    settings = make_settings(CONFIG_EXTRA)
    assert settings.path is not None
    store = open_store(settings.store.database_url)
    seed(store, settings)
    keys.create_key(settings.store.database_url)  # as `grapevine init` does
    store.engine.dispose()
    monkeypatch.setenv("GRAPEVINE_CONFIG", str(settings.path))
    monkeypatch.delenv("GRAPEVINE_DATABASE_URL", raising=False)
    return settings
