"""Which environment variable holds each provider's API key (no litellm import)."""

from __future__ import annotations

from collections.abc import Mapping

# provider prefix -> accepted key variables; the first is the one we tell people to set.
_KEY_VARS: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "groq": ("GROQ_API_KEY",),
    "mistral": ("MISTRAL_API_KEY",),
    "deepseek": ("DEEPSEEK_API_KEY",),
    "openrouter": ("OPENROUTER_API_KEY",),
    "xai": ("XAI_API_KEY",),
    "cohere": ("COHERE_API_KEY",),
    "perplexity": ("PERPLEXITYAI_API_KEY", "PERPLEXITY_API_KEY"),
}

# Bare model names litellm routes to a provider by their prefix.
_BARE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("gpt-", "openai"),
    ("chatgpt-", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("claude-", "anthropic"),
)

# The first provider whose key is set picks the default model.
_DEFAULT_MODELS: tuple[tuple[str, str], ...] = (
    ("OPENAI_API_KEY", "openai/gpt-4o-mini"),
    ("ANTHROPIC_API_KEY", "anthropic/claude-3-5-haiku-latest"),
    ("GEMINI_API_KEY", "gemini/gemini-2.0-flash"),
    ("GOOGLE_API_KEY", "gemini/gemini-2.0-flash"),
    ("GROQ_API_KEY", "groq/openai/gpt-oss-20b"),
    ("MISTRAL_API_KEY", "mistral/mistral-small-latest"),
    ("DEEPSEEK_API_KEY", "deepseek/deepseek-chat"),
    ("OPENROUTER_API_KEY", "openrouter/openai/gpt-4o-mini"),
)


def provider_of(model: str) -> str | None:
    """The provider a model name routes to, e.g. "openai" for "openai/gpt-4o-mini"."""
    prefix, slash, _ = model.partition("/")
    if slash:
        return prefix
    for start, provider in _BARE_PREFIXES:
        if model.startswith(start):
            return provider
    return None


def key_env_vars(model: str) -> tuple[str, ...]:
    """Every variable that may hold the key for this model's provider (may be empty)."""
    provider = provider_of(model)
    return _KEY_VARS.get(provider, ()) if provider else ()


def key_env_var(model: str) -> str | None:
    """The variable to set for this model's key; None for local or unknown providers."""
    names = key_env_vars(model)
    return names[0] if names else None


def missing_key_var(model: str, environ: Mapping[str, str]) -> str | None:
    """The variable to set when the model needs a key and none is in `environ`."""
    names = key_env_vars(model)
    if not names or any(environ.get(name) for name in names):
        return None
    return names[0]


def key_from_env(model: str, environ: Mapping[str, str]) -> str | None:
    """The model's provider key as set in `environ` (its first variable that is set), or None."""
    return next((environ[name] for name in key_env_vars(model) if environ.get(name)), None)


def default_model_for_env(environ: Mapping[str, str]) -> str | None:
    """A sensible model for the first provider whose key is set, or None."""
    for var, model in _DEFAULT_MODELS:
        if environ.get(var):
            return model
    return None
