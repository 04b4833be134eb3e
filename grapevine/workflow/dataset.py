"""People's corrections as a labelled dataset (JSONL or CSV): text in, labels out.

One row per corrected mention that still exists: the text, where it is from, the
person's labels (empty where a label was not reviewed) and the model's labels for the
same mention (the version given, else the newest). Authors and the names of the people
who corrected are left out: the dataset is about the texts, not about anyone. CSV cells a
spreadsheet would run as formulas are escaped as the research export escapes them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, and_, false, select

from grapevine.export.writers import csv_safe
from scoring.queries import resolve_model_version
from storage import schema

__all__ = ["DATASET_COLUMNS", "DatasetFormat", "corrections_rows", "write_corrections"]

DatasetFormat = Literal["jsonl", "csv"]
DATASET_COLUMNS = (
    "mention_id",
    "source",
    "kind",
    "language",
    "created_at",
    "title",
    "text",
    "sentiment",
    "complaint",
    "quality",
    "corrected_at",
    "model_version",
    "model_sentiment",
    "model_complaint",
    "model_quality",
)

M = schema.mentions
C = schema.corrections
LT = schema.labels


def corrections_rows(
    conn: Connection, model_version: str | None = None
) -> Iterator[dict[str, Any]]:
    """Every correction of a live mention, oldest correction first."""
    version = resolve_model_version(conn, model_version)
    stmt = (
        select(
            M.c.id.label("mention_id"),
            M.c.source,
            M.c.kind,
            M.c.language,
            M.c.created_at,
            M.c.title,
            M.c.text,
            C.c.sentiment,
            C.c.complaint,
            C.c.quality,
            C.c.corrected_at,
            LT.c.model_version,
            LT.c.sentiment.label("model_sentiment"),
            LT.c.complaint.label("model_complaint"),
            LT.c.quality.label("model_quality"),
        )
        .select_from(
            C.join(M, M.c.id == C.c.mention_id).outerjoin(
                LT, and_(LT.c.mention_id == M.c.id, LT.c.model_version == (version or ""))
            )
        )
        .where(M.c.deleted == false())
        .order_by(C.c.corrected_at, C.c.mention_id)
    )
    for row in conn.execute(stmt):
        values = dict(row._mapping)
        values["complaint"] = None if values["complaint"] is None else bool(values["complaint"])
        for key in ("created_at", "corrected_at"):
            values[key] = values[key].isoformat() if values[key] is not None else None
        yield values


def write_corrections(
    conn: Connection, out: Path, fmt: DatasetFormat = "jsonl", model_version: str | None = None
) -> int:
    """Write the dataset to ``out``; returns the number of rows."""
    n = 0
    with out.open("w", encoding="utf-8", newline="") as sink:
        writer = csv.writer(sink, lineterminator="\r\n") if fmt == "csv" else None
        if writer is not None:
            writer.writerow(DATASET_COLUMNS)
        for row in corrections_rows(conn, model_version):
            n += 1
            if writer is None:
                sink.write(json.dumps(row, ensure_ascii=False) + "\n")
            else:
                writer.writerow(
                    [
                        csv_safe(v) if isinstance(v, str) else v
                        for v in (row[c] for c in DATASET_COLUMNS)
                    ]
                )
    return n
