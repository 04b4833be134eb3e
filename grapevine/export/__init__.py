"""Research export (DESIGN.md §5): a brand's mentions with their labels as CSV, Parquet or
JSONL, streamed in chunks, authors pseudonymised, with a datasheet beside every file.

The CLI (``grapevine export``) and the app's Mentions page share one pipeline:

- :func:`export_to_path` — stream to a file, write ``PATH.datasheet.md`` / ``.json``.
- :func:`export_bundle` — the same in memory (``.data``, ``.datasheet``, ``.zip()``) for a
  download button; the page passes its own selection (``MentionQuery.selection``).
- :func:`export_arguments` — a selection as ``grapevine export`` flags (the command the
  Mentions page offers for sets too big for a browser); the CLI parses them back into an
  equal :class:`scoring.MentionSelection` (``ExportFilters`` is that class).
- :func:`ensure_installation_secret` — the per-installation pseudonym key (``grapevine init``).
"""

from grapevine.export.columns import COLUMNS, Column
from grapevine.export.datasheet import Datasheet
from grapevine.export.exporter import (
    ExportBundle,
    ExportOptions,
    ExportResult,
    count_rows,
    export_bundle,
    export_to_bytes,
    export_to_path,
)
from grapevine.export.pseudonym import Pseudonymiser, ensure_installation_secret
from grapevine.export.query import ExportFilters, export_arguments, parse_when
from grapevine.export.writers import FORMATS, Format

__all__ = [
    "COLUMNS",
    "FORMATS",
    "Column",
    "Datasheet",
    "ExportBundle",
    "ExportFilters",
    "ExportOptions",
    "ExportResult",
    "Format",
    "Pseudonymiser",
    "count_rows",
    "ensure_installation_secret",
    "export_arguments",
    "export_bundle",
    "export_to_bytes",
    "export_to_path",
    "parse_when",
]
