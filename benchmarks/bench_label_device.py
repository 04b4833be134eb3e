"""Throughput of ``grapevine label --device cuda`` (issue #13), and the CPU path for reference.

    python benchmarks/bench_label_device.py --device cuda [--data ../shared/data]
        [--n 20000] [--batch-sizes 256,64] [--dtypes bf16,fp16] [--cpu-n 2000] [--json OUT]
    python benchmarks/bench_label_device.py --device cpu [--cpu-n 1000]

The texts are the XLM-T validation posts (8 languages) and the complaint tweets of the
validation hash split, repeated up to ``--n``. The classifier is built as ``grapevine label``
builds it (``load_classifier``; unquantised for a GPU, as ``label_command`` does) and moved
with ``nlp.labeller.on_device`` (bfloat16 where the GPU supports it). fp16 is the same
``_OnDevice`` wrapper in float16 (what ``on_device`` picks on a GPU without bf16).

Per configuration: **end to end** = ``classifier.classify(texts)`` (cutting, tokenising,
language id, grouping by padded width, forward, probabilities per row in Python), and
**forward** = the model calls alone on the same pre-tokenised batches (host-to-device copy
included, synchronised). One warm-up pass first; the figure is the better of two passes.
``--no-language-id`` replaces lingua by a stub answering None (for a machine where lingua
is not installed); language id alone is then timed where lingua is available.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import sys
import time
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch


def read_texts(data: Path, n: int) -> list[str]:
    from nlp.data import _in_val

    texts: list[str] = []
    for lang in sorted(p.name for p in (data / "xlmt_sentiment").iterdir()):
        path = data / "xlmt_sentiment" / lang / "val_text.txt"
        texts += path.read_text(encoding="utf-8").splitlines()
    with (data / "complaints/train.csv").open(encoding="utf-8", newline="") as handle:
        texts += [row["text"] for row in csv.DictReader(handle) if _in_val(row["text"])]
    return [texts[i % len(texts)] for i in range(n)]


class NoLanguages:
    """Stands in for lingua where it is not installed: every text gets None."""

    def identify(self, texts: Sequence[str]) -> list[str | None]:
        return [None] * len(texts)


def _stub_lingua() -> None:
    """nlp.language imports lingua at import time; give it a placeholder when missing."""
    try:
        import lingua  # noqa: F401
    except ImportError:
        stub = types.ModuleType("lingua")
        for name in ("IsoCode639_1", "LanguageDetector", "LanguageDetectorBuilder"):
            setattr(stub, name, type(name, (), {}))
        sys.modules["lingua"] = stub


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _forward_only(classifier: Any, texts: Sequence[str], device: str) -> float:
    """Seconds for the model calls alone, on the batches ``classify`` would make."""
    from nlp.classify import CHARS_PER_TOKEN_BOUND, batches, clean_text

    tok = classifier.tokenizer
    cut = classifier.max_length * CHARS_PER_TOKEN_BOUND
    prepared = [tok.normalise(classifier.meta.prefix + clean_text(t)[:cut]) for t in texts]
    tok.tokenizer.enable_truncation(classifier.max_length)
    encodings = tok.tokenizer.encode_batch(prepared)
    inputs = []
    for width, rows in batches([len(e.ids) for e in encodings], classifier.batch_size):
        ids = torch.full((len(rows), width), 1, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for r, i in enumerate(rows):
            n = len(encodings[i].ids)
            ids[r, :n] = torch.tensor(encodings[i].ids)
            mask[r, :n] = 1
        inputs.append((ids, mask))
    _sync(device)
    start = time.perf_counter()
    with torch.inference_mode():
        for ids, mask in inputs:
            classifier.model(ids, mask)
    _sync(device)
    return time.perf_counter() - start


def measure(classifier: Any, texts: Sequence[str], device: str) -> dict[str, float]:
    classifier.classify(texts[: min(len(texts), 2048)])  # warm-up: kernels, allocator
    best_e2e = best_fwd = float("inf")
    for _ in range(2):
        _sync(device)
        start = time.perf_counter()
        classifier.classify(texts)
        _sync(device)
        best_e2e = min(best_e2e, time.perf_counter() - start)
        best_fwd = min(best_fwd, _forward_only(classifier, texts, device))
    return {
        "texts": len(texts),
        "end_to_end_per_s": round(len(texts) / best_e2e, 1),
        "forward_per_s": round(len(texts) / best_fwd, 1),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--batch-sizes", default="256,64")
    parser.add_argument("--dtypes", default="bf16,fp16")
    parser.add_argument("--cpu-n", type=int, default=2000)
    parser.add_argument("--cpu-threads", type=int, default=0, help="0: torch's default")
    parser.add_argument("--no-language-id", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.no_language_id:
        _stub_lingua()
    from nlp.classify import ThreeHeadClassifier, load_classifier
    from nlp.labeller import _OnDevice, on_device

    def build(quantised: bool, batch_size: int) -> ThreeHeadClassifier:
        if args.no_language_id:
            return ThreeHeadClassifier(
                args.weights,
                batch_size=batch_size,
                quantised=quantised,
                languages=NoLanguages(),  # type: ignore[arg-type]
            )
        built = load_classifier(weights=args.weights, batch_size=batch_size, quantised=quantised)
        assert isinstance(built, ThreeHeadClassifier)
        return built

    results: dict[str, object] = {
        "device_name": torch.cuda.get_device_name() if args.device == "cuda" else "cpu",
        "torch": torch.__version__,
        "cpu_threads": torch.get_num_threads(),
        "language_id": "stub (None)" if args.no_language_id else "lingua",
    }
    texts = read_texts(args.data, args.n)
    gpu_labels: list[Any] = []
    if args.device.startswith("cuda"):
        loaded = build(quantised=False, batch_size=256)
        cpu_model = loaded.model
        for dtype in args.dtypes.split(","):
            for batch_size in (int(b) for b in args.batch_sizes.split(",")):
                loaded.model = copy.deepcopy(cpu_model)
                if dtype == "bf16":
                    on_device(loaded, args.device)
                else:
                    model = _OnDevice(loaded.model, torch.device(args.device), torch.float16)
                    loaded.model = model  # type: ignore[assignment]
                loaded.batch_size = batch_size
                key = f"cuda_{dtype}_batch{batch_size}"
                results[key] = measure(loaded, texts, args.device)
                print(key, results[key], flush=True)
                if not gpu_labels:
                    gpu_labels = loaded.classify(texts[: args.cpu_n])
                loaded.model = cpu_model
                torch.cuda.empty_cache()
        del loaded, cpu_model
    if args.cpu_threads:
        torch.set_num_threads(args.cpu_threads)
    classifier = build(quantised=True, batch_size=32)
    key = f"cpu_bf16_batch32_threads{torch.get_num_threads()}"
    results[key] = measure(classifier, texts[: args.cpu_n], "cpu")
    print(key, results[key], flush=True)
    if gpu_labels:  # how far GPU labels are from the CPU path's (same texts, same weights)
        cpu_labels = classifier.classify(texts[: args.cpu_n])
        pairs = list(zip(gpu_labels, cpu_labels, strict=True))
        results["gpu_vs_cpu_same_label_percent"] = {
            "sentiment": round(
                100 * sum(a.sentiment == b.sentiment for a, b in pairs) / len(pairs), 1
            ),
            "quality": round(100 * sum(a.quality == b.quality for a, b in pairs) / len(pairs), 1),
            "complaint": round(
                100
                * sum((a.complaint >= 0.5) == (b.complaint >= 0.5) for a, b in pairs)
                / len(pairs),
                1,
            ),
            "max_complaint_difference": round(
                max(abs(a.complaint - b.complaint) for a, b in pairs), 4
            ),
        }
        print("gpu vs cpu", results["gpu_vs_cpu_same_label_percent"], flush=True)
    if not args.no_language_id:
        start = time.perf_counter()
        classifier.languages.identify(texts[: args.cpu_n])
        rate = args.cpu_n / (time.perf_counter() - start)
        results["language_id_per_s"] = round(rate, 1)
        print("language id alone", results["language_id_per_s"], "/s", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
