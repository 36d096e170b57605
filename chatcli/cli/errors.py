"""Every ChatcliError becomes one sentence on stderr and a non-zero exit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import click

from chatcli.errors import ChatcliError

T = TypeVar("T")
log = logging.getLogger("chatcli.cli")


def fail(message: str, code: int = 1) -> click.exceptions.Exit:
    """Print `chatcli: message` to stderr and return the exit to raise."""
    click.echo(f"chatcli: {message}", err=True)
    return click.exceptions.Exit(code)


def run_safely(fn: Callable[[], T]) -> T:
    """Run a command body; a ChatcliError ends it with one clear sentence."""
    try:
        return fn()
    except ChatcliError as exc:
        log.info("command failed: %s", exc.sentence())
        raise fail(exc.sentence()) from None
    except KeyboardInterrupt:
        raise fail("Interrupted.", 130) from None
