"""Settings: config.toml, then the environment, then command-line flags."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from chatcli.errors import ConfigError
from chatcli.paths import Paths

ENV_KEYS = {
    "CHATCLI_MODEL": "model",
    "CHATCLI_API_BASE": "api_base",
    "CHATCLI_API_KEY": "api_key",
    "CHATCLI_AGENT": "agent",
    "CHATCLI_STORE": "store",
    "CHATCLI_REDIS_PASSWORD": "redis_password",
    "CHATCLI_SECRET_GUARD": "secret_guard",
    "CHATCLI_CONTEXT_WINDOW": "context_window",
    "CHATCLI_MEMORY_APPROVAL": "memory_approval",
}


class ModelConfig(BaseModel):
    """Settings for one model, under `[models."NAME"]` in config.toml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    context_window: int | None = Field(default=None, ge=256)
    """The model's context window in tokens, for a model litellm does not know."""


class Settings(BaseModel):
    """Everything a user can set. Frozen: build a new one to change it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str | None = None
    """Default model, as litellm names it (`openai/gpt-4o-mini`, `local/gemma3-270m`)."""
    api_base: str | None = None
    """Base URL of an OpenAI-compatible server (e.g. `http://127.0.0.1:8080/v1`)."""
    api_key: SecretStr | None = None
    """API key passed with each request; prefer the provider's own variable."""
    agent: str = "default"
    """Agent (prompt file) for new sessions: a name in `<config dir>/agents/` or built in."""
    store: str | None = None
    """Where sessions live: empty for files in the data dir, or `redis://host:port/db`."""
    redis_password: SecretStr | None = None
    """Password for a Redis store (never written to a session or a log)."""
    redis_prefix: str = "chatcli:"
    """Key prefix for a Redis store."""
    redis_ttl: str | None = None
    """Expire a Redis session this long after its last write (e.g. `30d`); never when unset."""
    timeout: float = Field(default=120.0, gt=0)
    """Seconds to wait for a model before giving up."""
    max_tool_rounds: int = Field(default=8, ge=1, le=64)
    """How many rounds of tool calls one turn may take."""
    secret_guard: bool = True
    """Look for API keys, tokens, passwords and private keys in what you type before it is
    saved or sent: `ask` replaces them with `[redacted]` (unless `--allow-secrets`), the
    window asks. `false` (or CHATCLI_SECRET_GUARD=0) sends everything as typed."""
    context_window: int | None = Field(default=None, ge=256)
    """Context window in tokens for every model (CHATCLI_CONTEXT_WINDOW): overrides
    litellm's model info and `[models."NAME"] context_window`. Unset: litellm's figure,
    else the model's config, else the offline engine's size, else 8192."""
    models: dict[str, ModelConfig] = Field(default_factory=dict)
    """Per-model settings: `[models."openai/my-model"] context_window = 32000`."""
    memory_approval: Literal["auto", "ask"] = "auto"
    """Whether the model may change user memory (what every session sees) on its own:
    `auto` lets it, and says so (a toast in the window, a `note:` from `ask`); `ask`
    makes the window ask you first, and `chatcli ask` (which cannot ask) declines."""
    keymap: dict[str, str] = Field(default_factory=dict)
    """Key binding overrides: binding id → keys, e.g. `checkpoint = "ctrl+k"`."""

    def with_overrides(self, **values: Any) -> Settings:
        """A copy with the non-None values replaced (flags win over config)."""
        clean = {k: v for k, v in values.items() if v is not None}
        if "api_key" in clean and isinstance(clean["api_key"], str):
            clean["api_key"] = SecretStr(clean["api_key"])
        return self.model_copy(update=clean)


def load_settings(paths: Paths, environ: Mapping[str, str]) -> Settings:
    """Read config.toml (if present) and apply CHATCLI_* environment variables."""
    data: dict[str, Any] = {}
    file = paths.config_file
    if file.is_file():
        try:
            with open(file, "rb") as fh:
                data = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"Cannot read {file}: {exc}.", "Fix or remove the file.") from None
    for env, key in ENV_KEYS.items():
        if environ.get(env):
            data[key] = environ[env]
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"])
        named = next((e for e, k in ENV_KEYS.items() if k == where and environ.get(e)), None)
        source = f"${named} (the environment)" if named else str(file)
        raise ConfigError(
            f"Bad setting {where!r} in {source}: {err['msg']}.",
            "Fix it; 'chatcli paths' shows where config lives.",
        ) from None
