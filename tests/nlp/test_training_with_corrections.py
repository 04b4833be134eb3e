"""``grapevine train --with-corrections``: people's corrected labels join the training data,
teach only the heads someone reviewed, never leak into validation, and change the model's
version (issue #16)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from core.mention import Mention, MentionKind
from grapevine.labelling.area import add_commands
from nlp.data import Example, correction_examples, data_digest, load_examples
from nlp.labels import QUALITIES, SENTIMENTS
from nlp.train import RECIPES, Recipe
from storage import Match, open_store, schema, workflow


def _row(**fields: Any) -> dict[str, Any]:
    return {"title": None, "text": "", "language": "en", "sentiment": None,
            "complaint": None, "quality": None, **fields}  # fmt: skip


def test_a_correction_teaches_only_the_heads_a_person_reviewed() -> None:
    [only_sentiment, only_complaint, everything] = correction_examples(
        [
            _row(text="app keeps crashing", sentiment="negative"),
            _row(title="Refund?", text="still waiting", complaint=True, language="sv"),
            _row(text="buy followers now", sentiment="neutral", complaint=False, quality="spam"),
            _row(title=" ", text="  "),  # nothing to learn from
        ]
    )
    assert (only_sentiment.sentiment, only_sentiment.complaint, only_sentiment.quality) == (
        SENTIMENTS.index("negative"), -1, -1,
    )  # fmt: skip
    assert only_complaint.text == "Refund? still waiting"
    assert (only_complaint.sentiment, only_complaint.complaint, only_complaint.language) == (
        -1, 1, "sv",
    )  # fmt: skip
    assert (everything.complaint, everything.quality) == (0, QUALITIES.index("spam"))
    assert {e.source for e in (only_sentiment, only_complaint, everything)} == {"corrections"}


def test_corrections_join_training_but_never_validation(data_root: Path) -> None:
    base = load_examples(data_root)
    val_text = next(e.text for e in base if e.split == "val")
    extra = correction_examples(
        [
            _row(text="the new update is wonderful", sentiment="positive"),
            _row(text=val_text, sentiment="negative"),
        ]
    )
    examples = load_examples(data_root, extra)
    added = [e for e in examples if e.source == "corrections"]
    assert [e.text for e in added] == ["the new update is wonderful"]
    assert all(e.split == "train" for e in added)
    assert len(examples) == len(base) + 1


def test_corrections_change_the_data_digest(data_root: Path) -> None:
    plain = data_digest(data_root)
    one = [Example("great", "corrections", "en", "train", sentiment=2)]
    assert data_digest(data_root, one) != plain
    assert data_digest(data_root, one) == data_digest(data_root, list(one))
    relabelled = [Example("great", "corrections", "en", "train", sentiment=0)]
    assert data_digest(data_root, relabelled) != data_digest(data_root, one)


def test_the_train_command_reads_corrections_from_the_store(
    tmp_path: Path,
    data_root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (data_root / "README.md").write_text("test data", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'g.db'}"
    store = open_store(url)
    mention = Mention(
        source="hackernews",
        external_id="1",
        kind=MentionKind.COMMENT,
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
        text="acme support never answered my refund request",
        url="https://example.test/1",
    )
    store.save_page([mention], {mention.key: [Match("Acme", "brand")]})
    with store.engine.connect() as conn:
        mention_id = int(conn.execute(select(schema.mentions.c.id)).scalar_one())
    workflow.save_correction(store, mention_id, "ana", complaint=True)
    config = tmp_path / "grapevine.toml"
    config.write_text(
        f'[store]\ndatabase_url = "{url}"\n[[brands]]\nname = "Acme"\nquery = "acme"\n',
        encoding="utf-8",
    )
    seen: dict[str, Any] = {}

    def fake_train(
        data: Path,
        out: Path,
        recipe: Recipe,
        log: object,
        extra: list[Example],
        device: str = "cpu",
    ) -> dict[str, object]:
        seen.update(extra=extra, recipe=recipe, device=device)
        return {}

    monkeypatch.setattr("nlp.train.train", fake_train)
    app = typer.Typer()
    add_commands(app)
    args = ["train", "--data", str(data_root), "--out", str(tmp_path / "model"), "-c", str(config)]
    result = CliRunner().invoke(app, [*args, "--with-corrections"])
    assert result.exit_code == 0, result.output
    [example] = seen["extra"]
    assert (example.text, example.complaint, example.sentiment) == (mention.text, 1, -1)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert seen["extra"] == []
    assert (seen["recipe"].name, seen["device"]) == ("r2", "cpu")  # the CPU rebuilds r2
    result = CliRunner().invoke(app, [*args, "--device", "cuda"])
    assert result.exit_code == 0, result.output
    assert (seen["recipe"], seen["device"]) == (RECIPES["r2"], "cuda")
