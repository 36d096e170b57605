"""Flags: the command-line overrides, in a module light enough for the TUI's start."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Flags:
    """Command-line overrides shared by the TUI and `ask`."""

    model: str | None = None
    api_base: str | None = None
    agent: str | None = None
