"""The chat models litellm knows, for the providers whose keys are set (for the model picker)."""

from __future__ import annotations

from collections.abc import Mapping

from chatcli.llm.loader import load
from chatcli.llm.providers import key_env_vars


def known_models(environ: Mapping[str, str]) -> list[str]:
    """`provider/model` for each chat model litellm lists under a provider whose key is set.

    Imports litellm (a second or two, once); call it in a thread.
    """
    litellm = load()
    cost: Mapping[str, Mapping[str, object]] = litellm.model_cost
    found: set[str] = set()
    for provider, models in litellm.models_by_provider.items():
        names = key_env_vars(f"{provider}/model")
        if not names or not any(environ.get(name) for name in names):
            continue
        for model in models:
            info = cost.get(model) or cost.get(f"{provider}/{model}") or {}
            if info.get("mode", "chat") != "chat":
                continue  # images, embeddings, speech…
            found.add(model if model.startswith(f"{provider}/") else f"{provider}/{model}")
    return sorted(found)
