"""People's corrections: the labels every figure reads, and how far the model agrees.

**Corrected labels.** :func:`corrected_labels` is the ``labels`` table as scoring reads it:
the same rows and columns, with ``sentiment``, ``complaint`` and ``quality`` taken from
``corrections`` where a person gave one. A corrected complaint is a probability of 1.0
(a complaint) or 0.0 (not one), so every threshold treats it as certain. The model's
probabilities (``sentiment_*``, ``quality_score``) stay the model's; ``corrected`` says
whether a person reviewed the mention. :mod:`scoring.queries` joins it wherever a scope
joins labels, so every figure, alert and export uses the correction where one exists.

A correction applies to the mention whatever model labelled it, and needs a label row to
ride on (every mention gets one at its first labelling).

**Agreement.** :func:`model_agreement` compares the labels of a model version with the
people's labels of the same mentions: per field, overall and per source, language and the
person's label (the model's recall on what people said), with counts. It is a live
accuracy estimate on the team's own data — biased towards the mentions people chose to
review, which is said wherever it is shown.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Subquery, and_, case, exists, false, func, select, true

from storage import schema

__all__ = [
    "FIELDS",
    "AgreementRow",
    "ModelAgreement",
    "agreement_from",
    "corrected_labels",
    "count_corrections",
    "model_agreement",
]

LT = schema.labels
C = schema.corrections
M = schema.mentions
#: The labels a person can correct, in the order they are shown.
FIELDS = ("sentiment", "complaint", "quality")


def _person(column: Any) -> Any:
    """The person's label for the label row's mention (NULL: none), as a correlated lookup
    by primary key — cheap, and it keeps the subquery flat so the planner can merge it."""
    return select(column).where(C.c.mention_id == LT.c.mention_id).scalar_subquery()


def corrected_labels() -> Subquery:
    """``labels`` with people's corrections in place of the model's labels (module doc)."""
    complaint = _person(C.c.complaint)
    return select(
        LT.c.id,
        LT.c.mention_id,
        LT.c.model,
        LT.c.model_version,
        func.coalesce(_person(C.c.sentiment), LT.c.sentiment).label("sentiment"),
        LT.c.sentiment_negative,
        LT.c.sentiment_neutral,
        LT.c.sentiment_positive,
        case((complaint == true(), 1.0), (complaint == false(), 0.0), else_=LT.c.complaint).label(
            "complaint"
        ),
        func.coalesce(_person(C.c.quality), LT.c.quality).label("quality"),
        LT.c.quality_score,
        LT.c.language,
        LT.c.labelled_at,
        exists().where(C.c.mention_id == LT.c.mention_id).label("corrected"),
    ).subquery("corrected_labels")


def count_corrections(conn: Connection, mention_ids: Any) -> int:
    """How many of the mentions selected by ``mention_ids`` (a select of ids) a person
    corrected — what an export's datasheet reports."""
    stmt = select(func.count()).select_from(C).where(C.c.mention_id.in_(mention_ids))
    return int(conn.execute(stmt).scalar_one())


@dataclasses.dataclass(frozen=True, slots=True)
class AgreementRow:
    """How often the model's ``field`` matched the people's, within one group.

    ``by`` is ``all``, ``source``, ``language`` or ``label`` (the person's label: the
    model's recall on it); ``reviewed`` mentions had a person's ``field``, ``agreed`` of
    them the same label from the model."""

    field: str
    by: str
    key: str
    reviewed: int
    agreed: int

    @property
    def agreement_pct(self) -> float | None:
        return None if self.reviewed == 0 else self.agreed / self.reviewed * 100


@dataclasses.dataclass(frozen=True, slots=True)
class ModelAgreement:
    model_version: str | None
    complaint_threshold: float
    corrections: int  # mentions with any person's label
    unlabelled: int  # corrected mentions this model version has not labelled
    rows: tuple[AgreementRow, ...]

    def overall(self, field: str) -> AgreementRow:
        for row in self.rows:
            if row.field == field and row.by == "all":
                return row
        return AgreementRow(field, "all", "all", 0, 0)

    def table(self, field: str, by: str) -> list[AgreementRow]:
        return [r for r in self.rows if r.field == field and r.by == by]


@dataclasses.dataclass(frozen=True, slots=True)
class _Pair:
    source: str
    language: str
    field: str
    person: str
    model: str


def _complaint_text(value: bool | float, threshold: float) -> str:
    if isinstance(value, bool):
        return "complaint" if value else "not a complaint"
    return "complaint" if value >= threshold else "not a complaint"


def agreement_from(
    pairs: Iterable[_Pair],
    *,
    model_version: str | None,
    threshold: float,
    corrections: int,
    unlabelled: int,
) -> ModelAgreement:
    counts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for p in pairs:
        hit = int(p.person == p.model)
        for by, key in (
            ("all", "all"),
            ("source", p.source),
            ("language", p.language),
            ("label", p.person),
        ):
            cell = counts[(p.field, by, key)]
            cell[0] += 1
            cell[1] += hit
    order = {f: i for i, f in enumerate(FIELDS)}
    ranks = {"all": 0, "source": 1, "language": 2, "label": 3}
    rows = sorted(
        (AgreementRow(f, by, key, n, k) for (f, by, key), (n, k) in counts.items()),
        key=lambda r: (order[r.field], ranks[r.by], -r.reviewed, r.key),
    )
    return ModelAgreement(model_version, threshold, corrections, unlabelled, tuple(rows))


def model_agreement(
    conn: Connection, model_version: str | None, complaint_threshold: float
) -> ModelAgreement:
    """The model's agreement with every person's label (see the module doc).

    The model's complaint is a complaint at or above ``complaint_threshold``, as on every
    page. ``model_version`` None (no labels at all) counts the corrections and nothing else.
    """
    corrections = int(conn.execute(select(func.count()).select_from(C)).scalar_one())
    if model_version is None:
        return agreement_from(
            [],
            model_version=None,
            threshold=complaint_threshold,
            corrections=corrections,
            unlabelled=corrections,
        )
    stmt = (
        select(
            M.c.source,
            func.coalesce(LT.c.language, M.c.language).label("language"),
            C.c.sentiment,
            C.c.complaint,
            C.c.quality,
            LT.c.sentiment.label("model_sentiment"),
            LT.c.complaint.label("model_complaint"),
            LT.c.quality.label("model_quality"),
        )
        .select_from(
            C.join(M, M.c.id == C.c.mention_id).join(
                LT, and_(LT.c.mention_id == C.c.mention_id, LT.c.model_version == model_version)
            )
        )
        .where(M.c.deleted == false())
    )
    pairs: list[_Pair] = []
    labelled = 0
    for row in conn.execute(stmt):
        labelled += 1
        language = str(row.language or "unknown")
        if row.sentiment is not None:
            pairs.append(
                _Pair(row.source, language, "sentiment", row.sentiment, row.model_sentiment)
            )
        if row.complaint is not None:
            pairs.append(
                _Pair(
                    row.source,
                    language,
                    "complaint",
                    _complaint_text(bool(row.complaint), complaint_threshold),
                    _complaint_text(float(row.model_complaint), complaint_threshold),
                )
            )
        if row.quality is not None:
            pairs.append(_Pair(row.source, language, "quality", row.quality, row.model_quality))
    return agreement_from(
        pairs,
        model_version=model_version,
        threshold=complaint_threshold,
        corrections=corrections,
        unlabelled=corrections - labelled,
    )
