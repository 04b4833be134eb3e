"""Language identification with ``lingua-language-detector`` (packaged, offline).

lingua is the most accurate of the packaged detectors (MODELS.md) and fast when limited to
the languages Grapevine expects; its memory grows with every language it may answer, so
the set is configurable (``[nlp] languages``). Texts without letters (empty, emoji, digits)
get None instead of a guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lingua import IsoCode639_1, LanguageDetector, LanguageDetectorBuilder

from config.nlp import DEFAULT_LANGUAGES

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_NOISE = re.compile(r"https?://\S+|www\.\S+|@\w+|#", re.IGNORECASE)
MAX_CHARS = 1000


class LanguageIdentifier:
    """ISO 639-1 codes for texts, from a lingua detector built once."""

    def __init__(
        self, languages: Sequence[str] = DEFAULT_LANGUAGES, *, low_accuracy: bool = False
    ) -> None:
        """``low_accuracy`` uses trigrams only: ~40 MB instead of ~300, worse on short texts."""
        codes = [getattr(IsoCode639_1, code.upper()) for code in languages]
        builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
        if low_accuracy:
            builder = builder.with_low_accuracy_mode()
        self._detector: LanguageDetector = builder.build()

    def identify(self, texts: Sequence[str]) -> list[str | None]:
        cleaned = [_NOISE.sub(" ", text[:MAX_CHARS]) for text in texts]
        todo = [i for i, text in enumerate(cleaned) if _LETTER.search(text)]
        found: list[str | None] = [None] * len(texts)
        if todo:
            results = self._detector.detect_languages_in_parallel_of([cleaned[i] for i in todo])
            for i, language in zip(todo, results, strict=True):
                if language is not None:
                    found[i] = language.iso_code_639_1.name.lower()
        return found
