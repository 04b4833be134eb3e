"""Starting ``grapevine`` commands as real processes and reading what they did."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from storage import open_store
from storage.schema import labels, mentions, runs


def grapevine(
    *args: str, env: Mapping[str, str] | None = None, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """``python -m grapevine.cli ARGS`` with its output in ``log`` (or discarded)."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200", **(env or {})}
    out: Any = log.open("wb") if log is not None else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "grapevine.cli", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=full_env,
        )
    finally:
        if log is not None:
            out.close()  # the child has its own copy


def store_facts(url: str) -> dict[str, Any]:
    """What the store holds: mentions (and distinct keys), labels (and distinct mentions),
    and every run."""
    store = open_store(url, migrate=False)
    try:
        with store.engine.connect() as conn:
            keys = conn.execute(select(mentions.c.source, mentions.c.external_id)).all()
            labelled = conn.execute(select(labels.c.mention_id, labels.c.model_version)).all()
            unlabelled = conn.execute(
                select(func.count())
                .select_from(mentions)
                .where(~select(labels.c.id).where(labels.c.mention_id == mentions.c.id).exists())
            ).scalar_one()
            all_runs = [dict(r._mapping) for r in conn.execute(select(runs).order_by(runs.c.id))]
    finally:
        store.engine.dispose()
    return {
        "mentions": len(keys),
        "distinct_mentions": len(set(keys)),
        "labels": len(labelled),
        "distinct_labels": len(set(labelled)),
        "unlabelled": int(unlabelled),
        "runs": all_runs,
    }
