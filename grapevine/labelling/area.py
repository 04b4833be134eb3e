"""The labelling area: ``grapevine train``, ``classify`` and ``label``, and the scheduler's
periodic labelling job.

``classify`` is the contract independent evaluation depends on: JSON lines in
(``{"id": …, "text": …}``), JSON lines out, in input order, streamed a window at a time.
A line that is not valid UTF-8 is decoded with replacement characters; a line that is not
a JSON object is reported on stderr and skipped (there is no id to answer with); a
missing or null text is classified as the empty text.

A line may also carry a stored mention's ``kind`` and ``title``; with either, the line is
labelled as ``grapevine label`` labels that mention: the classifier reads the title and
then the text, and the genre rules (``nlp.labels.apply_genre_rules``: a question is not
spam without spam markers) correct its labels. A line with neither gets the model's
labels as they are, which is what an evaluation of the model measures.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TransferSpeedColumn
from sqlalchemy.exc import SQLAlchemyError

from config import Settings, parse_interval
from config.nlp import NlpSettings
from grapevine.areas import Area, JobContext, ScheduledJob
from grapevine.runtime import (
    ConfigOption,
    DatabaseOption,
    console,
    load_settings,
    open_settings_store,
)
from grapevine.workflow.dataset import corrections_rows
from nlp import ONEDNN_ISA
from nlp.labels import Labels, apply_genre_rules
from scoring.warm import warm_figures
from storage import Store

if TYPE_CHECKING:  # torch loads in seconds: only the commands that classify pay for it
    from nlp.classify import Classifier

log = logging.getLogger(__name__)

WINDOW_BATCHES = 8

ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="A transformers sequence-classification model dir or hub id for sentiment "
        "(default: [nlp] model, i.e. the shipped model).",
    ),
]


def _settings(config: Path | None) -> NlpSettings:
    return load_settings(config).nlp


def build_classifier(settings: NlpSettings, model: str | None = None) -> Classifier:
    if settings.quantise and not settings.int8:
        # bf16 products stay batch-invariant on a CPU with AMX only with oneDNN kept off
        # its tiles, a setting oneDNN reads once, before its first product: so here, before
        # the classifier runs one (docs/nlp.md, "CPUs with AMX"). A value the user set wins.
        os.environ.setdefault("ONEDNN_MAX_CPU_ISA", ONEDNN_ISA)
    if settings.threads:
        import torch

        torch.set_num_threads(settings.threads)
    from nlp.classify import load_classifier

    return load_classifier(
        model if model is not None else settings.model,
        weights=settings.weights,
        batch_size=settings.batch_size,
        max_length=settings.max_length,
        quantised=settings.quantise,
        int8=settings.int8,
        languages=settings.languages,
        language_low_accuracy=settings.language_low_accuracy,
    )


@dataclasses.dataclass(frozen=True, slots=True)
class InputLine:
    """One ``grapevine classify`` input line: the id to answer with, the text, and the
    stored mention's ``kind`` and ``title`` where the line gives them."""

    id: Any
    text: str
    kind: str | None = None
    title: str | None = None

    @property
    def as_mention(self) -> bool:
        """Whether the line describes a mention (a kind or a title): then it is labelled as
        ``grapevine label`` labels one, genre rules included."""
        return self.kind is not None or self.title is not None


def _as_text(value: Any) -> str | None:
    return value if isinstance(value, str) or value is None else str(value)


def parse_line(raw: bytes) -> InputLine | None:
    """The :class:`InputLine` of one input line, or None when it holds no JSON object."""
    line = raw.decode("utf-8", errors="replace").strip()
    if not line:
        return None
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(record, dict):
        return None
    return InputLine(
        id=record.get("id"),
        text=_as_text(record.get("text")) or "",
        kind=_as_text(record.get("kind")),
        title=_as_text(record.get("title")),
    )


def _label(classifier: Classifier, lines: list[InputLine]) -> list[Labels]:
    """The labels of ``lines``, in order: a mention's as ``grapevine label`` gives them
    (title and text read together, then the genre rules), a bare text's as the model
    gives them."""
    from nlp.labeller import mention_text  # loads torch: only when classifying

    texts = [mention_text(x.title, x.text) if x.as_mention else x.text for x in lines]
    return [
        apply_genre_rules(labels, kind=x.kind, title=x.title, text=x.text)
        if x.as_mention
        else labels
        for x, labels in zip(lines, classifier.classify(texts), strict=True)
    ]


def classify_stream(
    classifier: Classifier,
    source: IO[bytes],
    sink: IO[str],
    *,
    window: int = 256,
    on_bytes: Any = None,
) -> tuple[int, int]:
    """Classify every line of ``source`` into ``sink``; return (written, skipped)."""
    written = skipped = 0
    for lineno, chunk in _windows(source, window, on_bytes):
        records = []
        for offset, raw in enumerate(chunk):
            parsed = parse_line(raw)
            if parsed is None:
                if raw.strip():
                    skipped += 1
                    console.print(f"line {lineno + offset}: not a JSON object, skipped")
                continue
            records.append(parsed)
        for record, labels in zip(records, _label(classifier, records), strict=True):
            sink.write(json.dumps({"id": record.id, **labels.to_json()}, ensure_ascii=False))
            sink.write("\n")
        sink.flush()
        written += len(records)
    return written, skipped


def _windows(source: IO[bytes], size: int, on_bytes: Any) -> Iterator[tuple[int, list[bytes]]]:
    chunk: list[bytes] = []
    first = 1
    for n, raw in enumerate(source, start=1):
        chunk.append(raw)
        if on_bytes is not None:
            on_bytes(len(raw))
        if len(chunk) == size:
            yield first, chunk
            chunk, first = [], n + 1
    if chunk:
        yield first, chunk


def classify_command(
    input_path: Annotated[
        Path,
        typer.Option(
            "--in",
            help="JSON lines: {id, text}, optionally with a mention's kind and title; - for stdin.",
        ),
    ],
    output_path: Annotated[
        Path, typer.Option("--out", help="JSON lines with the labels; - for stdout.")
    ],
    model: ModelOption = None,
    config: ConfigOption = None,
) -> None:
    """Classify a JSON-lines file: sentiment, complaint, quality and language per line.

    Each line is {"id": ..., "text": ...}. A line that also gives a stored mention's "kind"
    (post, comment, review, question, answer) and/or "title" is labelled as `grapevine
    label` labels that mention: title and text are read together and the genre rules apply
    (a question is never spam without spam markers). Without them a line gets the model's
    labels as they are.
    """
    if str(input_path) != "-" and not input_path.is_file():
        console.print(f"[bold red]No such input file[/]: {input_path}")
        raise typer.Exit(2)
    settings = _settings(config)
    classifier = build_classifier(settings, model)
    window = settings.batch_size * WINDOW_BATCHES
    with ExitStack() as stack:
        stdin = str(input_path) == "-"
        source = sys.stdin.buffer if stdin else stack.enter_context(input_path.open("rb"))
        sink = (
            sys.stdout
            if str(output_path) == "-"
            else stack.enter_context(output_path.open("w", encoding="utf-8"))
        )
        if console.is_terminal and not stdin:
            progress = stack.enter_context(
                Progress(
                    TextColumn("classifying"),
                    BarColumn(),
                    TransferSpeedColumn(),
                    TimeElapsedColumn(),
                    console=console,
                )
            )
            task = progress.add_task("classify", total=input_path.stat().st_size)
            written, skipped = classify_stream(
                classifier,
                source,
                sink,
                window=window,
                on_bytes=lambda n: progress.advance(task, n),
            )
        else:
            written, skipped = classify_stream(classifier, source, sink, window=window)
    console.print(f"{written} lines classified, {skipped} skipped ({classifier.version})")


def label_command(
    config: ConfigOption = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="Overrides the configured store.")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Label at most this many mentions.")] = None,
    model: ModelOption = None,
    device: Annotated[
        str,
        typer.Option(
            help="cpu, or cuda where torch sees a GPU (bfloat16/float16, batches of 256+)."
        ),
    ] = "cpu",
) -> None:
    """Label stored mentions that have no label for the current model version."""
    settings = load_settings(config, database_url)
    nlp = settings.nlp
    store = open_settings_store(settings)
    if device != "cpu":
        nlp = nlp.model_copy(update={"quantise": False})  # quantised models are CPU-only
    classifier = build_classifier(nlp, model)
    if device != "cpu":
        from nlp.labeller import on_device  # loads torch: only when labelling

        try:
            classifier = on_device(classifier, device)
        except ValueError as exc:
            console.print(f"[bold red]{exc}[/]")
            raise typer.Exit(2) from None
    with Progress(
        TextColumn("labelling"), BarColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("label", total=limit)
        from nlp.labeller import label_pending  # loads torch: only when labelling

        count = label_pending(
            store,
            classifier,
            batch_size=nlp.batch_size,
            limit=limit,
            progress=lambda n: progress.advance(task, n),
        )
    console.print(f"{count} mentions labelled with {classifier.name} {classifier.version}")


def _require_training_data(data: Path) -> None:
    if not (data / "README.md").exists():
        console.print(f"[bold red]No training data[/] at {data}")
        raise typer.Exit(2)


def train_command(
    data: Annotated[Path, typer.Option(help="The shared data folder.")] = Path("../shared/data"),
    out: Annotated[
        Path | None, typer.Option(help="Model directory to write (default: nlp/weights).")
    ] = None,
    epochs: Annotated[int | None, typer.Option(help="Override the recipe's epochs.")] = None,
    max_steps: Annotated[
        int | None, typer.Option(help="Override the recipe's cap on training batches.")
    ] = None,
    with_corrections: Annotated[
        bool,
        typer.Option(
            "--with-corrections",
            help="Add the labels people corrected in the store (grapevine corrections) to "
            "the training data; the model's version changes with them.",
        ),
    ] = False,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    device: Annotated[
        str,
        typer.Option(help="cpu, or cuda where torch sees a GPU (the same recipe, r2)."),
    ] = "cpu",
) -> None:
    """Fine-tune the shipped model on the shared data (fixed seed) and print validation."""
    from dataclasses import replace

    from nlp.data import correction_examples
    from nlp.model import SHIPPED_DIR
    from nlp.train import default_recipe, train

    _require_training_data(data)
    recipe = default_recipe(device)
    if epochs is not None:
        recipe = replace(recipe, epochs=epochs)
    if max_steps is not None:
        recipe = replace(recipe, max_steps=max_steps)
    extra = []
    if with_corrections:
        store = open_settings_store(load_settings(config, database_url))
        with store.engine.connect() as conn:
            extra = correction_examples(corrections_rows(conn))
        console.print(f"{len(extra)} corrected mention(s) added to the training data")
    train(
        data,
        out or SHIPPED_DIR,
        recipe,
        log=lambda line: console.print(line, highlight=False),
        extra=extra,
        device=device,
    )


def calibrate_command(
    data: Annotated[Path, typer.Option(help="The shared data folder.")] = Path("../shared/data"),
    weights: Annotated[
        Path | None, typer.Option(help="Model directory to calibrate (default: nlp/weights).")
    ] = None,
) -> None:
    """Measure a model's int8 calibration on training texts and write its int8.json.

    ``grapevine train`` does this itself; run it for a model directory without one. The
    labels' version names the calibration, so stored mentions are relabelled once."""
    from nlp.data import load_examples
    from nlp.model import SHIPPED_DIR
    from nlp.train import calibrate_directory

    _require_training_data(data)
    directory = weights or SHIPPED_DIR
    with console.status("Calibrating int8 on training texts…"):
        calibration = calibrate_directory(directory, load_examples(data))
    console.print(
        f"int8 calibration of {directory} measured on {calibration.texts} training texts "
        f"({calibration.digest()[:8]})"
    )


def labelling_job(
    settings: Settings, store: Store, stop: threading.Event | None = None
) -> ScheduledJob:
    """The scheduler's periodic labelling task; the model loads on its first run; a set
    ``stop`` ends a run after the page it is writing. After labelling it computes the
    figures the dashboard opens on (``scoring.warm``): new labels change their days."""
    nlp = settings.nlp
    loaded: list[Classifier] = []

    def run() -> int:
        from nlp.labeller import label_pending  # loads torch: only when the job runs

        if not loaded:
            loaded.append(build_classifier(nlp))
        labelled = label_pending(
            store, loaded[0], batch_size=nlp.batch_size, limit=nlp.label_limit, stop=stop
        )
        try:
            warm_figures(store.engine, settings, stop=stop)
        except SQLAlchemyError as exc:  # the labels are written; the first viewer computes
            log.warning("figures not computed ahead: %s", type(exc).__name__)
        return labelled

    return ScheduledJob(id="nlp:label", every=parse_interval(nlp.every), func=run)


def _jobs(context: JobContext) -> list[ScheduledJob]:
    return [labelling_job(context.settings, context.store, context.engine.stop)]


def add_commands(app: typer.Typer) -> None:
    """Add the NLP commands to the ``grapevine`` app."""
    app.command("train")(train_command)
    app.command("calibrate")(calibrate_command)
    app.command("classify")(classify_command)
    app.command("label")(label_command)


AREA = Area(name="labelling", add_commands=add_commands, jobs=_jobs)
