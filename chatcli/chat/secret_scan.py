"""Key-shaped strings in what a person typed: where they are, what kind, the text without them.

Pure (the standard library's `re` and `math` only), so `chatcli ask`, the TUI
and the engine can all check a message before it is written or sent.

What is found:

- keys with a known shape: OpenAI (`sk-…`, `sk-proj-…`), Anthropic (`sk-ant-…`),
  AWS access key ids (`AKIA…`, `ASIA…`) and, within 100 characters of "aws",
  40-character secret keys; GitHub (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`,
  `github_pat_`), Slack (`xoxa-`, `xoxb-`, `xoxp-`, `xoxr-`, `xoxs-`), Google
  (`AIza…`), JSON Web Tokens, and PEM private-key blocks (to their END line,
  or to the end of the text when it was cut off);
- a random-looking token right after a word like key, token, secret, bearer or
  credential (`API_KEY=…`, `"token": "…"`, `my secret is …`): 16+ characters,
  letters and digits with 3+ bits of entropy per character, or letters of mixed
  case with 3.5+ bits that are not camelCase words;
- a password: 8+ characters of at least three kinds (lower, upper, digit,
  symbol) right after password/passwd/pwd/passphrase.

Chosen to keep false positives low, so these are never flagged: prose; UUIDs;
hex strings (git commits, checksums) unless assigned straight to a token,
secret or password name; names that say they are not secrets (`token_id`,
`password_hash`, `key_path`); words joined by `_`/`-`/`.` (identifiers, paths);
placeholders (`<your key>`, `${TOKEN}`, `***`). Short or plain passwords
("hunter2") and keys with no known shape and no keyword before them are missed.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

REDACTED = "[redacted]"
"""What a secret is replaced with."""

_START = r"(?<![A-Za-z0-9_\-])"
_END = r"(?![A-Za-z0-9_\-])"

_SHAPED: list[tuple[str, re.Pattern[str]]] = [
    (
        "private key",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"
            r"(?:.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|.*\Z)",
            re.S,
        ),
    ),
    ("Anthropic API key", re.compile(rf"{_START}sk-ant-[A-Za-z0-9_\-]{{20,}}")),
    (
        "OpenAI API key",
        re.compile(
            rf"{_START}sk-(?:proj-|svcacct-|admin-)[A-Za-z0-9_\-]{{20,}}"
            rf"|{_START}sk-(?=[A-Za-z]*[0-9])[A-Za-z0-9]{{20,}}{_END}"
        ),
    ),
    ("AWS access key id", re.compile(rf"{_START}(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{{16}}{_END}")),
    (
        "GitHub token",
        re.compile(
            rf"{_START}gh[pousr]_[A-Za-z0-9]{{36,}}{_END}|{_START}github_pat_[A-Za-z0-9_]{{22,}}{_END}"
        ),
    ),
    ("Slack token", re.compile(rf"{_START}xox[abprs]-(?=[A-Za-z\-]*[0-9])[A-Za-z0-9\-]{{10,}}")),
    ("Google API key", re.compile(rf"{_START}AIza[0-9A-Za-z_\-]{{35}}{_END}")),
    (
        "JSON Web Token",
        re.compile(
            rf"{_START}eyJ[A-Za-z0-9_\-]{{8,}}\.eyJ[A-Za-z0-9_\-]{{8,}}\.[A-Za-z0-9_\-]{{8,}}{_END}"
        ),
    ),
]
"""Keys whose shape names them, most specific first (an Anthropic key starts `sk-` too)."""

_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_AWS = re.compile(r"(?i)aws")

_TOKEN = re.compile(r"(?<![A-Za-z0-9_\-+/.~])[A-Za-z0-9_\-+/.~]{15,}[A-Za-z0-9_\-+/~]={0,2}")
"""A candidate token: 16+ characters of what keys are made of, not ending in a dot."""

_NAME_THEN_GLUE = re.compile(
    r"""(?P<name>[A-Za-z][A-Za-z0-9_.\-]*)"""
    r"""(?P<glue>[\s"'`\])]*(?:[:=]>?|:=|->)?[\s"'`(\[]*|\s+(?:is|was|are)\s*:?\s*["'`]?)$"""
)
"""A name, then only what stands between a name and its value, at the end of a text."""

_PASSWORD = re.compile(
    r"""(?i)(?<![A-Za-z])(?P<name>[A-Za-z0-9_.\-]*(?:password|passwd|passphrase|pwd)[A-Za-z0-9_\-]*)"""
    r"""(?:[\s"'`\])]*(?:[:=]>?|:=)[\s"'`(\[]*|\s+(?:is|was)\s*:?\s*["'`]?)"""
    r"""(?P<value>[^\s"'`]{8,})"""
)
"""A password name, what stands between it and its value, and the value."""

_ASSIGNED = re.compile(r"""[\s"'`\])]*(?:[:=]>?|:=)[\s"'`(\[]*""")
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_CHUNKS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")
"""The words of a camelCase name: `HTTPServerName` → HTTP, Server, Name."""
_PLACEHOLDER = re.compile(r"^\$|\$\{|<[^>]*>|\{\w*\}|\*{3}|%\(?\w*\)?s|^x+$|^\.+$", re.I)
"""`$VAR`, `${VAR}`, `<your key>`, `{key}`, `***`, `%s`, `xxxx`: a slot, not a value."""
_WORD_PART = re.compile(r"[A-Za-z]+[0-9]{0,3}|[0-9]+[A-Za-z]{0,2}")
"""A word or a number in a name: `python3`, `4o`, `70b`, `2024`."""
_SEGMENTS = re.compile(r"[_.\-]+|(?<=[a-z])(?=[A-Z])")

_PASSWORD_WORDS = {"password", "passwords", "passwd", "pwd", "passphrase"}
_KIND_OF_WORD = {
    **dict.fromkeys(["token", "tokens", "bearer", "auth", "authorization"], "token"),
    **dict.fromkeys(["secret", "secrets"], "secret"),
    **dict.fromkeys(["credential", "credentials"], "credential"),
    **dict.fromkeys(["apikey", "apikeys"], "API key"),
    **dict.fromkeys(_PASSWORD_WORDS, "password"),
}
_KEY_WORDS = {"key", "keys"}
_KEY_QUALIFIERS = {"api", "access", "secret", "private", "signing", "master", "client"}
_NOT_SECRET = {
    *("hash", "hashed", "digest", "sha", "sha1", "sha256", "sha512", "md5", "checksum"),
    *("id", "ids", "uuid", "name", "path", "file", "url", "uri", "env", "var", "type"),
    *("len", "length", "size", "count", "expiry", "expires", "ttl", "field", "prefix"),
}
"""Parts of a name that say its value is about a secret, not the secret."""


@dataclass(frozen=True, slots=True)
class Secret:
    """One secret found: its kind ("OpenAI API key", "password") and where it is."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Scan:
    """A text and the secrets found in it, in order."""

    text: str
    secrets: tuple[Secret, ...]

    def __bool__(self) -> bool:
        return bool(self.secrets)

    @property
    def kinds(self) -> list[str]:
        """The kinds found, each once, in the order they first appear."""
        return list(dict.fromkeys(s.kind for s in self.secrets))

    @property
    def redacted(self) -> str:
        """The text with every secret replaced by `[redacted]`."""
        parts: list[str] = []
        at = 0
        for secret in self.secrets:
            parts += [self.text[at : secret.start], REDACTED]
            at = secret.end
        parts.append(self.text[at:])
        return "".join(parts)

    def describe(self) -> str:
        """'1 OpenAI API key', '2 secrets (password, GitHub token)': never the secret itself."""
        if len(self.secrets) == 1:
            return f"1 {self.secrets[0].kind}"
        return f"{len(self.secrets)} secrets ({', '.join(self.kinds)})"


def scan(text: str) -> Scan:
    """Every key-shaped string in `text` (see the module doc for what counts)."""
    found: list[Secret] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int) -> None:
        if not any(start < b and a < end for a, b in taken):
            taken.append((start, end))
            found.append(Secret(kind, start, end))

    for kind, pattern in _SHAPED:
        for match in pattern.finditer(text):
            add(kind, match.start(), match.end())
    for match in _AWS_SECRET.finditer(text):
        token = match.group()
        near = text[max(0, match.start() - 100) : match.end() + 20]
        if _classes(token) >= {"lower", "upper", "digit"} and _AWS.search(near):
            add("AWS secret access key", match.start(), match.end())
    masked = list(text)  # what was found reads as line breaks: no name before a value
    for a, b in taken:
        masked[a:b] = "\n" * (b - a)
    for kind, start, end in _named_values("".join(masked)):
        add(kind, start, end)
    return Scan(text, tuple(sorted(found, key=lambda s: s.start)))


def redact(text: str) -> str:
    """`text` with every secret replaced by `[redacted]`."""
    return scan(text).redacted


# -- values after a name ---------------------------------------------------------------


def _named_values(text: str) -> Iterator[tuple[str, int, int]]:
    """Tokens and passwords that follow a name saying what they are."""
    for match in _TOKEN.finditer(text):
        named = _name_before(text, match.start())
        if named is None:
            continue
        kind, strong, assigned = named
        if _looks_random(match.group(), hex_ok=strong and assigned):
            yield kind, match.start(), match.end()
    for kind, start, end in _passwords(text):
        yield kind, start, end


def _name_before(text: str, at: int) -> tuple[str, bool, bool] | None:
    """The kind of secret the name just before `at` announces, whether it is more
    than a bare "key", and whether the value is assigned to it (`=`, `:`)."""
    line_start = text.rfind("\n", 0, at) + 1
    before = text[max(line_start, at - 80) : at]
    match = _NAME_THEN_GLUE.search(before)
    if match is None:
        return None
    parts = [p.lower() for p in _SEGMENTS.split(match["name"]) if p]
    if not parts or _NOT_SECRET.intersection(parts):
        return None
    kinds = [_KIND_OF_WORD[p] for p in parts if p in _KIND_OF_WORD]
    assigned = _ASSIGNED.fullmatch(match["glue"]) is not None
    if kinds:
        return kinds[-1], True, assigned
    if parts[-1] in _KEY_WORDS:
        qualifier = parts[-2] if len(parts) > 1 else _word_before(before, match.start())
        if qualifier in _KEY_QUALIFIERS:
            return ("API key" if qualifier == "api" else f"{qualifier} key"), True, assigned
        return "key", False, assigned
    return None


def _word_before(text: str, at: int) -> str:
    words = re.findall(r"[A-Za-z]+", text[max(0, at - 20) : at])
    return words[-1].lower() if words else ""


def _looks_random(token: str, *, hex_ok: bool) -> bool:
    if _UUID.fullmatch(token) or _PLACEHOLDER.search(token):
        return False
    classes = _classes(token)
    if "digit" not in classes:  # mixed case alone, unless camelCase words
        mixed = {"lower", "upper"} <= classes
        return mixed and not _is_words(token) and _entropy(token) >= 3.5
    if not classes & {"lower", "upper"}:
        return False
    if _HEX.fullmatch(token):
        return hex_ok and len(token) >= 32
    parts = re.findall(r"[A-Za-z0-9]+", token)
    if all(
        _WORD_PART.fullmatch(p) and (len(p) <= 4 or p[0].isdigit() or _is_words(p)) for p in parts
    ):
        return False  # words and numbers joined by punctuation: a name, a path, a version
    return _entropy(token) >= 3.0


def _is_words(token: str) -> bool:
    """Whether `token` reads as words (`ThisIsAName`, `HTTPServer`): at most a third capitals,
    and lower-case chunks of 3+ letters on average, each with a vowel and none with 6
    consonants in a row. Random mixed case is about half capitals, in chunks of about 2."""
    if 3 * sum(c.isupper() for c in token) > len(token):
        return False
    chunks = [c for c in _CHUNKS.findall(token) if not c.isupper()]
    if not chunks or sum(map(len, chunks)) < 3 * len(chunks):
        return False
    return all(
        re.search("[aeiouy]", c, re.I) and not re.search("[b-df-hj-np-tv-xz]{6}", c, re.I)
        for c in chunks
    )


def _passwords(text: str) -> Iterator[tuple[str, int, int]]:
    for match in _PASSWORD.finditer(text):
        parts = {p.lower() for p in _SEGMENTS.split(match["name"]) if p}
        value = match["value"].rstrip(".,;")
        if _NOT_SECRET & parts or len(value) < 8 or _PLACEHOLDER.search(value):
            continue
        if len(_classes(value)) >= 3:
            yield "password", match.start("value"), match.start("value") + len(value)


def _classes(text: str) -> set[str]:
    out: set[str] = set()
    for char in text:
        if char.isdigit():
            out.add("digit")
        elif char.islower():
            out.add("lower")
        elif char.isupper():
            out.add("upper")
        else:
            out.add("symbol")
    return out


def _entropy(text: str) -> float:
    """Shannon entropy of the characters of `text`, in bits per character."""
    counts = Counter(text)
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


__all__ = ["REDACTED", "Scan", "Secret", "redact", "scan"]
