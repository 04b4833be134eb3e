"""Throughput of the three-head classifier vs a plain transformers pipeline, interleaved.

    python benchmarks/bench_nlp.py [--data ../shared/data] [--n 1024] [--threads 2]
                                   [--rounds 5] [--batch 32]

All run in this process on the same texts (XLM-T validation posts, all 8 languages, plus
complaint tweets): Grapevine's ``ThreeHeadClassifier`` as it labels (static int8 matrix
products where the model ships a calibration, ``nlp.int8``; run packed: token-wise parts
on the real tokens only, attention per width padded to a multiple of 8 tokens; three heads
and language identification), the same model with bf16 products (``int8=False``, what
shipped before) and ``pipeline("text-classification")`` over the same multilingual-e5-small
encoder as a plain fp32 ``BertForSequenceClassification`` (one head, unsorted batches,
max_length 128). Grapevine runs its batches two at a time, each on one thread (``workers``,
as many as ``--threads``); the same model one batch at a time on all the threads
(``workers=1``, what shipped before) is measured in the same rounds.

They alternate, one pass each per round, so a change in the machine's load hits all of
them; the figure to read is the median of the per-round ratios (a shared CPU moves absolute
rates by 2x, see docs/nlp.md). Peak RSS is measured once per model, while only that model
is loaded: the kernel's high-water mark is reset (``clear_refs`` 5) before and read from
``/proc/self/status`` after. Last, the batch-invariance check: the texts again in shuffled
order at another batch size, with the number of labels or probabilities that changed (for
both precisions), and the bf16 padded path's results (``packed=False``) against its packed
path's.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gc
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch


def read_texts(data: Path, n: int) -> list[str]:
    texts: list[str] = []
    for lang in sorted(p.name for p in (data / "xlmt_sentiment").iterdir()):
        texts += (data / "xlmt_sentiment" / lang / "val_text.txt").read_text().splitlines()
    with (data / "complaints/train.csv").open(encoding="utf-8", newline="") as handle:
        texts += [row["text"] for row in csv.DictReader(handle)]
    step = max(1, len(texts) // n)
    return texts[::step][:n]


def rss_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    gc.collect()
    # Not Linux, or not allowed: the peak is then the process's whole-life peak.
    with contextlib.suppress(OSError):
        Path(f"/proc/{os.getpid()}/clear_refs").write_text("5")


def rate(run: Callable[[Sequence[str]], object], texts: Sequence[str]) -> float:
    start = time.perf_counter()
    run(texts)
    return len(texts) / (time.perf_counter() - start)


def baseline_pipeline(directory: Path, batch_size: int) -> Callable[[Sequence[str]], object]:
    from transformers import (
        BertForSequenceClassification,
        PreTrainedTokenizerFast,
        pipeline,
    )

    from nlp.encoder import build_e5_tokenizer, load_e5_encoder

    if not (directory / "config.json").exists():
        encoder = load_e5_encoder()
        config = encoder.config
        config.num_labels = 3
        model = BertForSequenceClassification(config)
        model.bert.load_state_dict(encoder.state_dict(), strict=False)
        model.save_pretrained(directory)
        tokenizer = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
            tokenizer_object=build_e5_tokenizer().tokenizer,
            bos_token="<s>",
            eos_token="</s>",
            pad_token="<pad>",
            unk_token="<unk>",
        )
        tokenizer.save_pretrained(directory)
        del model, encoder
    classifier = pipeline("text-classification", model=str(directory), device="cpu")

    def run(texts: Sequence[str]) -> object:
        return classifier(list(texts), batch_size=batch_size, truncation=True, max_length=128)

    return run


def invariance(
    reference: list[object], classify: Callable[[Sequence[str]], list[object]], texts: list[str]
) -> int:
    """How many texts get another result (labels or any probability) than ``reference``
    when classified in shuffled order, and with only half of their neighbours."""
    order = list(range(len(texts)))
    random.Random(5).shuffle(order)
    changed = 0
    for subset in (order, order[: len(order) // 2]):
        again = classify([texts[i] for i in subset])
        changed += sum(again[k] != reference[i] for k, i in enumerate(subset))
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    texts = read_texts(args.data, args.n)
    load = os.getloadavg()[0]
    print(
        f"{len(texts)} texts, mean {sum(map(len, texts)) / len(texts):.0f} characters, "
        f"{args.threads} threads, batch {args.batch}, load average {load:.1f}"
    )

    from nlp import int8
    from nlp.classify import ThreeHeadClassifier

    # what decides the arithmetic, and so which of docs/nlp.md's CPU kinds these figures are
    print(
        f"CPU: VNNI {torch.cpu._is_vnni_supported()}, AMX {torch.cpu._is_amx_tile_supported()} "
        f"(products on AMX tiles: {int8.amx()}); "
        f"ONEDNN_MAX_CPU_ISA={os.environ.get('ONEDNN_MAX_CPU_ISA', '(not set)')}"
    )
    reset_peak()
    ours = ThreeHeadClassifier(args.weights, batch_size=args.batch)
    ours.classify(texts)  # warm-up: lingua loads each language model lazily
    peak_ours = rss_mib("VmHWM")
    bf16 = ThreeHeadClassifier(
        args.weights, batch_size=args.batch, int8=False, languages=ours.languages
    )
    bf16.classify(texts[:64])

    with tempfile.TemporaryDirectory() as tmp:
        reset_peak()
        baseline = baseline_pipeline(Path(tmp), args.batch)
        baseline(texts[:64])
        peak_baseline = rss_mib("VmHWM")
        rounds: list[tuple[float, float, float, float, float]] = []
        for n in range(args.rounds):
            a = rate(ours.classify, texts)
            h = rate(ours.scores, texts)
            ours.workers = 1
            s = rate(ours.classify, texts)
            ours.workers = None
            p = rate(bf16.classify, texts)
            b = rate(baseline, texts)
            rounds.append((a, h, s, p, b))
            print(
                f"round {n + 1}: grapevine {a:6.1f}/s   heads only {h:6.1f}/s   "
                f"one batch at a time {s:6.1f}/s   bf16 {p:6.1f}/s   pipeline {b:6.1f}/s   "
                f"ratio {a / b:5.2f}x (heads only {h / b:5.2f}x, one batch at a time "
                f"{s / b:5.2f}x, bf16 {p / b:5.2f}x)",
                flush=True,
            )
        del baseline
    print()
    print(f"load average during the run: {load:.1f} -> {os.getloadavg()[0]:.1f}")
    print(
        "| model | batch | mentions/s (median of rounds) | best round | peak RSS MiB "
        "| vs pipeline (median of per-round ratios) |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    names = (
        f"grapevine: 3 heads + language id, packed, {ours.model.precision()}, "
        f"{args.threads} batch workers",
        "grapevine: the 3 heads alone (no language id), same model",
        f"grapevine: same model, one batch at a time on {args.threads} threads (workers=1)",
        "grapevine, bf16 products (int8=False), 3 heads + language id",
        "pipeline: 1 head, fp32",
    )
    peaks = (
        f"{peak_ours:.0f}",
        "same model",
        "same model",
        "not measured alone",
        f"{peak_baseline:.0f}",
    )
    for k, (name, peak) in enumerate(zip(names, peaks, strict=True)):
        ratios = [r[k] / r[-1] for r in rounds]
        print(
            f"| {name} | {args.batch} | {statistics.median(r[k] for r in rounds):.1f} "
            f"| {max(r[k] for r in rounds):.1f} | {peak} | {statistics.median(ratios):.2f}x "
            f"({min(ratios):.2f}-{max(ratios):.2f}) |"
        )
    for label, k in (("batch workers vs one batch at a time", 2), ("int8 vs bf16", 3)):
        gain = [r[0] / r[k] for r in rounds]
        print(
            f"{label}, median of per-round ratios: "
            f"{statistics.median(gain):.2f}x (range {min(gain):.2f}-{max(gain):.2f})"
        )

    def run_at(
        classifier: ThreeHeadClassifier, batch: int
    ) -> Callable[[Sequence[str]], list[object]]:
        def run(batch_texts: Sequence[str]) -> list[object]:
            classifier.batch_size = batch
            return list(classifier.classify(batch_texts))

        return run

    # each model's results at the benchmark's batch size, in input order: the reference
    # every check below compares against
    int8_results = run_at(ours, args.batch)(texts)
    bf16_results = run_at(bf16, args.batch)(texts)
    for name, classifier, reference in (
        (ours.model.precision(), ours, int8_results),
        ("bf16", bf16, bf16_results),
    ):
        changed = invariance(reference, run_at(classifier, 7), texts)
        print(
            f"batch invariance, {name}: {changed} results changed "
            "(shuffled and halved, batch 7 vs 32)"
        )
    ours.workers = 1
    one_at_a_time = run_at(ours, args.batch)(texts)
    ours.workers = None
    moved = sum(a != b for a, b in zip(int8_results, one_at_a_time, strict=True))
    print(f"{args.threads} batch workers vs one batch at a time: {moved} results differ")
    bf16.packed = False
    before = run_at(bf16, args.batch)(texts)
    bf16.packed = True
    moved = sum(a != b for a, b in zip(before, bf16_results, strict=True))
    print(f"bf16 padded path vs packed path: {moved} results differ")
    differ = sum(
        a.sentiment != b.sentiment  # type: ignore[attr-defined]
        for a, b in zip(int8_results, bf16_results, strict=True)
    )
    print(f"{ours.model.precision()} vs bf16: {differ} of {len(texts)} sentiment labels differ")


if __name__ == "__main__":
    main()
