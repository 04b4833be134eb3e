"""Streaming writers: CSV, Parquet and JSONL, one chunk of rows at a time.

Each writer receives tuples in the order of its columns and writes them straight to a
binary sink, so memory stays at one chunk whatever the export's size. CSV cells that a
spreadsheet would run as a formula are neutralised (see :func:`csv_safe`).
"""

from __future__ import annotations

import abc
import csv
import io
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, BinaryIO, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from grapevine.export.columns import Column, arrow_schema

__all__ = ["FORMATS", "Format", "RowWriter", "csv_safe", "open_writer"]

Format = Literal["csv", "parquet", "jsonl"]
FORMATS: tuple[Format, ...] = ("csv", "parquet", "jsonl")

Row = tuple[Any, ...]

# OWASP's list: a spreadsheet treats a cell starting with one of these as a formula
# (tab and carriage return can hide one after them).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_CHARS = frozenset(_FORMULA_START)


def csv_safe(value: str) -> str:
    """``value`` with a leading apostrophe when a spreadsheet would evaluate it.

    Spreadsheets hide the apostrophe and show the text as typed; a program reading the
    CSV sees it, which docs/export.md and the datasheet say.
    """
    return "'" + value if value.startswith(_FORMULA_START) else value


class RowWriter(abc.ABC):
    """Writes chunks of rows to a binary sink; :meth:`close` finishes the file (and
    leaves the sink open, so an in-memory buffer can be read afterwards)."""

    def __init__(self, sink: BinaryIO, columns: Sequence[Column]) -> None:
        self.sink = sink
        self.columns = tuple(columns)

    @abc.abstractmethod
    def write(self, rows: Sequence[Row]) -> None: ...

    @abc.abstractmethod
    def close(self) -> None: ...


def _iso(value: datetime) -> str:
    return value.isoformat()


def _csv_cell(column: Column) -> Callable[[Any], Any] | None:
    """How a value of ``column`` becomes a cell; None: as is (the csv module writes None
    as an empty cell, ints with ``str`` and floats with ``repr``, which round-trips)."""
    if column.type == "string":
        return lambda v: v if not v or v[0] not in _FORMULA_CHARS else "'" + v
    if column.type == "timestamp":
        return lambda v: "" if v is None else v.isoformat()
    if column.type == "bool":
        return lambda v: "" if v is None else ("true" if v else "false")
    return None


class CsvWriter(RowWriter):
    """UTF-8 (no byte-order mark), comma-separated, a header row, RFC 4180 quoting;
    empty cells are nulls; timestamps ISO 8601 with their UTC offset."""

    def __init__(self, sink: BinaryIO, columns: Sequence[Column]) -> None:
        super().__init__(sink, columns)
        self._text = io.TextIOWrapper(sink, encoding="utf-8", newline="", write_through=False)
        self._csv = csv.writer(self._text, lineterminator="\r\n")
        self._convert = [
            (i, f) for i, f in enumerate(_csv_cell(c) for c in self.columns) if f is not None
        ]
        self._csv.writerow([c.name for c in self.columns])

    def write(self, rows: Sequence[Row]) -> None:
        convert = self._convert
        cells = []
        for row in rows:
            cell = list(row)
            for i, f in convert:
                cell[i] = f(cell[i])
            cells.append(cell)
        self._csv.writerows(cells)

    def close(self) -> None:
        self._text.flush()
        self._text.detach()


class JsonlWriter(RowWriter):
    """One JSON object per line, UTF-8 as is (not \\u-escaped); nulls are ``null``."""

    def __init__(self, sink: BinaryIO, columns: Sequence[Column]) -> None:
        super().__init__(sink, columns)
        self._names = [c.name for c in self.columns]
        self._encoder = json.JSONEncoder(ensure_ascii=False, default=_iso)

    def write(self, rows: Sequence[Row]) -> None:
        names, encode = self._names, self._encoder.encode
        lines = [encode(dict(zip(names, row, strict=True))) for row in rows]
        if lines:
            self.sink.write(("\n".join(lines) + "\n").encode("utf-8"))

    def close(self) -> None:
        self.sink.flush()


class ParquetWriter(RowWriter):
    """Exactly the schema of :mod:`columns`, zstd-compressed. Chunks are converted to
    Arrow at once (compact) and written as row groups of up to ``row_group_rows`` rows or
    ``row_group_bytes`` of Arrow data, whichever comes first: readers scan that far
    faster than thousands of tiny groups, and long texts cannot make a group outgrow the
    memory budget."""

    row_group_rows = 50_000
    row_group_bytes = 48 * 2**20

    def __init__(self, sink: BinaryIO, columns: Sequence[Column]) -> None:
        super().__init__(sink, columns)
        self._schema = arrow_schema(self.columns)
        self._writer = pq.ParquetWriter(sink, self._schema, compression="zstd")
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._pending_bytes = 0

    def write(self, rows: Sequence[Row]) -> None:
        if not rows:
            return
        by_column = list(zip(*rows, strict=True))
        arrays = [
            pa.array(values, type=field.type)
            for values, field in zip(by_column, self._schema, strict=True)
        ]
        batch = pa.RecordBatch.from_arrays(arrays, schema=self._schema)
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        self._pending_bytes += batch.nbytes
        if self._pending_rows >= self.row_group_rows or self._pending_bytes >= self.row_group_bytes:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            table = pa.Table.from_batches(self._pending, schema=self._schema)
            self._writer.write_table(table, row_group_size=max(self._pending_rows, 1))
            self._pending, self._pending_rows, self._pending_bytes = [], 0, 0

    def close(self) -> None:
        self._flush()
        self._writer.close()


_WRITERS: dict[Format, type[RowWriter]] = {
    "csv": CsvWriter,
    "parquet": ParquetWriter,
    "jsonl": JsonlWriter,
}


def open_writer(fmt: Format, sink: BinaryIO, columns: Sequence[Column]) -> RowWriter:
    try:
        return _WRITERS[fmt](sink, columns)
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}") from None
