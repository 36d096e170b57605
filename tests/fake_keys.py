"""Real-shaped fake keys, built at run time from parts.

Nothing in the repository looks like a live key (secret scanners would flag
it): every prefix is split, and the random body is drawn when a test runs.
`FAKE_KEYS` maps a kind, as `chatcli.chat.secret_scan` names it, to a function
that returns a fresh key of that kind (with the words it needs around it).
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable

_RNG = random.Random()
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"


def draw(n: int, alphabet: str = ALNUM, rng: random.Random | None = None) -> str:
    """`n` random characters of `alphabet`, with a digit and a letter when it has both."""
    both = any(c.isdigit() for c in alphabet) and any(c.isalpha() for c in alphabet)
    pick = (rng or _RNG).choice
    while True:
        text = "".join(pick(alphabet) for _ in range(n))
        if not both or (any(c.isdigit() for c in text) and any(c.isalpha() for c in text)):
            return text


def openai_legacy() -> str:
    return "s" + "k-" + draw(48)


def openai_project() -> str:
    return "s" + "k-" + "pr" + "oj-" + draw(64, URLSAFE) + draw(10)


def anthropic() -> str:
    return "s" + "k-" + "an" + "t-" + "api03-" + draw(93, URLSAFE) + "AA"


def aws_access_key_id() -> str:
    return "AK" + "IA" + draw(16, string.ascii_uppercase + string.digits)


def aws_session_key_id() -> str:
    return "AS" + "IA" + draw(16, string.ascii_uppercase + string.digits)


def aws_secret_key() -> str:
    while True:
        body = draw(40, B64)
        if any(c.isupper() for c in body) and any(c.islower() for c in body):
            return body


def github_classic() -> str:
    return "gh" + "p_" + draw(36)


def github_oauth() -> str:
    return "gh" + "o_" + draw(36)


def github_fine_grained() -> str:
    return "git" + "hub_pat_" + draw(22) + "_" + draw(59)


def slack() -> str:
    return "xo" + "xb-" + draw(12, string.digits) + "-" + draw(13, string.digits) + "-" + draw(24)


def google() -> str:
    return "AI" + "za" + draw(35, URLSAFE)


def jwt() -> str:
    return (
        "ey" + "J" + draw(30, URLSAFE) + ".ey" + "J" + draw(40, URLSAFE) + "." + draw(43, URLSAFE)
    )


def pem_block(kind: str = "RSA") -> str:
    dashes = "-" * 5
    body = "\n".join(draw(64, B64) for _ in range(4))
    label = f"{kind} PRIV" + "ATE KEY"
    return f"{dashes}BEGIN {label}{dashes}\n{body}\n{dashes}END {label}{dashes}"


FAKE_KEYS: dict[str, list[Callable[[], str]]] = {
    "OpenAI API key": [openai_legacy, openai_project],
    "Anthropic API key": [anthropic],
    "AWS access key id": [aws_access_key_id, aws_session_key_id],
    "GitHub token": [github_classic, github_oauth, github_fine_grained],
    "Slack token": [slack],
    "Google API key": [google],
    "JSON Web Token": [jwt],
    "private key": [pem_block, lambda: pem_block("OPENSSH"), lambda: pem_block("EC")],
}
"""Keys whose shape alone names them."""
