"""Offline-model engines for tests: the fake engine process (tests/fake_engine.py), cleaned up.

Registered from tests/conftest.py (``pytest_plugins``). The fake speaks the
real engine's protocol, so the real `LocalEngine` supervisor, the real litellm
handler and the real HTTP client all run; only llama.cpp is missing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chatcli.llm import LiteLLMModel
from chatcli.llm.local import LOCAL_MODEL, LocalEngine

FAKE_ENGINE = Path(__file__).with_name("fake_engine.py")

MakeEngine = Callable[..., LocalEngine]


@pytest.fixture
def once(tmp_path: Path) -> Path:
    """Create this file to make the fake engine misbehave on its next reply (see --then)."""
    return tmp_path / "misbehave-once"


@pytest.fixture
def make_fake_engine(tmp_path: Path, once: Path) -> Iterator[MakeEngine]:
    """`make(then="SIGSEGV", after=2, *extra)`: a LocalEngine running the fake; stopped after."""
    made: list[LocalEngine] = []

    def make(
        *extra: str, then: str = "SIGSEGV", after: int = 2, timeout: float = 30
    ) -> LocalEngine:
        command = [sys.executable, str(FAKE_ENGINE), "--once", str(once), "--then", then]
        command += ["--after", str(after), *extra]
        engine = LocalEngine(
            tmp_path / "models",
            log_file=tmp_path / "logs" / "chatcli.log",
            command=command,
            start_timeout=timeout,
        )
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.stop()


@pytest.fixture
def wired_fake_engine(
    make_fake_engine: MakeEngine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[LocalEngine]]:
    """Make the wiring (`chatcli ask`, the TUI's workspace) build fake engines; lists them."""
    built: list[LocalEngine] = []

    class Wired(LocalEngine):
        def __init__(self, models_dir: Path, **_: object) -> None:
            fake = make_fake_engine()
            super().__init__(models_dir, log_file=fake.log_file, command=fake.command)
            built.append(self)

    monkeypatch.setattr("chatcli.llm.local_engine.LocalEngine", Wired)
    yield built
    for engine in built:
        engine.stop()


@pytest.fixture
def fake_engine(make_fake_engine: MakeEngine) -> LocalEngine:
    """A fake engine that dies by SIGSEGV after two pieces of its next reply, once `once` exists."""
    return make_fake_engine()


@pytest.fixture
def fake_local_model(fake_engine: LocalEngine) -> LiteLLMModel:
    """LiteLLMModel wired to the fake engine; use the model name `LOCAL_MODEL`."""
    return LiteLLMModel(local=fake_engine, timeout=30.0)


__all__ = ["FAKE_ENGINE", "LOCAL_MODEL", "MakeEngine"]
