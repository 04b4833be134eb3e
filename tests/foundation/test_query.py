from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.query import Query, QuerySyntaxError, tokenize


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("acme", "I love ACME products", True),
        ("acme", "acmecorp is not the same word", False),
        ("acme", "Acme's support was slow", True),
        ('"acme corp"', "we bought from Acme  Corp. yesterday", True),
        ('"acme corp"', "corp acme", False),
        ("acme AND espresso", "acme makes espresso", True),
        ("acme AND espresso", "acme makes tea", False),
        ("acme espresso", "espresso by acme", True),  # implicit AND
        ("acme OR globex", "only globex here", True),
        ("acme AND NOT anvil", "acme anvil dropped", False),
        ("acme AND NOT anvil", "acme rocket", True),
        ("(acme OR globex) AND (espresso OR grinder)", "the globex grinder", True),
        ("(acme OR globex) AND (espresso OR grinder)", "the globex kettle", False),
        ("café", "CAFE open late", True),  # accent-insensitive
        ("cafe", "Café ouvert", True),
        ("Ænima", "ænima", True),
        ("espress*", "Espressos everywhere", True),
        ("espress*", "express train", False),
        ("acme NEAR/2 broken", "acme grinder is broken", True),
        ("acme NEAR/1 broken", "acme grinder is broken", False),
        ("acme NEAR/2 broken", "broken again, the acme", True),  # either order
    ],
)
def test_boolean_matching(query: str, text: str, expected: bool) -> None:
    assert Query.parse(query).matches(text) is expected


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("кофемашина", "Моя кофемашина сломалась", True),
        ("кофемашина", "КОФЕМАШИНА", True),
        ("кофе", "кофемашина", False),  # Cyrillic keeps word boundaries
        ('"яндекс маркет"', "заказ на Яндекс Маркет пришёл", True),
        ("ёлка", "елка", True),  # ё/е fold together like accents
        ("星巴克", "我爱星巴克咖啡", True),  # CJK matches inside words
        ("星巴克", "我爱星巴咖啡", False),
        ("スターバックス", "今日はスターバックスに行った", True),
        ("星巴克 AND NOT 咖啡", "星巴克的茶", True),
        ("삼성", "삼성 갤럭시", True),
        ("ikea", "Jag älskar IKEA", True),
        ("älskar", "jag ALSKAR det", True),
    ],
)
def test_unicode_matching(query: str, text: str, expected: bool) -> None:
    assert Query.parse(query).matches(text) is expected


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("(acme", "unclosed parenthesis"),
        ("acme)", "unexpected ')'"),
        ('"acme corp', "unclosed quotation mark"),
        ("acme OR", "expected a term"),
        ("AND acme", "unexpected 'AND'"),
        ("acme AND NOT", "expected a term"),
        ("!!!", "no letters or digits"),
        ("(acme OR globex) NEAR/3 x", "NEAR/n joins two terms"),
    ],
)
def test_malformed_queries_raise_clear_errors(query: str, problem: str) -> None:
    with pytest.raises(QuerySyntaxError) as err:
        Query.parse(query)
    assert problem in str(err.value)
    assert "at character" in str(err.value)


def test_search_terms_skip_negations_and_keep_phrases() -> None:
    q = Query.parse('("acme corp" OR acme*) AND NOT anvil OR 星巴克')
    assert q.search_terms == ['"acme corp"', "acme", "星巴克"]


def test_tokenize_splits_cjk_per_character_and_words_otherwise() -> None:
    assert tokenize("Hello, 世界! Привет") == ["hello", "世", "界", "привет"]


@given(st.text(max_size=200))
def test_matching_never_crashes_on_odd_text(text: str) -> None:
    q = Query.parse('acme OR "acme corp" OR 星巴克 OR кофе* OR (x NEAR/3 y)')
    assert q.matches(text) in (True, False)


@given(st.sampled_from(["acme", "Acme", "ACME", "Ácme"]), st.text(alphabet=" .,!?", max_size=5))
def test_case_and_accent_variants_match(word: str, punctuation: str) -> None:
    assert Query.parse("acme").matches(f"about {word}{punctuation} today")
