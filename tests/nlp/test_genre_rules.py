"""The question rule: a question is never ``spam`` unless it carries spam markers."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import select

from core.mention import MentionKind
from nlp.labeller import label_pending
from nlp.labels import Labels, apply_genre_rules, is_question, spam_markers
from storage import Store
from storage.schema import labels, mentions
from tests.foundation.helpers import mention

SPAM = Labels(
    sentiment="neutral",
    sentiment_scores={"negative": 0.1, "neutral": 0.8, "positive": 0.1},
    complaint=0.05,
    quality="spam",
    quality_score=0.6,
    language="en",
    quality_scores={
        "constructive": 0.05,
        "ordinary": 0.25,
        "low_effort": 0.08,
        "spam": 0.6,
        "toxic": 0.02,
    },
)


@pytest.mark.parametrize(
    ("kind", "title", "text", "expected"),
    [
        ("question", None, "Dataset of hourly power prices in Europe", True),
        ("post", "Where can I find the 2019 dataset?", "I looked everywhere.", True),
        ("comment", None, "Does the plugin work with version 4?\nThanks", True),
        ("comment", None, "这个插件支持 4 版本吗？", True),
        ("comment", None, "Great plugin. Works fine.", False),
        ("answer", None, "Try the export button. Does that help? It should.", False),
        (None, None, "", False),
    ],
)
def test_is_question(kind: str | None, title: str | None, text: str, expected: bool) -> None:
    assert is_question(kind, title, text) is expected


@pytest.mark.parametrize(
    "text",
    [
        "FREE iPhone!!! Click here http://bit.ly/fr33",
        "Best prices at https://cheap-watches-shop.example/deal, buy now",
        "Need followers? WhatsApp +44 7700 900123",
        "Call 555 123 4567 for the best loans",
        "Use promo code SAVE50 at checkout",
        "Переходи по ссылке и подпишись на мой канал",
        "Klick hier und abonniere meinen Kanal",
        "GRATIS!!! Klicka här och köp nu",
        "立即购买，加微信领优惠券",
        "Achetez maintenant sur notre boutique",
    ],
)
def test_spam_markers_found(text: str) -> None:
    assert spam_markers(text)


@pytest.mark.parametrize(
    "text",
    [
        "How do I parse https://docs.python.org/3/library/csv.html dates?",
        "Version 4.12.1 broke sync on 2026-11-30 10:30, see https://github.com/acme/app/issues/1",
        "My router at 192.168.100.200 drops the connection; is it the firmware?",
        "Where can I buy a replacement charger?",
        "How do I back up my WhatsApp chats to the new phone?",
        "Order 123456789 never arrived, what should I do?",
    ],
)
def test_ordinary_questions_carry_no_spam_markers(text: str) -> None:
    assert spam_markers(text) == []


def test_a_question_without_markers_is_not_spam() -> None:
    fixed = apply_genre_rules(
        SPAM, kind="question", title="Dataset of power prices?", text="Any source?"
    )
    assert fixed.quality == "ordinary"
    assert fixed.quality_score == 0.25  # the model's probability of the label chosen
    assert fixed.sentiment == SPAM.sentiment
    assert fixed.complaint == SPAM.complaint


def test_a_question_with_markers_stays_spam() -> None:
    text = "Cheap followers? Buy now at http://bit.ly/x"
    assert apply_genre_rules(SPAM, kind="question", title=None, text=text) == SPAM


def test_only_questions_and_only_spam_are_touched() -> None:
    assert apply_genre_rules(SPAM, kind="comment", title=None, text="Nice post.") == SPAM
    ordinary = Labels("neutral", dict(SPAM.sentiment_scores), 0.1, "ordinary", 0.7, "en")
    assert apply_genre_rules(ordinary, kind="question", title=None, text="Why?") == ordinary


class AlwaysSpam:
    name = "always-spam"
    version = "s1"

    def classify(self, texts: Sequence[str]) -> list[Labels]:
        return [SPAM for _ in texts]


def test_labelling_applies_the_question_rule(store: Store) -> None:
    store.save_page(
        [
            mention("q1", text="Is there a dataset of acme prices?", kind=MentionKind.QUESTION),
            mention(
                "q2", text="acme followers, buy now: http://bit.ly/x", kind=MentionKind.QUESTION
            ),
            mention("c1", text="acme acme acme", kind=MentionKind.COMMENT),
        ],
        {},
    )
    assert label_pending(store, AlwaysSpam()) == 3
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(mentions.c.external_id, labels.c.quality, labels.c.quality_score).join(
                labels, labels.c.mention_id == mentions.c.id
            )
        ).all()
    got = {r.external_id: (r.quality, r.quality_score) for r in rows}
    assert got == {"q1": ("ordinary", 0.25), "q2": ("spam", 0.6), "c1": ("spam", 0.6)}
