"""Flags: the command-line overrides, in a module light enough for the TUI's start."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class Flags:
    """Command-line overrides shared by the TUI and `ask`."""

    model: str | None = None
    api_base: str | None = None
    agent: str | None = None


class BeforeSubcommand(NamedTuple):
    """What was given before a subcommand (`chatcli -m MODEL -c ask …`), for `ask`."""

    flags: Flags
    cont: bool
