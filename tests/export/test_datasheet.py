"""The datasheet beside every export: what was asked, what came out, on which terms."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import update

from collectors import REGISTRY
from config import Settings
from grapevine.export import ExportFilters, ExportOptions, export_bundle, export_to_path
from storage import schema
from tests.export.conftest import T0, Seeded


def test_datasheet_files_sit_beside_the_export(
    seeded: Seeded, tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    with seeded.store.engine.begin() as conn:  # a source with no collector (any more)
        conn.execute(
            update(schema.mentions)
            .where(schema.mentions.c.source == "mastodon")
            .values(source="localforum")
        )
    settings = make_settings()
    out = tmp_path / "out" / "acme.parquet"
    result = export_to_path(
        seeded.store,
        ExportFilters(brand="Acme"),
        "parquet",
        out,
        ExportOptions(brand=settings.brand("Acme")),
    )
    assert result.datasheet_md == tmp_path / "out" / "acme.parquet.datasheet.md"
    sheet = json.loads(result.datasheet_json.read_text("utf-8"))
    assert sheet["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert sheet["brand"]["query"] == 'acme OR "acme corp"'
    assert sheet["brand"]["exclude"] == ['"acme anvil"']
    assert sheet["filters"]["brand"] == "Acme"
    assert sheet["filters"]["roles"] == ["brand"]
    assert sheet["rows"] == 8
    assert sheet["counts"]["by_source"] == {
        "bluesky": 1,
        "hackernews": 4,
        "localforum": 1,
        "reddit": 1,
        "stackexchange": 1,
    }
    assert sheet["counts"]["by_sentiment"] == {
        "negative": 2,
        "neutral": 2,
        "positive": 2,
        "unlabelled": 2,
    }
    assert sheet["counts"]["complaints"] == 2
    assert sheet["counts"]["own_account"] == 1
    assert sheet["models"] == [{"model": "grapevine-xlmr", "model_version": "v2", "rows": 6}]
    assert sheet["time_span"]["first_created_at"] == "2026-01-30T12:00:00+00:00"
    assert sheet["time_span"]["last_created_at"] == "2026-03-07T12:00:00+00:00"
    assert sheet["collection"]["first_collected_at"] is not None
    terms = {s["source"]: s["terms_of_use"] for s in sheet["sources"]}
    assert terms["hackernews"] == REGISTRY["hackernews"].terms_of_use
    assert "no terms-of-use note" in terms["localforum"]  # not a registered collector
    assert sheet["pseudonymisation"]["include_authors"] is False
    assert "HMAC-SHA256" in sheet["pseudonymisation"]["method"]
    assert sheet["raw_payload_included"] is False
    assert [c["name"] for c in sheet["columns"]][:3] == ["mention_id", "source", "external_id"]
    md = result.datasheet_md.read_text("utf-8")
    assert 'acme OR "acme corp"' in md
    assert "| hackernews | 4 |" in md
    assert REGISTRY["hackernews"].terms_of_use[:40] in md
    assert "grapevine-xlmr v2: 6 rows" in md


def test_app_bundle_zips_file_and_datasheets(seeded: Seeded) -> None:
    filters = ExportFilters(brand="Acme", since=T0)
    bundle = export_bundle(seeded.store, filters, "csv")
    assert bundle.file_name == "acme-mentions.csv"
    assert bundle.mime == "text/csv"
    assert bundle.datasheet.sha256 == hashlib.sha256(bundle.data).hexdigest()
    with zipfile.ZipFile(io.BytesIO(bundle.zip())) as archive:
        names = set(archive.namelist())
        assert names == {
            "acme-mentions.csv",
            "acme-mentions.csv.datasheet.md",
            "acme-mentions.csv.datasheet.json",
        }
        assert archive.read("acme-mentions.csv") == bundle.data
        sheet = json.loads(archive.read("acme-mentions.csv.datasheet.json"))
    assert sheet["filters"]["since"] == T0.isoformat()
    assert sheet["format"] == "csv"
    assert sheet["csv_formula_escaping"]
