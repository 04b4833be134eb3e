"""Rebuild ``vader_sentiment_en.tsv`` from the vaderSentiment 3.3.2 source distribution.

``pip download --no-deps --no-binary :all: vadersentiment==3.3.2`` (sha256 of the sdist in
``VADER_LICENSE.md``), then ``python nlp/corpora/build_vader_en.py
vaderSentiment-3.3.2.tar.gz``. The sdist carries ``additional_resources/hutto_ICWSM_2014.tar.gz``,
the ground truth of Hutto and Gilbert (ICWSM 2014): English sentences, each rated by about
20 people from -4 (extremely negative) to +4 (extremely positive), MIT licence (the
package's). Three of its four sets are kept — tweets, Amazon review snippets and New York
Times editorial snippets: short posts, product reviews and news-like prose, the genres
Grapevine reads beyond tweets. The movie-review snippets (Rotten Tomatoes sentences chosen
to be clearly positive or negative) are left out: film criticism, almost never neutral.

A mean rating of at most -1 is negative, at least +1 positive, within ±0.5 neutral; the
sentences in between (raters split or lukewarm) are dropped rather than forced into a
class. Texts are deduplicated with ``nlp.data.dedupe_key`` (one rated differently in two
sets is dropped), HTML entities unescaped, kept if 4 to 600 characters long, and written
ordered by the sha256 of that key as ``label<TAB>set<TAB>text`` (0 negative, 1 neutral, 2
positive).
"""

from __future__ import annotations

import hashlib
import html
import io
import sys
import tarfile
from pathlib import Path

from nlp.data import dedupe_key

SETS = {
    "tweets": "tweets_GroundTruth.txt",
    "amazon": "amazonReviewSnippets_GroundTruth.txt",
    "nyt": "nytEditorialSnippets_GroundTruth.txt",
}
OUT = Path(__file__).parent / "vader_sentiment_en.tsv"


def label_of(mean: float) -> int | None:
    """The class of a mean rating on VADER's -4..+4 scale; None for the lukewarm band."""
    if mean <= -1.0:
        return 0
    if mean >= 1.0:
        return 2
    if abs(mean) <= 0.5:
        return 1
    return None


def read_sets(sdist: Path) -> dict[str, list[tuple[float, str]]]:
    with tarfile.open(sdist) as outer:
        inner_file = outer.extractfile(
            "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
        )
        assert inner_file is not None
        inner_bytes = inner_file.read()
    out: dict[str, list[tuple[float, str]]] = {}
    with tarfile.open(fileobj=io.BytesIO(inner_bytes)) as inner:
        for name, filename in SETS.items():
            member = inner.extractfile(f"hutto_ICWSM_2014/{filename}")
            assert member is not None
            rows = []
            for line in member.read().decode("utf-8", errors="replace").splitlines():
                parts = line.split("\t")
                if len(parts) >= 3:
                    text = " ".join(html.unescape("\t".join(parts[2:])).split())
                    rows.append((float(parts[1]), text))
            out[name] = rows
    return out


def main(sdist: Path) -> None:
    chosen: dict[str, tuple[int, str, str]] = {}
    clash: set[str] = set()
    for name, rows in read_sets(sdist).items():
        for mean, text in rows:
            label = label_of(mean)
            key = dedupe_key(text)
            if label is None or not 4 <= len(text) <= 600:
                continue
            if key in chosen and chosen[key][0] != label:
                clash.add(key)
            chosen.setdefault(key, (label, name, text))
    ordered = sorted(
        (hashlib.sha256(key.encode()).hexdigest(), *value)
        for key, value in chosen.items()
        if key not in clash
    )
    OUT.write_text(
        "".join(f"{label}\t{name}\t{text}\n" for _, label, name, text in ordered), encoding="utf-8"
    )
    print(f"{len(ordered)} sentences written to {OUT} ({len(clash)} rated differently twice)")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
