"""``--model``: any transformers sequence-classification model supplies the sentiment."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

from nlp.classify import ForeignSentimentClassifier, ThreeHeadClassifier
from nlp.encoder import unigram_tokenizer

from .conftest import tiny_vocab


@pytest.fixture(scope="module")
def binary_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(1)
    vocab = tiny_vocab()
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        id2label={0: "NEGATIVE", 1: "POSITIVE"},
        label2id={"NEGATIVE": 0, "POSITIVE": 1},
    )
    directory = tmp_path_factory.mktemp("binary")
    BertForSequenceClassification(config).save_pretrained(directory)
    PreTrainedTokenizerFast(
        tokenizer_object=unigram_tokenizer(vocab),
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        model_max_length=64,
    ).save_pretrained(directory)
    return directory


def test_foreign_sentiment_replaces_only_the_sentiment(
    binary_model_dir: Path, tiny_classifier: ThreeHeadClassifier
) -> None:
    foreign = ForeignSentimentClassifier(str(binary_model_dir), tiny_classifier)
    texts = ["great", "awful order", "", "x" * 5000]
    ours = tiny_classifier.classify(texts)
    theirs = foreign.classify(texts)
    model = BertForSequenceClassification.from_pretrained(binary_model_dir).eval()
    tokenizer = PreTrainedTokenizerFast.from_pretrained(binary_model_dir)
    for text, a, b in zip(texts, ours, theirs, strict=True):
        assert b.complaint == a.complaint
        assert b.quality == a.quality
        assert b.sentiment_scores["neutral"] == 0.0
        with torch.inference_mode():
            enc = tokenizer([text[:4096]], truncation=True, max_length=64, return_tensors="pt")
            probs = torch.softmax(model(**enc).logits, -1)[0].tolist()
        assert b.sentiment_scores["negative"] == pytest.approx(probs[0], abs=1e-5)
        assert b.sentiment == ("negative" if probs[0] > probs[1] else "positive")
    assert foreign.name.endswith("+tiny-test")
    assert foreign.version.endswith("+t1-dtest-fp32")
