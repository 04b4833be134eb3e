"""The ``[nlp]`` section of ``grapevine.toml``: how mentions are classified."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

# The seven Grapevine must handle, the rest of XLM-T's eight, and Japanese (so Chinese is
# not the only answer for Japanese posts). Each high-accuracy language costs ~25 MB.
DEFAULT_LANGUAGES: tuple[str, ...] = (
    "en", "ru", "sv", "zh", "de", "fr", "es", "it", "pt", "ar", "hi", "ja",
)  # fmt: skip


class NlpSettings(BaseModel):
    """How mentions are classified; every key is optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = "shipped"  # or a transformers sequence-classification dir / hub id
    weights: Path | None = None  # a three-head model directory; None: nlp/weights
    batch_size: int = Field(default=32, ge=1, le=1024)
    max_length: int = Field(default=128, ge=8, le=512)
    quantise: bool = True  # low-precision, batch-invariant inference (false: fp32)
    int8: bool = True  # static int8 products where the model ships int8.json (false: bf16)
    # torch threads (0 leaves torch's default); a call's batches run this many side by side
    threads: int = Field(default=0, ge=0)
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    language_low_accuracy: bool = False  # lingua trigram-only mode: far less memory
    every: str = "10m"  # how often the scheduler labels pending mentions
    label_limit: int = Field(default=5000, ge=1)  # mentions per scheduled run
