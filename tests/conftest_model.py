"""Fixtures for talking to a real OpenAI-compatible server on 127.0.0.1.

Registered from tests/conftest.py with ``pytest_plugins = ["tests.conftest_model"]``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chatcli.llm import LiteLLMModel
from tests.model_server import ModelServer

TEST_KEY = "sk-test-not-a-real-key-0123456789"


@pytest.fixture
def model_server() -> Iterator[ModelServer]:
    """A scripted server for this test; `.url` is the api_base to use."""
    server = ModelServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def loopback_model(model_server: ModelServer) -> LiteLLMModel:
    """A LiteLLMModel pointed at `model_server`; use model names like "openai/test-model"."""
    return LiteLLMModel(api_base=model_server.url, api_key=TEST_KEY, timeout=10.0)
