"""What the chat window remembers between runs: panes shown, recent models, notes seen.

One small JSON file under the data dir (`Paths.ui_state_file`), 0600, replaced
atomically, never followed through a link. It holds no conversation and no
secret; config.toml stays the person's own. A missing or unreadable file is a
fresh start, never an error: the window works the same without it.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatcli.errors import ChatcliError
from chatcli.private_files import private_dir
from chatcli.store.files import create_private, open_nofollow, sync_dir, temp_name

log = logging.getLogger("chatcli.ui_state")
VERSION = 1
RECENT_MODELS = 8
"""How many models the model picker offers from recent use."""


@dataclass(frozen=True)
class UiState:
    """The remembered bits."""

    panes: dict[str, bool] = field(default_factory=dict)
    """Pane name → shown, for the panes the person toggled (others follow the width)."""
    recent_models: tuple[str, ...] = ()
    """Models picked or used lately, newest first."""
    seen_notes: tuple[str, ...] = ()
    """Models whose caution (the tiny offline model) was shown in full once."""

    def with_pane(self, pane: str, shown: bool) -> UiState:
        """These bits, with `pane` shown or hidden by the person."""
        return dataclasses.replace(self, panes={**self.panes, pane: shown})

    def with_model(self, model: str) -> UiState:
        """These bits, with `model` the most recent."""
        recent = (model, *(m for m in self.recent_models if m != model))[:RECENT_MODELS]
        return dataclasses.replace(self, recent_models=recent)

    def with_note_seen(self, model: str) -> UiState:
        """These bits, remembering that `model`'s caution was shown."""
        if model in self.seen_notes:
            return self
        return dataclasses.replace(self, seen_notes=(*self.seen_notes, model))

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "panes": self.panes,
            "recent_models": list(self.recent_models),
            "seen_notes": list(self.seen_notes),
        }

    @classmethod
    def from_json(cls, data: Any) -> UiState:
        """The bits in `data`; whatever is missing or malformed is left at its default."""
        if not isinstance(data, dict):
            return cls()
        panes = data.get("panes")
        return cls(
            panes={k: v for k, v in panes.items() if isinstance(v, bool)}
            if isinstance(panes, dict)
            else {},
            recent_models=_strings(data.get("recent_models")),
            seen_notes=_strings(data.get("seen_notes")),
        )


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


class UiStateFile:
    """Loads and saves UiState at `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> UiState:
        """The saved state, or a fresh one when there is none or it cannot be read."""
        try:
            fd = open_nofollow(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return UiState()
        except (OSError, ChatcliError) as exc:
            log.warning("ignoring %s: %s", self.path, exc)
            return UiState()
        try:
            with os.fdopen(fd, "rb") as fh:
                return UiState.from_json(json.loads(fh.read(1 << 20)))
        except (OSError, ValueError) as exc:
            log.warning("ignoring %s: %s", self.path, exc)
            return UiState()

    def save(self, state: UiState) -> None:
        """Replace the file with `state`, all at once (a crash leaves the old or the new)."""
        data = json.dumps(state.to_json(), indent=2, ensure_ascii=False).encode() + b"\n"
        folder = self.path.parent
        tmp = temp_name(self.path)  # a name the store's stale-temp sweep recognises
        try:
            private_dir(folder)
            create_private(tmp, data)
            os.replace(tmp, self.path)
            sync_dir(folder)
        except OSError as exc:
            reason = exc.strerror or errno.errorcode.get(exc.errno or 0, str(exc))
        except ChatcliError as exc:  # the folder could not be made private (read-only, …)
            reason = exc.message.rstrip(".")
        else:
            return
        finally:
            if os.path.lexists(tmp):  # left by a failed write (unlink alone fails on a ro mount)
                tmp.unlink()
        raise ChatcliError(
            f"Cannot save the window's layout to {self.path}: {reason}.",
            "It is only a preference; chatcli works the same without it.",
        )
