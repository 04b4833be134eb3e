"""The ``grapevine classify`` contract: JSON lines in, JSON lines out, bad lines survive."""

from __future__ import annotations

import io
import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from grapevine.labelling.area import add_commands as register
from grapevine.labelling.area import classify_stream, parse_line
from nlp.classify import ThreeHeadClassifier
from nlp.labels import QUALITIES, SENTIMENTS

KEYS = {"id", "sentiment", "sentiment_scores", "complaint", "quality", "quality_score", "language"}


def test_parse_line_handles_bad_input() -> None:
    assert parse_line(b'{"id": 1, "text": "hi"}\n') == (1, "hi")
    assert parse_line(b'{"id": "a", "text": null}') == ("a", "")
    assert parse_line(b'{"id": "a"}') == ("a", "")
    assert parse_line(b'{"id": 2, "text": "caf\xff\xfe"}') == (2, "caf\ufffd\ufffd")
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
