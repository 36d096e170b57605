"""The secret scanner: real-shaped fake keys are found and redacted; ordinary text is not.

Every key is drawn at run time (tests/fake_keys.py), so the repository holds
nothing a secret scanner would flag.
"""

from __future__ import annotations

import random
import string
import subprocess
import sys
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatcli.chat.secret_scan import REDACTED, redact, scan
from tests.fake_keys import (
    ALNUM,
    B64,
    FAKE_KEYS,
    aws_secret_key,
    draw,
    openai_legacy,
)

SHAPED = [(kind, make) for kind, makers in FAKE_KEYS.items() for make in makers]


@pytest.mark.parametrize(
    ("kind", "make"), SHAPED, ids=[f"{k}-{i}" for i, (k, _) in enumerate(SHAPED)]
)
@pytest.mark.parametrize(
    "around",
    [
        "{}",
        "here is my key: {} thanks",
        "```\nexport SOMETHING={}\n```",
        'config = {{"value": "{}"}}',
        "Can you check why {}, fails?",
    ],
)
def test_a_key_of_known_shape_is_found_and_redacted(
    kind: str, make: Callable[[], str], around: str
) -> None:
    key = make()
    text = around.format(key)
    found = scan(text)
    assert found.kinds == [kind]
    (secret,) = found.secrets
    assert text[secret.start : secret.end] == key
    assert found.redacted == around.format(REDACTED)
    assert key not in found.redacted and key not in found.describe()


@pytest.mark.parametrize(
    ("template", "kind"),
    [
        ("API_KEY={}", "API key"),
        ("export STRIPE_SECRET_KEY='{}'", "secret"),
        ('{{"token": "{}"}}', "token"),
        ("my secret is {}", "secret"),
        ("Authorization: Bearer {}", "token"),
        ("the api key is {}", "API key"),
        ("client_secret: {}", "secret"),
        ("sessionToken={}", "token"),
        ("credentials = {}", "credential"),
    ],
)
def test_a_random_token_after_a_key_word_is_found(template: str, kind: str) -> None:
    # Letters alone are found only when they do not read as camelCase words: about
    # 99.95% of random 32-letter tokens; a seeded one keeps the test deterministic.
    letters = draw(32, string.ascii_letters, random.Random(template))
    for token in (draw(24), draw(32, B64), letters):
        text = template.format(token)
        found = scan(text)
        assert found.kinds == [kind], text
        assert found.redacted == template.format(REDACTED)


def test_a_hex_token_counts_only_when_assigned_to_a_secret_name() -> None:
    hex_token = draw(40, "0123456789abcdef")
    assert scan(f"api_key = '{hex_token}'").redacted == f"api_key = '{REDACTED}'"
    assert scan(f"GITHUB_TOKEN={hex_token}").kinds == ["token"]
    assert not scan(f"commit {hex_token}")
    assert not scan(f"cache_key = '{hex_token}'")  # a bare "key" is not a secret name
    assert not scan(f"token_hash = '{hex_token}'")


@pytest.mark.parametrize(
    "text",
    [
        "password: Tr0ub4dor&3",
        "db_password=Xy9!q2Lm",
        "The password is S3cure#Pass",
        'PGPASSWORD="Zq8$wE3rT"',
    ],
)
def test_a_password_of_three_kinds_of_character_is_found(text: str) -> None:
    found = scan(text)
    assert found.kinds == ["password"]
    assert found.redacted.endswith(REDACTED) or found.redacted.endswith(f'{REDACTED}"')


def test_an_aws_secret_key_is_found_near_aws_only() -> None:
    secret = aws_secret_key()
    assert scan(f"aws_secret_access_key = {secret}").kinds == ["AWS secret access key"]
    assert scan(f"AWS creds:\n  id: x\n  {secret}").kinds == ["AWS secret access key"]
    assert not scan(f"a 40-character string {secret} with nothing around it")


def test_several_secrets_are_each_redacted_and_counted() -> None:
    one, two = openai_legacy(), FAKE_KEYS["GitHub token"][0]()
    text = f"OpenAI: {one}\nGitHub: {two}\npassword: Tr0ub4dor&3\n"
    found = scan(text)
    assert found.kinds == ["OpenAI API key", "GitHub token", "password"]
    assert found.describe() == "3 secrets (OpenAI API key, GitHub token, password)"
    assert found.redacted == f"OpenAI: {REDACTED}\nGitHub: {REDACTED}\npassword: {REDACTED}\n"


def test_a_private_key_cut_off_before_its_end_is_redacted_to_the_end() -> None:
    block = FAKE_KEYS["private key"][0]()
    cut = block[: block.index("-----END")]
    assert scan(f"my key:\n{cut}").redacted == f"my key:\n{REDACTED}"


NOT_SECRETS = [
    "The key to a good night's sleep is a dark, quiet room and no screens after ten.",
    "Which token limit applies: 128000 tokens per request, or per minute?",
    "I keep my secrets in a password manager, and so should you.",
    "My password is hunter2",  # short and plain: not flagged (a choice, see the module doc)
    "password: <your password here>",
    "password: ${DB_PASSWORD}",
    "```\n$ git log --oneline\n3f786850e387550fdab836ed7e6dc881de23001b Fix the thing\n```",
    "```\n$ sha256sum chatcli.tar.gz\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  chatcli.tar.gz\n```",
    "```\nrequests==2.32.3 \\\n  --hash=sha256:"
    "70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6\n```",
    "image: python@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "```\ncache_key = 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3'\n```",
    "```\npassword_hash = '$2b$12$KIXQJ1v2pQx3lQ5bq7m3UuYzT0g5hR9oV1QWm8wZg3e4r5t6y7u8i'\n```",
    "session 123e4567-e89b-12d3-a456-426614174000 and token: 6f1c2a9e-4b7d-4e21-9c3a-0d5e8f7a1b2c",
    "api_key = os.environ['OPENAI_API_KEY']",
    "token = request.headers.get('Authorization')",
    "secret_key_path = '/etc/app/keys/signing-key-2024.pem'",
    "key file: /usr/lib/python3.11/site-packages/litellm/main.py",
    "See https://github.com/Textualize/textual/blob/main/src/textual/app.py#L120",
    "I use scikit-learn and an sk-learn pipeline with 20 features.",
    "The AKIA prefix marks an AWS access key id.",
    "token: ThisIsMyVeryLongClassName and key: HTTPServerRequestHandlerFactory",
    "token_id: 98765432101234567890",
    "version: 1.2.3-alpha.4+build.5678, internationalization, 0x7fffffffffffffff",
    "aws s3 cp s3://my-bucket/path/to/some/really/long/file/name-2024.txt .",
    "the_quick_brown_fox_jumps_over_the_lazy_dog_2024 is a long name",
]


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_ordinary_text_code_hashes_and_uuids_are_not_flagged(text: str) -> None:
    found = scan(text)
    assert not found, [text[s.start : s.end] for s in found.secrets]
    assert found.redacted == text


@settings(max_examples=200, deadline=None)
@given(
    before=st.text(alphabet=string.ascii_letters + " .,\n", max_size=60),
    after=st.text(alphabet=string.ascii_letters + " .,\n", max_size=60),
    which=st.sampled_from(SHAPED),
)
def test_a_key_in_any_prose_is_redacted_and_redacting_again_changes_nothing(
    before: str, after: str, which: tuple[str, Callable[[], str]]
) -> None:
    key = which[1]()
    text = f"{before} {key} {after}"
    redacted = redact(text)
    assert key not in redacted
    assert redacted == f"{before} {REDACTED} {after}"
    assert redact(redacted) == redacted


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALNUM + " .,:=-_'\"\n", max_size=200))
def test_redaction_only_ever_replaces_what_it_found(text: str) -> None:
    found = scan(text)
    rebuilt = found.redacted
    for secret in reversed(found.secrets):
        assert secret.end > secret.start
    assert rebuilt.count(REDACTED) - text.count(REDACTED) == len(found.secrets)


def test_the_scanner_imports_nothing_heavy() -> None:
    code = (
        "import sys, chatcli.chat.secret_scan as s\n"
        "print(sorted(m for m in ('pydantic', 'textual', 'litellm', 'redis') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # chatcli.chat's package __init__ loads the engine (pydantic); the scanner adds nothing else.
    assert "textual" not in out.stdout and "litellm" not in out.stdout and "redis" not in out.stdout
