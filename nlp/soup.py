"""Weight averages ("model soups") of model directories tuned from the same layers.

Every three-layer model Grapevine trains starts from the same packaged encoder layers and,
with the same seed, from the same random heads, so the tuned layers and heads of two runs
can be averaged tensor by tensor into one model of the same size and speed (batch
invariance untouched: it is just other weights). The shipped r3 is ⅔ r2 + ⅓ r2zp
(docs/nlp.md, "r3: what changed on 2026-12-01"):

    python -m nlp.soup OUT DIR:WEIGHT [DIR:WEIGHT ...] [--name r3]

averages in fp32, stores fp16 as training does, names the result
``<name>-d<data digest>-w<weights digest>`` (the data digest of the ingredients' data, the
last ingredient's: each ingredient must train on a subset of it) and measures its int8
calibration on the same training texts ``grapevine train`` uses. Ingredients with folded
offsets are refused (their heads' biases carry a choice the others do not share).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from nlp.model import META_FILE, WEIGHTS_FILE, ModelMeta, weights_digest


def average(ingredients: Sequence[tuple[Path, float]]) -> dict[str, torch.Tensor]:
    """The weighted mean of the ingredients' stored tensors (fp32), which must all hold the
    same tensors from the same tuned layer."""
    _metas(ingredients)
    return _mean(ingredients)


def _metas(ingredients: Sequence[tuple[Path, float]]) -> list[ModelMeta]:
    """The ingredients' metadata, once it is clear they can be averaged."""
    if not ingredients:
        raise ValueError("a soup needs at least one ingredient")
    metas = [ModelMeta.from_json((d / META_FILE).read_text()) for d, _ in ingredients]
    if len({m.tuned_from_layer for m in metas}) != 1:
        raise ValueError("the ingredients were tuned from different layers")
    for (directory, _), meta in zip(ingredients, metas, strict=True):
        if meta.extra.get("offsets"):
            raise ValueError(f"{directory}: its heads carry folded offsets")
    total = sum(w for _, w in ingredients)
    if total <= 0 or any(w < 0 for _, w in ingredients):
        raise ValueError("the weights must be >= 0 and not all 0")
    return metas


def _mean(ingredients: Sequence[tuple[Path, float]]) -> dict[str, torch.Tensor]:
    """:func:`average` of ingredients :func:`_metas` accepted."""
    total = sum(w for _, w in ingredients)
    states = [load_file(str(d / WEIGHTS_FILE)) for d, _ in ingredients]
    names = set(states[0])
    if any(set(s) != names for s in states):
        raise ValueError("the ingredients store different tensors")
    mean: dict[str, torch.Tensor] = {}
    for name in sorted(names):
        acc = torch.zeros_like(states[0][name], dtype=torch.float32)
        for state, (_, weight) in zip(states, ingredients, strict=True):
            acc += state[name].float() * (weight / total)
        mean[name] = acc
    return mean


def make_soup(out: Path, ingredients: Sequence[tuple[Path, float]], name: str) -> ModelMeta:
    """Write the soup's model directory (weights, model.json); returns its metadata."""
    metas = _metas(ingredients)
    state = {k: v.to(torch.float16).contiguous() for k, v in _mean(ingredients).items()}
    last = metas[-1]
    meta = dataclasses.replace(
        last,
        version=f"{name}-d{last.data_digest[:12]}-w{weights_digest(state)[:8]}",
        extra={
            "soup": [
                {"version": m.version, "weight": w}
                for m, (_, w) in zip(metas, ingredients, strict=True)
            ]
        },
    )
    out.mkdir(parents=True, exist_ok=True)
    save_file(state, str(out / WEIGHTS_FILE))
    (out / META_FILE).write_text(meta.to_json() + "\n", encoding="utf-8")
    return meta


def _ingredient(text: str) -> tuple[Path, float]:
    directory, _, weight = text.rpartition(":")
    if not directory:
        return Path(text), 1.0
    return Path(directory), float(weight)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlp.soup", description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("ingredients", nargs="+", type=_ingredient, help="DIR[:WEIGHT]")
    parser.add_argument("--name", default="r3", help="the recipe id in the version")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args(argv)
    meta = make_soup(args.out, args.ingredients, args.name)
    from nlp.data import load_examples
    from nlp.train import calibrate_directory

    calibration = calibrate_directory(args.out, load_examples(args.data))
    print(json.dumps({"version": meta.version, "calibration_texts": calibration.texts}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
