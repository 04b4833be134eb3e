"""The labels every mention gets, and the fixed label sets of the three heads."""

from __future__ import annotations

from dataclasses import dataclass

SENTIMENTS: tuple[str, ...] = ("negative", "neutral", "positive")
QUALITIES: tuple[str, ...] = ("constructive", "ordinary", "low_effort", "spam", "toxic")


@dataclass(frozen=True)
class Labels:
    """What the classifier says about one text.

    ``sentiment_scores`` are the three softmax probabilities (they sum to 1);
    ``complaint`` is the probability that the text is a complaint; ``quality_score`` is
    the probability of the chosen ``quality`` label; ``language`` is ISO 639-1, or None
    when no language can be told (empty, emoji-only, digits).
    """

    sentiment: str
    sentiment_scores: dict[str, float]
    complaint: float
    quality: str
    quality_score: float
    language: str | None

    def to_json(self) -> dict[str, object]:
        """The ``grapevine classify`` output fields (without the id)."""
        return {
            "sentiment": self.sentiment,
            "sentiment_scores": dict(self.sentiment_scores),
            "complaint": self.complaint,
            "quality": self.quality,
            "quality_score": self.quality_score,
            "language": self.language,
        }
