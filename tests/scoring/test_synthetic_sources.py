"""The synthetic benchmark store speaks the real collectors' names, so the figures timed on
it (and the app screenshots made from it) look like production data."""

from __future__ import annotations

from pathlib import Path

import grapevine.synthetic as synthetic
from collectors import REGISTRY


def test_generated_sources_are_registered_collectors(tmp_path: Path) -> None:
    sources = set(synthetic._SOURCES)
    assert "googleplay" in sources
    assert sources <= set(REGISTRY), sorted(sources - set(REGISTRY))
    # communities are named "<source>:..." (or just the source) as the collectors name them
    for source, (_weight, _kinds, communities) in synthetic._SOURCES.items():
        assert all(c == source or c.startswith(f"{source}:") for c in communities), source
    settings = synthetic.synthetic_settings(f"sqlite:///{tmp_path / 'unused.db'}")
    own = settings.brand("Acme").own_accounts
    assert set(own) <= set(REGISTRY), sorted(set(own) - set(REGISTRY))
    assert set(synthetic._OWN) <= sources
