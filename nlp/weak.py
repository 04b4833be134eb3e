"""Weak labels for the two quality classes no data set here annotates.

There is no training data for ``constructive`` or ``low_effort`` in ``../shared/data``
(C3 could not be found; the SFU corpus is CC BY-NC and evaluation-only). So clean
training texts (not toxic, not spam) get a weak label from these rules, and the quality
head learns a smoothed, multilingual version of them:

- ``low_effort``: fewer than 4 words once links and @handles are gone (CJK: fewer than
  6 characters), or no letters at all (emoji, punctuation, digits);
- ``constructive``: at least 20 words (CJK: 40 characters) and a reasoning or suggestion
  marker ("because", "should", "for example", "I think", … in 10 languages);
- ``ordinary``: everything else.

The rules are validated, not tuned, on the SFU Constructiveness and Toxicity Corpus.
"""

from __future__ import annotations

import re

LINK = re.compile(r"https?://\S+|www\.\S+|@\w+", re.IGNORECASE)
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")

MARKERS = tuple(
    m.casefold()
    for m in (
        # English
        "because",
        "therefore",
        "however",
        "should",
        "could be",
        "would be better",
        "i think",
        "i believe",
        "in my opinion",
        "for example",
        "for instance",
        "suggest",
        "instead of",
        "the reason",
        "on the other hand",
        "although",
        "evidence",
        # German
        "weil",
        "deshalb",
        "jedoch",
        "sollte",
        "meiner meinung",
        "zum beispiel",
        "obwohl",
        # French
        "parce que",
        "donc",
        "cependant",
        "devrait",
        "à mon avis",
        "par exemple",
        "bien que",
        # Spanish
        "porque",
        "por lo tanto",
        "sin embargo",
        "debería",
        "en mi opinión",
        "por ejemplo",
        # Italian / Portuguese
        "perché",
        "tuttavia",
        "dovrebbe",
        "secondo me",
        "porque",
        "no entanto",
        "deveria",
        # Russian
        "потому что",
        "поэтому",
        "однако",
        "следует",
        "по-моему",
        "например",
        "хотя",
        # Swedish
        "eftersom",
        "därför",
        "dock",
        "borde",
        "till exempel",
        "jag tycker",
        # Chinese
        "因为",
        "所以",
        "但是",
        "建议",
        "应该",
        "例如",
        "我认为",
    )
)


def weak_quality(text: str) -> str:
    """``constructive``, ``ordinary`` or ``low_effort`` for a text known to be clean."""
    plain = LINK.sub(" ", text)
    cjk = len(CJK.findall(plain))
    words = len(WORD.findall(plain)) + cjk // 2
    if not WORD.search(plain) or (words < 4 and cjk < 6):
        return "low_effort"
    folded = plain.casefold()
    long_enough = words >= 20 or cjk >= 40
    if long_enough and any(marker in folded for marker in MARKERS):
        return "constructive"
    return "ordinary"
