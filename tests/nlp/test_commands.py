"""The ``grapevine classify`` contract: JSON lines in, JSON lines out, bad lines survive;
a line with a mention's kind or title is labelled as ``grapevine label`` labels it."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Sequence
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from config.nlp import NlpSettings
from grapevine.labelling.area import InputLine, build_classifier, classify_stream, parse_line
from grapevine.labelling.area import add_commands as register
from nlp import ONEDNN_ISA
from nlp import classify as classify_module
from nlp.classify import ThreeHeadClassifier
from nlp.labels import QUALITIES, SENTIMENTS, Labels
from tests.nlp.test_genre_rules import SPAM

KEYS = {"id", "sentiment", "sentiment_scores", "complaint", "quality", "quality_score", "language"}


def test_parse_line_handles_bad_input() -> None:
    assert parse_line(b'{"id": 1, "text": "hi"}\n') == InputLine(1, "hi")
    assert parse_line(b'{"id": "a", "text": null}') == InputLine("a", "")
    assert parse_line(b'{"id": "a"}') == InputLine("a", "")
    assert parse_line(b'{"id": 2, "text": "caf\xff\xfe"}') == InputLine(2, "caf\ufffd\ufffd")
    assert parse_line(b"\n") is None
    assert parse_line(b"not json") is None
    assert parse_line(b"[1, 2]") is None


def test_stream_keeps_order_and_skips_only_non_objects(
    tiny_classifier: ThreeHeadClassifier,
) -> None:
    lines = [
        b'{"id": 1, "text": "great"}\n',
        b"\n",
        b'{"id": 2, "text": ""}\n',
        b"garbage\n",
        b'{"id": 3, "text": "\xf0\x9f\x98\x80\xf0\x9f\x98\x80"}\n',
        b'{"id": 4, "text": "bad \xc3\x28 utf8"}\n',
        b'{"id": 5, "text": "' + b"long " * 50_000 + b'"}\n',
        b'{"id": {"nested": true}, "text": "order never arrived"}',
    ]
    sink = io.StringIO()
    written, skipped = classify_stream(tiny_classifier, io.BytesIO(b"".join(lines)), sink, window=3)
    assert (written, skipped) == (6, 1)
    out = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert [o["id"] for o in out] == [1, 2, 3, 4, 5, {"nested": True}]
    for o in out:
        assert set(o) == KEYS
        assert o["sentiment"] in SENTIMENTS
        assert set(o["sentiment_scores"]) == set(SENTIMENTS)
        assert o["quality"] in QUALITIES
        assert 0.0 <= o["complaint"] <= 1.0
    assert out[2]["language"] is None


def test_cli_classify_writes_the_contract(tiny_model_dir: Path, tmp_path: Path) -> None:
    config = tmp_path / "grapevine.toml"
    config.write_text(
        '[[brands]]\nname = "Acme"\nquery = "acme"\n'
        f'[nlp]\nweights = "{tiny_model_dir}"\nquantise = false\nlanguages = ["en", "ru"]\n',
        encoding="utf-8",
    )
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"id": "a", "text": "great"}\n{"id": "b", "text": "\xff"}\n')
    out = tmp_path / "out.jsonl"
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(
        app, ["classify", "--in", str(source), "--out", str(out), "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"]
    assert all(set(r) == KEYS for r in rows)


def test_parse_line_reads_a_mentions_kind_and_title() -> None:
    line = b'{"id": 7, "kind": "question", "title": "Price data?", "text": "Any source"}'
    assert parse_line(line) == InputLine(7, "Any source", kind="question", title="Price data?")
    assert parse_line(b'{"id": 8, "text": "x", "kind": null, "title": null}') == InputLine(8, "x")
    assert not InputLine(8, "Why?").as_mention
    assert InputLine(8, "x", title="T").as_mention


class AlwaysSpam:
    """Calls every text spam and remembers what it was asked to read."""

    name = "always-spam"
    version = "s1"

    def __init__(self) -> None:
        self.read: list[str] = []

    def classify(self, texts: Sequence[str]) -> list[Labels]:
        self.read.extend(texts)
        return [SPAM for _ in texts]


def test_a_mention_line_gets_the_genre_rules_a_bare_text_does_not() -> None:
    lines = [
        {"id": "q", "kind": "question", "text": "Is there a dataset of acme prices"},
        {"id": "t", "title": "Dataset of acme prices?", "text": "I need one for a thesis."},
        {"id": "m", "kind": "question", "text": "Followers? Buy now: http://bit.ly/x"},
        {"id": "c", "kind": "comment", "text": "acme acme acme"},
        {"id": "bare", "text": "Is there a dataset of acme prices?"},
    ]
    source = io.BytesIO(b"".join(json.dumps(x).encode() + b"\n" for x in lines))
    sink = io.StringIO()
    classifier = AlwaysSpam()
    assert classify_stream(classifier, source, sink, window=2) == (5, 0)
    got = {
        o["id"]: (o["quality"], o["quality_score"])
        for o in map(json.loads, sink.getvalue().splitlines())
    }
    # questions without spam markers get the most probable other label; a question with a
    # marker, a comment, and a line that names no kind or title keep the model's label
    assert got == {
        "q": ("ordinary", 0.25),
        "t": ("ordinary", 0.25),
        "m": ("spam", 0.6),
        "c": ("spam", 0.6),
        "bare": ("spam", 0.6),
    }
    # a title is read with the text, as `grapevine label` reads a stored mention
    assert classifier.read[1] == "Dataset of acme prices?\nI need one for a thesis."
    assert classifier.read[4] == "Is there a dataset of acme prices?"


@pytest.mark.parametrize(
    ("int8", "preset", "expected"),
    [
        (False, None, ONEDNN_ISA),  # bf16 products: oneDNN kept off AMX tiles
        (False, "ALL", "ALL"),  # the user's own setting wins
        (True, None, None),  # int8 products take the tiles, batch-invariant as they are
    ],
)
def test_a_bf16_classifier_keeps_onednn_off_the_amx_tiles(
    monkeypatch: pytest.MonkeyPatch, int8: bool, preset: str | None, expected: str | None
) -> None:
    """oneDNN reads ``ONEDNN_MAX_CPU_ISA`` once, before its first product, so the setting
    is made before the classifier is built (docs/nlp.md, "CPUs with AMX")."""
    if preset is None:
        monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    else:
        monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", preset)
    seen: list[str | None] = []

    def record(*_args: object, **_kwargs: object) -> None:
        seen.append(os.environ.get("ONEDNN_MAX_CPU_ISA"))

    monkeypatch.setattr(classify_module, "load_classifier", record)
    build_classifier(NlpSettings(int8=int8))
    assert seen == [expected]
