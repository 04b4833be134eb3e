"""Each format read back with pandas/pyarrow: same rows, same types, text intact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from grapevine.export import COLUMNS, ExportFilters, ExportOptions, export_to_path
from grapevine.export.columns import arrow_schema
from grapevine.export.writers import csv_safe
from tests.export.conftest import Seeded

ACME_IDS = (
    "hn1",
    "hn2",
    "r1",
    "m1",
    "se1",
    "at://did:plc:grace123/app.bsky.feed.post/bs1",
    "own1",
    "old1",
)

_PANDAS = {"int64": "Int64", "float64": "float64", "bool": "boolean", "string": "string"}


def read_csv(path: Path) -> pd.DataFrame:
    """How a researcher reads the CSV with the datasheet's column types."""
    sheet = json.loads(path.with_name(path.name + ".datasheet.json").read_text("utf-8"))
    dtypes = {c["name"]: _PANDAS[c["type"]] for c in sheet["columns"] if c["type"] != "timestamp"}
    stamps = [c["name"] for c in sheet["columns"] if c["type"] == "timestamp"]
    frame = pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values=[""], encoding="utf-8")
    for name in stamps:
        frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
    return frame


def read_back(path: Path, fmt: str) -> pd.DataFrame:
    if fmt == "parquet":
        return pq.read_table(path).to_pandas()
    if fmt == "jsonl":
        return pd.read_json(path, lines=True, dtype=False)
    return read_csv(path)


def export(seeded: Seeded, tmp_path: Path, fmt: str, **options: Any) -> Path:
    out = tmp_path / f"acme.{fmt}"
    export_to_path(
        seeded.store,
        ExportFilters(brand="Acme"),
        fmt,
        out,  # type: ignore[arg-type]
        ExportOptions(**options),
    )
    return out


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_every_format_holds_the_same_rows_oldest_first(
    seeded: Seeded, tmp_path: Path, fmt: str
) -> None:
    frame = read_back(export(seeded, tmp_path, fmt), fmt)
    assert list(frame.columns) == [c.name for c in COLUMNS]
    expected = sorted((seeded.ids[e] for e in ACME_IDS), key=lambda i: i)
    assert sorted(frame["mention_id"].tolist()) == expected
    assert frame["mention_id"].tolist()[0] == seeded.ids["old1"]  # oldest first
    assert len(frame) == len(ACME_IDS)


def test_parquet_has_the_fixed_schema_and_exact_values(seeded: Seeded, tmp_path: Path) -> None:
    table = pq.read_table(export(seeded, tmp_path, "parquet"))
    assert table.schema.equals(arrow_schema(COLUMNS))
    rows = {r["mention_id"]: r for r in table.to_pylist()}
    hn1 = rows[seeded.ids["hn1"]]
    assert hn1["text"].startswith("Acme грайндер отличный 👍 咖啡機很好")
    assert hn1["sentiment"] == "positive"  # v2, the current model, not v1's "negative"
    assert hn1["model_version"] == "v2"
    assert hn1["sentiment_positive"] == pytest.approx(0.7)
    assert hn1["created_at"].isoformat() == "2026-03-01T12:00:00+00:00"
    hn2 = rows[seeded.ids["hn2"]]
    assert hn2["score"] == -3
    assert hn2["text"] == '=HYPERLINK("http://evil.test","x")'  # only CSV is escaped
    se1 = rows[seeded.ids["se1"]]
    assert se1["sentiment"] is None
    assert se1["model"] is None
    assert rows[seeded.ids["own1"]]["own_account"] is True
    assert rows[seeded.ids["hn1"]]["own_account"] is False


def test_csv_and_jsonl_agree_with_parquet_types_included(seeded: Seeded, tmp_path: Path) -> None:
    reference = read_back(export(seeded, tmp_path, "parquet"), "parquet")
    from_csv = read_back(export(seeded, tmp_path, "csv"), "csv")
    for column in COLUMNS:
        left, right = reference[column.name], from_csv[column.name]
        if column.type == "string":
            right = right.map(lambda v: v[1:] if isinstance(v, str) and v.startswith("'") else v)
            left_values = [None if pd.isna(v) else v for v in left]
            right_values = [None if pd.isna(v) else v for v in right]
            assert left_values == right_values, column.name
        elif column.type == "timestamp":
            assert str(right.dtype) == "datetime64[ns, UTC]" or "UTC" in str(right.dtype)
            assert [None if pd.isna(v) else v.isoformat() for v in left] == [
                None if pd.isna(v) else v.isoformat() for v in right
            ], column.name
        else:
            assert [None if pd.isna(v) else v for v in left] == [
                None if pd.isna(v) else v for v in right
            ], column.name
    from_jsonl = pd.read_json(export(seeded, tmp_path, "jsonl"), lines=True, dtype=False)
    assert from_jsonl["text"].tolist() == reference["text"].tolist()


def test_csv_escapes_formula_cells_and_keeps_utf8(seeded: Seeded, tmp_path: Path) -> None:
    path = export(seeded, tmp_path, "csv")
    raw = path.read_bytes()
    assert "грайндер отличный 👍 咖啡機很好".encode() in raw
    assert not raw.startswith(b"\xef\xbb\xbf")
    frame = read_csv(path)
    by_id = frame.set_index("mention_id")
    hn2 = by_id.loc[seeded.ids["hn2"]]
    assert hn2["text"] == '\'=HYPERLINK("http://evil.test","x")'
    assert hn2["title"] == "'+SUM(A1:A9)"
    assert hn2["score"] == -3  # numbers are numbers, not escaped text
    r1 = by_id.loc[seeded.ids["r1"]]
    assert r1["title"] == "'-acme is broken"
    assert r1["text"].startswith("'@")
    assert by_id.loc[seeded.ids["m1"]]["text"] == "'\tacme tab start"
    for value in frame.select_dtypes("string").stack():
        assert not str(value).startswith(("=", "+", "-", "@", "\t", "\r")), value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        ("", ""),
        ("'x", "'x"),
    ],
)
def test_csv_safe(value: str, expected: str) -> None:
    assert csv_safe(value) == expected


def test_jsonl_keeps_unicode_unescaped(seeded: Seeded, tmp_path: Path) -> None:
    raw = export(seeded, tmp_path, "jsonl").read_bytes()
    assert "咖啡機".encode() in raw
    assert b"\\u" not in raw
    lines = raw.decode("utf-8").splitlines()
    assert len(lines) == len(ACME_IDS)
    first = json.loads(lines[0])
    assert first["created_at"].endswith("+00:00")


def test_empty_export_still_writes_a_valid_file(seeded: Seeded, tmp_path: Path) -> None:
    for fmt in ("csv", "parquet", "jsonl"):
        out = tmp_path / f"none.{fmt}"
        result = export_to_path(seeded.store, ExportFilters(brand="Nobody"), fmt, out)  # type: ignore[arg-type]
        assert result.datasheet.tally.rows == 0
        if fmt == "parquet":
            assert pq.read_table(out).schema.equals(arrow_schema(COLUMNS))
        elif fmt == "csv":
            assert out.read_text("utf-8").strip() == ",".join(c.name for c in COLUMNS)
        else:
            assert out.read_bytes() == b""


def test_raw_payload_needs_include_authors(seeded: Seeded, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="include-authors"):
        ExportOptions(include_raw=True)
    out = export(seeded, tmp_path, "parquet", include_authors=True, include_raw=True)
    table = pq.read_table(out)
    assert table.schema.field("raw").type == pa.string()
    raw = {r["mention_id"]: r["raw"] for r in table.to_pylist()}
    assert json.loads(raw[seeded.ids["r1"]])["author_fullname"] == "t2_secret"


def test_no_partial_file_is_left_when_an_export_fails(
    seeded: Seeded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from grapevine.export import writers

    def broken(self: object, rows: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(writers.CsvWriter, "write", broken)
    out = tmp_path / "broken.csv"
    with pytest.raises(OSError, match="disk full"):
        export_to_path(seeded.store, ExportFilters(brand="Acme"), "csv", out)
    assert list(tmp_path.glob("broken*")) == []
