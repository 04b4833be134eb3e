"""The datasheet that travels with every export (after Gebru et al., *Datasheets for
Datasets*): what was asked for, what came out, where it came from and on which terms.

:class:`Tally` counts rows as they stream past (no second pass over the store);
:class:`Datasheet` renders the result as ``PATH.datasheet.json`` (machine-readable) and
``PATH.datasheet.md`` (for people).
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from grapevine.export.columns import COLUMNS, Column

_AT = {c.name: i for i, c in enumerate(COLUMNS)}
_SOURCE, _KIND, _SENTIMENT, _QUALITY = _AT["source"], _AT["kind"], _AT["sentiment"], _AT["quality"]
_MODEL, _VERSION, _COMPLAINT, _OWN = (
    _AT["model"],
    _AT["model_version"],
    _AT["complaint"],
    _AT["own_account"],
)
_CREATED, _COLLECTED = _AT["created_at"], _AT["collected_at"]

__all__ = ["Datasheet", "Tally"]


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None or (b is not None and b > a) else a


def _earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None or (b is not None and b < a) else a


@dataclasses.dataclass(slots=True)
class Tally:
    """Running counts over exported rows (tuples in the order of ``COLUMNS``)."""

    complaint_threshold: float = 0.5
    rows: int = 0
    by_source: Counter[str] = dataclasses.field(default_factory=Counter)
    by_sentiment: Counter[str] = dataclasses.field(default_factory=Counter)
    by_quality: Counter[str] = dataclasses.field(default_factory=Counter)
    by_kind: Counter[str] = dataclasses.field(default_factory=Counter)
    by_model: Counter[tuple[str, str]] = dataclasses.field(default_factory=Counter)
    complaints: int = 0
    own_account: int = 0
    corrected: int = 0  # rows whose labels a person corrected (set after the rows)
    first_created: datetime | None = None
    last_created: datetime | None = None
    first_collected: datetime | None = None
    last_collected: datetime | None = None

    def add(self, row: Sequence[Any]) -> None:
        self.rows += 1
        self.by_source[row[_SOURCE]] += 1
        self.by_kind[row[_KIND]] += 1
        self.by_sentiment[row[_SENTIMENT] or "unlabelled"] += 1
        self.by_quality[row[_QUALITY] or "unlabelled"] += 1
        if row[_MODEL] is not None:
            self.by_model[(row[_MODEL], row[_VERSION])] += 1
        complaint = row[_COMPLAINT]
        if complaint is not None and complaint >= self.complaint_threshold:
            self.complaints += 1
        if row[_OWN]:
            self.own_account += 1
        created, collected = row[_CREATED], row[_COLLECTED]
        self.first_created = _earlier(self.first_created, created)
        self.last_created = _later(self.last_created, created)
        self.first_collected = _earlier(self.first_collected, collected)
        self.last_collected = _later(self.last_collected, collected)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclasses.dataclass(frozen=True, slots=True)
class Datasheet:
    """Everything a reader of the exported file needs to interpret and cite it."""

    file_name: str
    format: str
    sha256: str
    exported_at: datetime
    grapevine_version: str
    brand: Mapping[str, Any]
    filters: Mapping[str, Any]
    model_version_requested: str | None
    tally: Tally
    pseudonymisation: Mapping[str, Any]
    include_raw: bool
    terms_of_use: Mapping[str, str]
    columns: Sequence[Column]
    retention_days: int | None = None

    def retention(self) -> str:
        """What the installation keeps, for how long, and what that means for this file."""
        kept = (
            f"mentions are deleted {self.retention_days} days after they were posted"
            if self.retention_days is not None
            else "mentions are kept until deleted on request (no retention limit configured)"
        )
        return (
            f"In the installation this was exported from, {kept}; people can be forgotten on "
            "request (`grapevine forget`), and are never collected again. Rows deleted before "
            "this export are not in it; this file is not updated afterwards, so delete it (or "
            "re-export) when its source data must be forgotten (docs/privacy.md)."
        )

    def to_json(self) -> dict[str, Any]:
        t = self.tally
        return {
            "file": self.file_name,
            "format": self.format,
            "sha256": self.sha256,
            "exported_at": self.exported_at.isoformat(),
            "generator": f"grapevine {self.grapevine_version}",
            "brand": dict(self.brand),
            "filters": dict(self.filters),
            "deleted_mentions": "excluded (removed upstream after collection)",
            "retention": {"retention_days": self.retention_days, "statement": self.retention()},
            "rows": t.rows,
            "sources": [
                {"source": s, "rows": n, "terms_of_use": self.terms_of_use.get(s, "")}
                for s, n in sorted(t.by_source.items())
            ],
            "time_span": {
                "requested": {
                    "since": self.filters.get("since"),
                    "until": self.filters.get("until"),
                },
                "first_created_at": _iso(t.first_created),
                "last_created_at": _iso(t.last_created),
            },
            "collection": {
                "first_collected_at": _iso(t.first_collected),
                "last_collected_at": _iso(t.last_collected),
            },
            "counts": {
                "by_source": dict(sorted(t.by_source.items())),
                "by_sentiment": dict(sorted(t.by_sentiment.items())),
                "by_quality": dict(sorted(t.by_quality.items())),
                "by_kind": dict(sorted(t.by_kind.items())),
                "complaints": t.complaints,
                "complaint_threshold": t.complaint_threshold,
                "own_account": t.own_account,
                "corrected_by_people": t.corrected,
            },
            "models": [
                {"model": m, "model_version": v, "rows": n}
                for (m, v), n in sorted(t.by_model.items())
            ],
            "model_version_requested": self.model_version_requested,
            "pseudonymisation": dict(self.pseudonymisation),
            "raw_payload_included": self.include_raw,
            "csv_formula_escaping": (
                "text cells starting with = + - @ tab or CR carry a leading apostrophe"
                if self.format == "csv"
                else None
            ),
            "columns": [
                {"name": c.name, "type": c.type, "description": c.description} for c in self.columns
            ],
        }

    def to_json_text(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n"

    def to_markdown(self) -> str:
        d = self.to_json()
        b = d["brand"]
        p = d["pseudonymisation"]
        lines = [
            f"# Datasheet: {d['file']}",
            "",
            f"Exported {d['exported_at']} by {d['generator']} · format {d['format']} · "
            f"{d['rows']:,} rows · sha256 `{d['sha256']}`",
            "",
            "## What was selected",
            "",
            f"- Brand: **{b.get('name')}**",
            f"- Query: `{b.get('query') or '—'}`",
        ]
        if b.get("exclude"):
            lines.append(f"- Excluded: {', '.join(f'`{q}`' for q in b['exclude'])}")
        if b.get("category_query"):
            lines.append(f"- Category query: `{b['category_query']}`")
        filters = {k: v for k, v in d["filters"].items() if v not in (None, "", [], ())}
        lines.append("- Filters: " + ", ".join(f"{k} = {_plain(v)}" for k, v in filters.items()))
        lines.append(f"- Deleted mentions: {d['deleted_mentions']}")
        span = d["time_span"]
        coll = d["collection"]
        lines += [
            "",
            "## Time span and collection",
            "",
            f"- Requested: {_plain(span['requested']['since']) or 'beginning'} to "
            f"{_plain(span['requested']['until']) or 'now'} (end exclusive)",
            f"- Posted: {span['first_created_at'] or '—'} to {span['last_created_at'] or '—'}",
            f"- Collected: {coll['first_collected_at'] or '—'} to "
            f"{coll['last_collected_at'] or '—'}",
            "",
            "## Counts",
            "",
            "| source | rows |",
            "| --- | ---: |",
            *(f"| {s['source']} | {s['rows']:,} |" for s in d["sources"]),
            "",
            "| sentiment | rows |",
            "| --- | ---: |",
            *(f"| {k} | {n:,} |" for k, n in d["counts"]["by_sentiment"].items()),
            "",
            "| quality | rows |",
            "| --- | ---: |",
            *(f"| {k} | {n:,} |" for k, n in d["counts"]["by_quality"].items()),
            "",
            f"Complaints (probability ≥ {d['counts']['complaint_threshold']}): "
            f"{d['counts']['complaints']:,}; by the brand's own accounts: "
            f"{d['counts']['own_account']:,}.",
            "",
            f"Labels corrected by people: {d['counts']['corrected_by_people']:,} rows carry a "
            "person's sentiment, complaint or quality in place of the model's (the complaint "
            "probability of a corrected complaint is 1.0 or 0.0).",
            "",
            "## Models",
            "",
        ]
        if d["models"]:
            lines += [
                f"- {m['model']} {m['model_version']}: {m['rows']:,} rows" for m in d["models"]
            ]
        else:
            lines.append("- No labelled rows.")
        lines += [
            "",
            "## Pseudonymisation",
            "",
            f"- Authors: {p['authors']}",
            f"- Method: {p['method']}",
            f"- Key id: `{p['key_id']}` (exports with the same key id share pseudonyms)",
            f"- Other identifiers: {p['other_identifiers']}",
            f"- `--include-authors`: {'yes — the file holds real handles' if p['include_authors'] else 'no'}",
            f"- Raw source payloads: {'included' if d['raw_payload_included'] else 'not included'}",
        ]
        if d["csv_formula_escaping"]:
            lines += ["", f"CSV: {d['csv_formula_escaping']}, so spreadsheets do not run them."]
        lines += ["", "## Retention", "", d["retention"]["statement"]]
        lines += ["", "## Sources and their terms of use", ""]
        for s in d["sources"]:
            lines.append(f"- **{s['source']}**: {s['terms_of_use'] or 'no note recorded'}")
        lines += ["", "## Columns", "", "| column | type | meaning |", "| --- | --- | --- |"]
        lines += [f"| {c['name']} | {c['type']} | {c['description']} |" for c in d["columns"]]
        return "\n".join(lines) + "\n"


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)
