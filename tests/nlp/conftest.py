"""A tiny randomly initialised three-head model, saved once per session like a real one."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
import torch
from transformers import BertConfig, BertModel

from nlp.classify import ThreeHeadClassifier
from nlp.encoder import TextTokenizer, unigram_tokenizer
from nlp.language import LanguageIdentifier
from nlp.model import ModelMeta, ThreeHeadModel, save_model

TINY_MAX_LENGTH = 12


def tiny_vocab() -> list[tuple[str, float]]:
    special = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    words = ["▁great", "▁awful", "▁order", "▁never", "▁arrived", "▁query:", "▁love", "▁hate"]
    letters = list(string.ascii_lowercase + string.digits + ":!?.,")
    return (
        special
        + [(w, -2.0) for w in words]
        + [("▁", -3.0)]
        + [("▁" + c, -4.0) for c in letters]
        + [(c, -5.0) for c in letters]
    )


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    vocab = tiny_vocab()
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        pad_token_id=1,
    )
    model = ThreeHeadModel(BertModel(config, add_pooling_layer=False)).eval()
    meta = ModelMeta(
        name="tiny-test",
        version="t1-dtest",
        data_digest="test",
        base=None,
        tuned_from_layer=0,
        max_length=TINY_MAX_LENGTH,
        prefix="query: ",
        config=config.to_diff_dict(),
    )
    directory = tmp_path_factory.mktemp("tiny_model")
    save_model(model, meta, directory, TextTokenizer(unigram_tokenizer(vocab)))
    return directory


@pytest.fixture(scope="session")
def languages() -> LanguageIdentifier:
    return LanguageIdentifier(("en", "ru", "sv", "zh", "de"))


@pytest.fixture(scope="session")
def tiny_classifier(tiny_model_dir: Path, languages: LanguageIdentifier) -> ThreeHeadClassifier:
    return ThreeHeadClassifier(tiny_model_dir, batch_size=3, quantised=False, languages=languages)
