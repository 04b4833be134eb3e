"""The labels every mention gets, the fixed label sets of the three heads, and the genre
rules that correct the model where a mention's genre decides (``apply_genre_rules``)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

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
    # All five quality probabilities (what the genre rules choose from); not in to_json.
    quality_scores: dict[str, float] = field(default_factory=dict)

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


# --- Genre rules: where the model must not decide alone (docs/nlp.md, "Genre rules") ---

#: Mention kinds (``core.MentionKind`` values) that are questions by construction.
QUESTION_KINDS = frozenset({"question"})

_QUESTION_END = re.compile(r"[?？¿؟]\s*$")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# A link counts as a spam marker when it points at a shop, a marketplace, a messenger or
# a link shortener (which hides where it goes); links to documentation or issues do not.
_SHOP_LINK = re.compile(
    r"shop|store|buy|deal|discount|coupon|promo|sale|offer|outlet|cheap|"
    r"bit\.ly|tinyurl|goo\.gl|ow\.ly|is\.gd|cutt\.ly|rebrand\.ly|shorturl|t\.me/|wa\.me/|"
    r"amzn\.|amazon\.|aliexpress|ebay\.|etsy\.|taobao|tmall|jd\.com|ozon\.|wildberries|avito\.",
    re.IGNORECASE,
)
# An international phone number (+ and at least 8 more digits), or a phone, WhatsApp or
# Telegram cue followed closely by at least 7 digits.
_PHONE = re.compile(
    r"\+\d[\d\s().-]{6,}\d|"
    r"(?:phone|call|tel|whats\s?app|telegram|viber|wechat|телефон|звони|ring|"
    r"anrufen|appelez|llama|电话|致电|微信)\D{0,20}\d[\d\s().-]{5,}\d",
    re.IGNORECASE,
)
_SPAM_PHRASES = re.compile(
    r"buy now|order now|shop now|click here|click the link|limited[- ]time offer|"
    r"promo code|discount code|coupon code|% off\b|subscribe to my channel|"
    r"check out my channel|visit my (?:shop|store|site|channel)|dm me|make money|earn money|"
    r"work from home|jetzt kaufen|jetzt bestellen|hier klicken|klick hier|rabattcode|"
    r"gutscheincode|abonniere meinen kanal|achetez maintenant|commandez maintenant|"
    r"cliquez ici|code promo|abonnez-vous à ma chaîne|compra ahora|compre ahora|"
    r"haz clic aquí|código de descuento|código promocional|compre agora|clique aqui|"
    r"acquista ora|clicca qui|köp nu|beställ nu|klicka här|rabattkod|"
    r"prenumerera på min kanal|купите|закажите|покупайте|переходи(?:те)? по ссылке|"
    r"промокод|подпишись на мой канал|立即购买|马上购买|点击链接|点击这里|加微信|加我微信|"
    r"优惠券|优惠码|订阅我的频道",
    re.IGNORECASE,
)


def is_question(kind: str | None, title: str | None, text: str | None) -> bool:
    """A question: its kind says so (a Stack Exchange question), or its title or the
    first line of its text ends with a question mark."""
    if kind in QUESTION_KINDS:
        return True
    first_line = (text or "").strip().split("\n", 1)[0]
    return any(_QUESTION_END.search(part) for part in (title or "", first_line))


def spam_markers(text: str) -> list[str]:
    """The spam markers in ``text``: shop, marketplace, messenger or shortened links,
    phone numbers, and calls to buy, click or subscribe (in the languages Grapevine
    handles). Empty when there are none."""
    found = [f"link:{m.group(0)}" for m in _URL.finditer(text) if _SHOP_LINK.search(m.group(0))]
    found += [f"phone:{m.group(0).strip()}" for m in _PHONE.finditer(text)]
    found += [f"phrase:{m.group(0)}" for m in _SPAM_PHRASES.finditer(text)]
    return found


def apply_genre_rules(
    labels: Labels, *, kind: str | None, title: str | None, text: str | None
) -> Labels:
    """The model's labels corrected where the genre decides, not the model.

    A question is never ``spam`` unless it carries a spam marker (:func:`spam_markers`):
    its quality becomes the most probable of the other four labels, with that label's
    probability as the score. Applied when mentions are labelled (their kind and title
    are known there), after the model and before the label is stored.
    """
    if labels.quality != "spam" or not is_question(kind, title, text):
        return labels
    if spam_markers("\n".join(p for p in (title, text) if p)):
        return labels
    others = {k: v for k, v in labels.quality_scores.items() if k != "spam"}
    best = max(others, key=others.__getitem__) if others else "ordinary"
    return dataclasses.replace(labels, quality=best, quality_score=others.get(best, 0.0))
