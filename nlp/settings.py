"""The ``[nlp]`` section of ``grapevine.toml``, validated here (config keeps it free-form)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from nlp.language import DEFAULT_LANGUAGES


class NlpSettings(BaseModel):
    """How mentions are classified; every key is optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = "shipped"  # or a transformers sequence-classification dir / hub id
    weights: Path | None = None  # a three-head model directory; None: nlp/weights
    batch_size: int = Field(default=32, ge=1, le=1024)
    max_length: int = Field(default=128, ge=8, le=512)
    quantise: bool = True
    threads: int = Field(default=0, ge=0)  # torch threads; 0 leaves torch's default
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    language_low_accuracy: bool = False  # lingua trigram-only mode: far less memory
    every: str = "10m"  # how often the scheduler labels pending mentions
    label_limit: int = Field(default=5000, ge=1)  # mentions per scheduled run


def nlp_settings(section: Mapping[str, Any] | None) -> NlpSettings:
    return NlpSettings.model_validate(dict(section or {}))
