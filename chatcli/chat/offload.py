"""Store writes off the event loop, shielded from cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def run_io(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a store write in a thread; cancellation cannot abandon it half-done."""
    task = asyncio.ensure_future(asyncio.to_thread(fn, *args, **kwargs))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await task  # let the write finish, then let the cancel through
        raise
