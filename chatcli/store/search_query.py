"""What a person types into a search box, turned into a safe SQLite FTS5 query.

FTS5 has its own query language (`AND`, `OR`, `NOT`, `NEAR(…)`, `col:`, `^`,
`+`, parentheses, quotes) and answers a malformed query with an error. Here
nothing a person types reaches it raw: every word becomes a quoted string, so
operators and punctuation are just text, and only three things keep a meaning:

- words must all match, each as a whole token (`zq100` does not match `zq1000`);
- `"an exact phrase"` matches those words next to each other (an unbalanced
  quote is read as if it were closed at the end);
- `word*` matches every token that starts with `word`.

A word with no letter or digit (`!!!`, `--`) cannot match a token, so it is
dropped rather than sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ParsedQuery", "parse_query"]

_PIECES = re.compile(r'"([^"]*)"?(\*?)|(\S+)')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
"""Control characters (a NUL ends an SQLite string early): read as spaces."""


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A query ready for FTS5 `MATCH`, and the words it is made of (for people)."""

    match: str
    """The FTS5 expression: quoted phrases, implicitly AND-ed; empty when nothing is left."""
    terms: tuple[str, ...]
    """The words and phrases as the person meant them (without quotes and `*`)."""

    def __bool__(self) -> bool:
        return bool(self.match)


def parse_query(text: str, *, prefix_last: bool = False) -> ParsedQuery:
    """Parse `text`; `prefix_last` makes the last bare word a prefix (search as you type)."""
    text = _CONTROL.sub(" ", text)
    parts: list[str] = []
    terms: list[str] = []
    pieces = list(_PIECES.finditer(text))
    for i, piece in enumerate(pieces):
        phrase, star, word = piece.group(1), piece.group(2), piece.group(3)
        if word is not None:
            if '"' in word:  # `foo"bar`: the quote starts a phrase only at a word's start
                word = word.replace('"', " ")
            star = "*" if word.endswith("*") else ""
            word = word.strip("*").strip()
            if prefix_last and i == len(pieces) - 1 and not text[-1:].isspace():
                star = "*"
            body = word
        else:
            body = phrase.strip()
        if not _has_token(body):
            continue
        terms.append(body)
        parts.append(_quoted(body) + ("*" if star else ""))
    return ParsedQuery(" ".join(parts), tuple(terms))


def _quoted(text: str) -> str:
    """An FTS5 string: double quotes, an inner quote doubled."""
    return '"' + text.replace('"', '""') + '"'


def _has_token(text: str) -> bool:
    """Whether the unicode61 tokenizer would find a token in `text` (a letter or digit)."""
    return any(ch.isalnum() for ch in text)
