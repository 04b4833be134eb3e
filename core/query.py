"""Boolean brand queries: parsed once from config, re-checked locally on every mention.

Sources' search APIs each understand a different dialect (or none), so a collector only
sends them the query's positive terms; this module decides what really matches. Grammar::

    query   := or
    or      := and ("OR" and)*
    and     := not (["AND"] not)*          adjacent terms are ANDed
    not     := "NOT" not | near
    near    := atom ("NEAR/" n atom)*      both sides within n words of each other
    atom    := term | term* | "a phrase" | "(" query ")"

Matching is case- and accent-insensitive and respects word boundaries. Scripts written
without spaces (Chinese, Japanese, Thai) are matched character by character, so ``星巴克``
is found inside ``我爱星巴克咖啡``; Cyrillic and other spaced scripts match whole words.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache

__all__ = ["Query", "QuerySyntaxError", "normalize", "tokenize"]

_UNSPACED = (
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\U00020000-\U0002fa1f"
    "\u0e00-\u0e7f"  # Thai
)
_TOKEN = re.compile(rf"[{_UNSPACED}]|[^\W{_UNSPACED}]+")
_LEX = re.compile(
    r'\s*(?:(?P<lp>\()|(?P<rp>\))|"(?P<phrase>[^"]*)"|(?P<near>NEAR/(?P<n>\d+))\b'
    r'|(?P<word>[^\s()"]+))'
)
_OPERATORS = {"AND", "OR", "NOT"}


class QuerySyntaxError(ValueError):
    """A brand query that cannot be parsed; the message says where and why."""

    def __init__(self, query: str, position: int, problem: str) -> None:
        self.query = query
        self.position = position
        self.problem = problem
        pointer = " " * position + "^"
        super().__init__(f"{problem} at character {position + 1}:\n  {query}\n  {pointer}")


def normalize(text: str) -> str:
    """Case-fold and strip accents, so ``Café`` and ``CAFE`` and ``café`` compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokenize(text: str) -> list[str]:
    """Split normalised text into words; unspaced scripts give one token per character."""
    return _TOKEN.findall(normalize(text))


# --- the syntax tree ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _Term:
    words: tuple[str, ...]
    prefix: bool = False  # trailing '*' on a single word
    source: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class _Not:
    operand: _Node


@dataclasses.dataclass(frozen=True, slots=True)
class _And:
    operands: tuple[_Node, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class _Or:
    operands: tuple[_Node, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class _Near:
    left: _Term
    right: _Term
    distance: int


_Node = _Term | _Not | _And | _Or | _Near


class _Index:
    """Positions of every token of one text, built once per mention and shared by queries."""

    __slots__ = ("positions", "tokens")

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        positions: dict[str, list[int]] = {}
        for i, token in enumerate(self.tokens):
            positions.setdefault(token, []).append(i)
        self.positions: Mapping[str, list[int]] = positions

    def starts(self, term: _Term) -> list[int]:
        """Where the term (a word, a prefix or a phrase) begins in the text."""
        if term.prefix:
            stem = term.words[0]
            return sorted(
                p for tok, ps in self.positions.items() if tok.startswith(stem) for p in ps
            )
        first, rest = term.words[0], term.words[1:]
        return [
            p
            for p in self.positions.get(first, ())
            if all(
                p + i + 1 < len(self.tokens) and self.tokens[p + i + 1] == w
                for i, w in enumerate(rest)
            )
        ]


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = list(self._lex(query))
        self.i = 0

    def _lex(self, query: str) -> Iterator[tuple[str, str, int]]:
        pos = 0
        while pos < len(query):
            if query[pos:].strip() == "":
                return
            m = _LEX.match(query, pos)
            if m is None:  # an unbalanced quote is the only thing the lexer cannot read
                start = query.index('"', pos)
                raise QuerySyntaxError(query, start, "unclosed quotation mark")
            start = m.start(m.lastgroup) if m.lastgroup else pos
            if m.group("lp"):
                yield ("(", "(", start)
            elif m.group("rp"):
                yield (")", ")", start)
            elif m.group("phrase") is not None:
                yield ("phrase", m.group("phrase"), start)
            elif m.group("near"):
                yield ("near", m.group("n"), start)
            else:
                word = m.group("word")
                if '"' in word:
                    raise QuerySyntaxError(query, start, "unclosed quotation mark")
                yield (word if word in _OPERATORS else "word", word, start)
            pos = m.end()

    def _peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def _take(self) -> tuple[str, str, int]:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def _end(self) -> int:
        return len(self.query)

    def parse(self) -> _Node:
        if not self.tokens:
            raise QuerySyntaxError(self.query, 0, "the query is empty")
        node = self._or()
        if (tok := self._peek()) is not None:
            raise QuerySyntaxError(self.query, tok[2], f"unexpected {tok[1]!r}")
        return node

    def _or(self) -> _Node:
        operands = [self._and()]
        while (tok := self._peek()) is not None and tok[0] == "OR":
            self._take()
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else _Or(tuple(operands))

    def _and(self) -> _Node:
        operands = [self._not()]
        while (tok := self._peek()) is not None and tok[0] not in {"OR", ")"}:
            if tok[0] == "AND":
                self._take()
            operands.append(self._not())
        return operands[0] if len(operands) == 1 else _And(tuple(operands))

    def _not(self) -> _Node:
        tok = self._peek()
        if tok is not None and tok[0] == "NOT":
            self._take()
            return _Not(self._not())
        return self._near()

    def _near(self) -> _Node:
        left: _Node = self._atom()
        while (tok := self._peek()) is not None and tok[0] == "near":
            self._take()
            right = self._atom()
            if not isinstance(left, _Term) or not isinstance(right, _Term):
                raise QuerySyntaxError(self.query, tok[2], "NEAR/n joins two terms or phrases")
            left = _Near(left, right, int(tok[1]))
        return left

    def _atom(self) -> _Node:
        tok = self._peek()
        if tok is None:
            raise QuerySyntaxError(self.query, self._end(), "expected a term after this")
        kind, text, pos = self._take()
        if kind == "(":
            node = self._or()
            closing = self._peek()
            if closing is None or closing[0] != ")":
                raise QuerySyntaxError(self.query, pos, "unclosed parenthesis")
            self._take()
            return node
        if kind in {"word", "phrase"}:
            prefix = kind == "word" and text.endswith("*") and len(text) > 1
            words = tuple(tokenize(text[:-1] if prefix else text))
            if not words:
                raise QuerySyntaxError(self.query, pos, f"{text!r} contains no letters or digits")
            if prefix and len(words) > 1:
                raise QuerySyntaxError(self.query, pos, "a * wildcard ends a single word")
            return _Term(words, prefix, text)
        raise QuerySyntaxError(self.query, pos, f"unexpected {text!r}")


def _evaluate(node: _Node, index: _Index) -> bool:
    if isinstance(node, _Term):
        return bool(index.starts(node))
    if isinstance(node, _Not):
        return not _evaluate(node.operand, index)
    if isinstance(node, _And):
        return all(_evaluate(n, index) for n in node.operands)
    if isinstance(node, _Or):
        return any(_evaluate(n, index) for n in node.operands)
    left = index.starts(node.left)
    right = index.starts(node.right)
    left_len, right_len = len(node.left.words), len(node.right.words)
    for a in left:
        for b in right:
            gap = b - (a + left_len) if b >= a else a - (b + right_len)
            if gap <= node.distance:
                return True
    return False


def _positive_terms(node: _Node, negated: bool = False) -> Iterator[_Term]:
    if isinstance(node, _Term):
        if not negated:
            yield node
    elif isinstance(node, _Not):
        yield from _positive_terms(node.operand, not negated)
    elif isinstance(node, _And | _Or):
        for operand in node.operands:
            yield from _positive_terms(operand, negated)
    elif not negated:
        yield node.left
        yield node.right


@dataclasses.dataclass(frozen=True)
class Query:
    """A parsed boolean query. Build with :meth:`parse`; test texts with :meth:`matches`."""

    text: str
    _root: _Node = dataclasses.field(repr=False, compare=False)

    @classmethod
    def parse(cls, text: str) -> Query:
        return cls(text, _Parser(text).parse())

    def matches(self, text: str) -> bool:
        return _evaluate(self._root, _cached_index(text))

    @property
    def search_terms(self) -> list[str]:
        """The words and phrases a source's search API should look for (never the NOTs).

        Sources over-match with these; :meth:`matches` is what decides.
        """
        seen: dict[str, None] = {}
        for term in _positive_terms(self._root):
            if _is_unspaced(term.words):
                phrase = "".join(term.words)
            elif len(term.words) > 1:
                phrase = '"' + " ".join(term.words) + '"'
            else:
                phrase = term.words[0]
            seen.setdefault(phrase, None)
        return list(seen)


def _is_unspaced(words: tuple[str, ...]) -> bool:
    return all(re.fullmatch(f"[{_UNSPACED}]", w) for w in words)


@lru_cache(maxsize=256)
def _cached_index(text: str) -> _Index:
    # One mention is checked against every brand's query and exclusions in a row.
    return _Index(text)


def matches_any(queries: Sequence[Query], text: str) -> bool:
    return any(q.matches(text) for q in queries)
