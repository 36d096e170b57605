"""How the TUI was asked to start: a new session, the latest, a named one, or a picker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

StartMode = Literal["new", "continue", "resume", "pick"]


@dataclass(frozen=True)
class Start:
    """What `chatcli` was told on the command line.

    `new` (plain `chatcli`), `continue` (`-c`: the most recent session),
    `resume` (`--resume ID`) or `pick` (`--resume` with no id: the resume picker).
    `model` and `agent` apply to a new session (and `model` to a resumed one).
    """

    mode: StartMode = "new"
    session_id: str | None = None
    model: str | None = None
    agent: str | None = None

    def __post_init__(self) -> None:
        if self.mode == "resume" and not self.session_id:
            raise ValueError("Start(mode='resume') needs a session_id")
