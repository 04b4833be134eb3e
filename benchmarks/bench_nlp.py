"""Throughput of the three-head classifier vs a plain transformers pipeline, interleaved.

    python benchmarks/bench_nlp.py [--data ../shared/data] [--n 1024] [--threads 2]
                                   [--rounds 5] [--batch 32]

Both run in this process on the same texts (XLM-T validation posts, all 8 languages, plus
complaint tweets): Grapevine's ``ThreeHeadClassifier`` (bf16 encoder layers, texts padded to a
multiple of 8 tokens, three heads and language identification) and
``pipeline("text-classification")`` over the same multilingual-e5-small encoder as a plain
fp32 ``BertForSequenceClassification`` (one head, unsorted batches, max_length 128).

The two alternate, one pass each per round, so a change in the machine's load hits both;
the figure to read is the median of the per-round ratios (a shared CPU moves absolute
rates by 2x, see docs/nlp.md). Peak RSS is measured once per model, while only that model
is loaded: the kernel's high-water mark is reset (``clear_refs`` 5) before and read from
``/proc/self/status`` after. Last, the batch-invariance check: the texts again in shuffled
order at another batch size, with the number of labels or probabilities that changed.
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

    from nlp.classify import ThreeHeadClassifier

    reset_peak()
    ours = ThreeHeadClassifier(args.weights, batch_size=args.batch)
    ours.classify(texts)  # warm-up: lingua loads each language model lazily
    peak_ours = rss_mib("VmHWM")
    with tempfile.TemporaryDirectory() as tmp:
        reset_peak()
        baseline = baseline_pipeline(Path(tmp), args.batch)
        baseline(texts[:64])
        peak_baseline = rss_mib("VmHWM")
        rounds: list[tuple[float, float]] = []
        for n in range(args.rounds):
            a = rate(ours.classify, texts)
            b = rate(baseline, texts)
            rounds.append((a, b))
            print(
                f"round {n + 1}: grapevine {a:6.1f}/s   pipeline {b:6.1f}/s   ratio {a / b:5.2f}x"
            )
        del baseline
    ratios = [a / b for a, b in rounds]
    print()
    print(f"load average during the run: {load:.1f} -> {os.getloadavg()[0]:.1f}")
    print("| model | batch | mentions/s (median of rounds) | best round | peak RSS MiB |")
    print("| --- | --- | --- | --- | --- |")
    print(
        f"| grapevine: 3 heads + language id, bf16 encoder | {args.batch} | "
        f"{statistics.median(a for a, _ in rounds):.1f} | {max(a for a, _ in rounds):.1f} "
        f"| {peak_ours:.0f} |"
    )
    print(
        f"| pipeline: 1 head, fp32 | {args.batch} | "
        f"{statistics.median(b for _, b in rounds):.1f} | {max(b for _, b in rounds):.1f} "
        f"| {peak_baseline:.0f} |"
    )
    print(
        f"speed vs pipeline, median of per-round ratios: {statistics.median(ratios):.2f}x "
        f"(range {min(ratios):.2f}-{max(ratios):.2f})"
    )

    def run_at(batch: int) -> Callable[[Sequence[str]], list[object]]:
        def run(batch_texts: Sequence[str]) -> list[object]:
            ours.batch_size = batch
            return list(ours.classify(batch_texts))

        return run

    changed = invariance(run_at(args.batch)(texts), run_at(7), texts)
    print(f"batch invariance: {changed} results changed (shuffled and halved, batch 7 vs 32)")


if __name__ == "__main__":
    main()
