"""Export a brand's mentions with their labels: the one pipeline the CLI and the app share.

store ──(chunked select)──► pseudonymise ──► tally ──► writer ──► file or bytes
                                                                 └► datasheet

Rows are read ``chunk_size`` at a time from a server-side cursor and written at once, so
memory stays flat however many mentions the store holds. Files are written under a
temporary name and moved into place when complete: an interrupted export never leaves a
half file that looks finished. Every file gets its datasheet beside it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import grapevine
from grapevine.export.columns import COLUMNS, Column, columns_for
from grapevine.export.datasheet import Datasheet, Tally
from grapevine.export.pseudonym import Pseudonymiser, installation_secret
from grapevine.export.query import (
    ExportFilters,
    count_select,
    current_model_version,
    mention_select,
)
from grapevine.export.writers import Format, open_writer
from scoring import ScoringSettings
from scoring.corrections import count_corrections
from storage import Store, schema

__all__ = [
    "ExportBundle",
    "ExportOptions",
    "ExportResult",
    "count_rows",
    "export_bundle",
    "export_to_bytes",
    "export_to_path",
]

_AT = {c.name: i for i, c in enumerate(COLUMNS)}
_IDS = tuple(_AT[n] for n in ("external_id", "url", "parent_id", "thread_id"))
_TEXTS = tuple(_AT[n] for n in ("title", "text"))
_SOURCE, _AUTHOR, _OWN = _AT["source"], _AT["author"], _AT["own_account"]

MIME = {
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
    "jsonl": "application/jsonl",
}

Progress = Callable[[int], None]


@dataclasses.dataclass(frozen=True, slots=True)
class ExportOptions:
    """How rows are written, beyond which rows (the filters).

    ``include_authors`` keeps real handles, profile links and ids (an explicit choice,
    recorded in the datasheet). ``include_raw`` adds the source's original payload; it
    holds identifiers no scrubber can reliably find, so it requires ``include_authors``.
    ``brand`` is the configured brand (for its query in the datasheet) when known.
    ``scoring`` is the ``[scoring]`` section (``settings.scoring``): its complaint threshold
    is what the complaint filter and the datasheet's complaint count use, unless the filters
    override it; the default is the section's documented defaults.
    """

    include_authors: bool = False
    include_raw: bool = False
    chunk_size: int = 5_000
    brand: Any = None  # config.settings.Brand; Any keeps this module free of config
    scoring: ScoringSettings = dataclasses.field(default_factory=ScoringSettings)
    #: ``[store] retention_days``, for the datasheet's retention statement (issue #15)
    retention_days: int | None = None

    def __post_init__(self) -> None:
        if self.include_raw and not self.include_authors:
            raise ValueError(
                "raw payloads hold author identifiers; --include-raw needs --include-authors"
            )
        if self.chunk_size < 1:
            raise ValueError("chunk_size must be positive")


@dataclasses.dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    datasheet_md: Path
    datasheet_json: Path
    datasheet: Datasheet


@dataclasses.dataclass(frozen=True, slots=True)
class ExportBundle:
    """An export held in memory (for the app's download button)."""

    file_name: str
    mime: str
    data: bytes
    datasheet: Datasheet

    def zip(self) -> bytes:
        """The file and its two datasheets in one zip: one download that keeps them together."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(self.file_name, self.data)
            archive.writestr(f"{self.file_name}.datasheet.md", self.datasheet.to_markdown())
            archive.writestr(f"{self.file_name}.datasheet.json", self.datasheet.to_json_text())
        return buffer.getvalue()


def _resolve_version(store: Store, filters: ExportFilters) -> str | None:
    if filters.model_version is not None:
        return filters.model_version
    with store.engine.connect() as conn:
        return current_model_version(conn)


def count_rows(store: Store, filters: ExportFilters, options: ExportOptions | None = None) -> int:
    """How many rows the export will hold (the progress bar's total)."""
    options = options or ExportOptions()
    version = _resolve_version(store, filters)
    stmt = count_select(filters, version, options.scoring, _own_communities(options))
    with store.engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def _own_communities(options: ExportOptions) -> tuple[str, ...]:
    """The brand's own communities (the news rule's exception), when the brand is known."""
    return tuple(options.brand.own_communities) if options.brand is not None else ()


def _threshold(filters: ExportFilters, options: ExportOptions) -> float:
    """The complaint threshold in force: the filters' override, else ``[scoring]``'s."""
    if filters.complaint_threshold is not None:
        return filters.complaint_threshold
    return options.scoring.complaint_threshold


def _pseudonymise(row: list[Any], pseudo: Pseudonymiser) -> None:
    source, author = row[_SOURCE], row[_AUTHOR]
    for i in _IDS:
        row[i] = pseudo.scrub(row[i], source, author)
    for i in _TEXTS:
        row[i] = pseudo.scrub_text(row[i], source)
    row[_AUTHOR] = pseudo.author(source, author)


def _stream(
    store: Store,
    filters: ExportFilters,
    fmt: Format,
    sink: BinaryIO,
    options: ExportOptions,
    progress: Progress | None,
) -> tuple[Tally, str | None, Pseudonymiser, tuple[Column, ...]]:
    secret = installation_secret(store)  # read only: `grapevine init` creates it
    pseudo = Pseudonymiser(secret)
    version = _resolve_version(store, filters)
    columns = columns_for(options.include_raw)
    tally = Tally(complaint_threshold=_threshold(filters, options))
    writer = open_writer(fmt, sink, columns)
    stmt = mention_select(
        filters,
        version,
        options.scoring,
        include_raw=options.include_raw,
        own_communities=_own_communities(options),
    )
    raw_at = len(COLUMNS)
    with store.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=options.chunk_size).execute(
            stmt
        )
        for chunk in result.partitions():
            rows: list[tuple[Any, ...]] = []
            for record in chunk:
                row = list(record)
                row[_OWN] = bool(row[_OWN])
                if not options.include_authors:
                    _pseudonymise(row, pseudo)
                if options.include_raw:
                    row[raw_at] = (
                        None if row[raw_at] is None else json.dumps(row[raw_at], ensure_ascii=False)
                    )
                tally.add(row)
                rows.append(tuple(row))
            writer.write(rows)
            if progress is not None:
                progress(len(rows))
        # labels people corrected (scoring.corrections): exported in place of the model's
        ids = stmt.with_only_columns(schema.mentions.c.id).order_by(None)
        tally.corrected = count_corrections(conn, ids)
    writer.close()
    return tally, version, pseudo, columns


def _terms_of_use(sources: Mapping[str, int]) -> dict[str, str]:
    from collectors import REGISTRY

    notes = {}
    for name in sources:
        cls = REGISTRY.get(name)
        notes[name] = (
            cls.terms_of_use
            if cls is not None and cls.terms_of_use
            else (
                "no terms-of-use note is recorded for this source; check the source's terms "
                "before sharing"
            )
        )
    return notes


def _brand_json(filters: ExportFilters, brand: Any) -> dict[str, Any]:
    if brand is None:
        return {"name": filters.brand, "query": None}
    return {
        "name": brand.name,
        "query": brand.query,
        "exclude": list(brand.exclude),
        "category_query": brand.category_query,
        "competitors": list(brand.competitors),
        "languages": list(brand.languages),
    }


def _datasheet(
    *,
    file_name: str,
    fmt: Format,
    sha256: str,
    filters: ExportFilters,
    options: ExportOptions,
    tally: Tally,
    version: str | None,
    pseudo: Pseudonymiser,
    columns: tuple[Column, ...],
) -> Datasheet:
    if options.include_authors:
        pseudonymisation = {
            "include_authors": True,
            "authors": "real handles (--include-authors was given)",
            "method": "none",
            "key_id": pseudo.key_id,
            "other_identifiers": "kept as collected (profile links, user ids, @handles)",
        }
    else:
        pseudonymisation = {
            "include_authors": False,
            "authors": "replaced by pseudonyms u_<20 hex>",
            "method": (
                "HMAC-SHA256 keyed with this installation's secret over "
                "'<source>:<lower-cased handle>', first 80 bits; the key never leaves the "
                "installation"
            ),
            "key_id": pseudo.key_id,
            "other_identifiers": (
                "@handles and u/handles in titles and texts, profile links, user ids in "
                "URLs and ids (Stack Exchange share links, Hacker News user links, Bluesky "
                "DIDs) and the author's handle inside URLs and ids are replaced by the same "
                "pseudonyms; raw source payloads are not exported"
            ),
        }
    return Datasheet(
        file_name=file_name,
        format=fmt,
        sha256=sha256,
        exported_at=datetime.now(UTC),
        grapevine_version=grapevine.__version__,
        brand=_brand_json(filters, options.brand),
        filters=filters.to_json(),
        model_version_requested=version,
        tally=tally,
        pseudonymisation=pseudonymisation,
        include_raw=options.include_raw,
        terms_of_use=_terms_of_use(tally.by_source),
        columns=columns,
        retention_days=options.retention_days,
    )


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def export_to_path(
    store: Store,
    filters: ExportFilters,
    fmt: Format,
    out: Path,
    options: ExportOptions | None = None,
    *,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the export to ``out`` and its datasheets to ``out.datasheet.md`` / ``.json``."""
    options = options or ExportOptions()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        with partial.open("wb") as sink:
            tally, version, pseudo, columns = _stream(store, filters, fmt, sink, options, progress)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    sheet = _datasheet(
        file_name=out.name,
        fmt=fmt,
        sha256=_sha256_file(out),
        filters=filters,
        options=options,
        tally=tally,
        version=version,
        pseudo=pseudo,
        columns=columns,
    )
    md = out.with_name(out.name + ".datasheet.md")
    js = out.with_name(out.name + ".datasheet.json")
    md.write_text(sheet.to_markdown(), encoding="utf-8")
    js.write_text(sheet.to_json_text(), encoding="utf-8")
    return ExportResult(out, md, js, sheet)


def export_bundle(
    store: Store,
    filters: ExportFilters,
    fmt: Format,
    options: ExportOptions | None = None,
    *,
    file_name: str | None = None,
    progress: Progress | None = None,
) -> ExportBundle:
    """The export in memory with its datasheet. Memory grows with the file's size, so
    this is for what a page shows (the app's filters); the CLI streams to disk."""
    options = options or ExportOptions()
    name = file_name or f"{_slug(filters.brand)}-mentions.{fmt}"
    buffer = io.BytesIO()
    tally, version, pseudo, columns = _stream(store, filters, fmt, buffer, options, progress)
    data = buffer.getvalue()
    sheet = _datasheet(
        file_name=name,
        fmt=fmt,
        sha256=hashlib.sha256(data).hexdigest(),
        filters=filters,
        options=options,
        tally=tally,
        version=version,
        pseudo=pseudo,
        columns=columns,
    )
    return ExportBundle(name, MIME[fmt], data, sheet)


def export_to_bytes(
    store: Store, filters: ExportFilters, fmt: Format, options: ExportOptions | None = None
) -> bytes:
    """Just the file's bytes (see :func:`export_bundle` for the datasheet too)."""
    return export_bundle(store, filters, fmt, options).data


def _slug(text: str) -> str:
    cleaned = "".join(ch.lower() if ch.isalnum() else "-" for ch in text).strip("-")
    return cleaned or "brand"
