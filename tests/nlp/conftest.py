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


# --- a tiny copy of ../shared/data's layout, for the data loading tests ---


def _tweeteval(folder: Path, split: str, rows: list[tuple[str, int]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{split}_text.txt").write_text("\n".join(t for t, _ in rows), encoding="utf-8")
    (folder / f"{split}_labels.txt").write_text("\n".join(str(label) for _, label in rows))


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    _tweeteval(root / "tweeteval/sentiment", "val", [("@bob Shared tweet", 2)])
    for task in ("offensive", "hate"):
        for split in ("train", "val"):
            _tweeteval(root / "tweeteval" / task, split, [(f"{task} {split} you idiot", 1)])
    for lang in (
        "arabic",
        "english",
        "french",
        "german",
        "hindi",
        "italian",
        "portuguese",
        "spanish",
    ):
        _tweeteval(root / "xlmt_sentiment" / lang, "val", [(f"{lang} val", 0)])
        _tweeteval(
            root / "xlmt_sentiment" / lang,
            "train",
            [(f"{lang} train", 1), ("@amy shared  TWEET", 2)],
        )
    (root / "semeval_sentiment").mkdir()
    (root / "semeval_sentiment/twitter-2013train-A.tsv").write_text(
        "1\tpositive\tIt\\u2019s fine\n2\tnegative\t@x shared tweet\n3\tbogus\tskip me\n",
        encoding="utf-8",
    )
    (root / "complaints").mkdir()
    (root / "complaints/train.csv").write_text(
        "id,text,label,domain\n1,my parcel is lost,1,retail\n", encoding="utf-8"
    )
    (root / "youtube_spam").mkdir()
    (root / "youtube_spam/Youtube01-Psy.csv").write_text(
        'COMMENT_ID,DATE,CONTENT,CLASS\na,,"check out my channel",1\nb,,"check out my channel",1\n',
        encoding="utf-8",
    )
    return root
