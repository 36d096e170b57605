"""Where chatcli keeps things: the one caller of platformdirs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP = "chatcli"


@dataclass(frozen=True)
class Paths:
    """The folders chatcli uses (nothing is created until something is written)."""

    config_dir: Path
    data_dir: Path
    log_dir: Path
    models: Path | None = None
    """Where local model files go, when not `<data dir>/models` (CHATCLI_MODELS_DIR)."""

    @property
    def config_file(self) -> Path:
        """`config.toml`."""
        return self.config_dir / "config.toml"

    @property
    def agents_dir(self) -> Path:
        """User agents (`*.prompt` files)."""
        return self.config_dir / "agents"

    @property
    def sessions_dir(self) -> Path:
        """One JSONL file per session."""
        return self.data_dir / "sessions"

    @property
    def memory_dir(self) -> Path:
        """User memory (`user.jsonl`): what every session shares, with the store's guarantees."""
        return self.data_dir / "memory"

    @property
    def exports_dir(self) -> Path:
        """Where the TUI offers to write exports (F4, `/export`)."""
        return self.data_dir / "exports"

    @property
    def ui_state_file(self) -> Path:
        """What the window remembers between runs (which panes are shown, recent models)."""
        return self.data_dir / "ui-state.json"

    @property
    def log_file(self) -> Path:
        """chatcli's own log (errors in detail; never secrets)."""
        return self.log_dir / "chatcli.log"

    @property
    def models_dir(self) -> Path:
        """Assembled local model files (shared across data dirs with CHATCLI_MODELS_DIR)."""
        return self.models or self.data_dir / "models"


def resolve_paths(environ: dict[str, str] | None = None) -> Paths:
    """Paths from platformdirs, overridden by CHATCLI_CONFIG_DIR / CHATCLI_DATA_DIR."""
    env = os.environ if environ is None else environ
    data = env.get("CHATCLI_DATA_DIR")
    config = env.get("CHATCLI_CONFIG_DIR")
    data_dir = Path(data).expanduser() if data else Path(platformdirs.user_data_dir(APP))
    return Paths(
        config_dir=Path(config).expanduser() if config else Path(platformdirs.user_config_dir(APP)),
        data_dir=data_dir,
        log_dir=data_dir / "logs" if data else Path(platformdirs.user_log_dir(APP)),
        models=Path(env["CHATCLI_MODELS_DIR"]).expanduser()
        if env.get("CHATCLI_MODELS_DIR")
        else None,
    )
