"""The synthetic benchmark store speaks the real collectors' names, so the figures timed on
it (and the app screenshots made from it) look like production data."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from collectors import REGISTRY

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _synthetic() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_test_synthetic", BENCHMARKS / "synthetic.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_sources_are_registered_collectors(tmp_path: Path) -> None:
    synthetic = _synthetic()
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
