"""The one place concrete parts are built: settings, store, model client, workspace."""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

__all__ = ["Flags", "context", "open_store", "open_user_memory", "setup_logging", "workspace"]

from chatcli.cli.flags import Flags
from chatcli.config import Settings, load_settings
from chatcli.errors import ChatcliError, StoreIOError
from chatcli.paths import Paths, resolve_paths
from chatcli.private_files import log_handler, private_dir
from chatcli.session.catalog import parse_duration
from chatcli.session.store import Store
from chatcli.session.user_memory import UserMemory
from chatcli.store.jsonl import JsonlStore

if TYPE_CHECKING:
    from chatcli.chat.workspace import Workspace


def context(
    flags: Flags | None = None, environ: dict[str, str] | None = None
) -> tuple[Settings, Paths]:
    """Settings (config.toml, then env, then flags) and paths, from `environ` (default:
    a copy of the process's environment)."""
    env = dict(os.environ) if environ is None else environ
    paths = resolve_paths(env)
    settings = load_settings(paths, env)
    if flags:
        settings = settings.with_overrides(
            model=flags.model, api_base=flags.api_base, agent=flags.agent
        )
    return settings, paths


def open_store(target: str | None, settings: Settings, paths: Paths) -> Store:
    """A store from `redis://…`, a folder path, `files`, or (None) the configured default."""
    target = target if target is not None else settings.store
    if target and target.startswith(("redis://", "rediss://", "unix://")):
        from chatcli.store.redis import RedisStore

        password = settings.redis_password.get_secret_value() if settings.redis_password else None
        ttl = parse_duration(settings.redis_ttl) if settings.redis_ttl else None
        return RedisStore.from_url(target, prefix=settings.redis_prefix, password=password, ttl=ttl)
    if target and target not in ("files", "file"):
        if "://" in target:
            raise ChatcliError(
                f"Unknown store {target!r}.", "Use redis://host:port/db, 'files' or a folder path."
            )
        return JsonlStore(Path(target).expanduser())
    return JsonlStore(paths.sessions_dir)


def open_user_memory(store: Store, paths: Paths) -> UserMemory[Any]:
    """User memory beside `store`: `<data dir>/memory/` for files, the same Redis server."""
    from chatcli.store.user_memory import memory_store_for

    return UserMemory(memory_store_for(store, paths.memory_dir))


def setup_logging(paths: Paths) -> None:
    """Send chatcli's (and litellm's) log to the log file, never to the terminal.

    The file is never opened through a link (UnsafePath says so). When the data
    folder cannot take it (read-only, full, not ours), chatcli runs without a
    log file: the command's own errors still reach the person as sentences."""
    try:
        private_dir(paths.log_dir)
        handler: logging.Handler = log_handler(paths.log_file)
    except (OSError, StoreIOError):
        handler = logging.NullHandler()
    handler._chatcli_log = True  # type: ignore[attr-defined]
    root = logging.getLogger("chatcli")
    root.setLevel(logging.INFO)
    for old in [h for h in root.handlers if getattr(h, "_chatcli_log", False)]:
        root.removeHandler(old)  # a second workspace in one process logs to its own file only
        with contextlib.suppress(OSError):  # its disk may be full now; that file is done
            old.close()
    root.addHandler(handler)
    root.propagate = False
    from chatcli.llm import configure_logging

    configure_logging(handler)  # litellm's records go to the same file, keys redacted


def workspace(flags: Flags | None = None, *, log: bool = True) -> Workspace:
    """The Workspace the TUI and `ask` run on, every part built here once.

    One copy of the environment feeds the settings, the paths, the model
    client's provider keys and the workspace (default model, known models)."""
    from chatcli.chat.workspace import Workspace
    from chatcli.llm import LiteLLMModel
    from chatcli.llm.local_engine import LocalEngine

    environ = dict(os.environ)
    settings, paths = context(flags, environ)
    if log:
        setup_logging(paths)
    key = settings.api_key.get_secret_value() if settings.api_key else None
    local = LocalEngine(paths.models_dir, log_file=paths.log_file if log else None)
    model = LiteLLMModel(
        api_base=settings.api_base,
        api_key=key,
        timeout=settings.timeout,
        local=local,
        environ=environ,
    )
    from chatcli.store.search_index import SearchIndex

    store = open_store(None, settings, paths)
    index = SearchIndex.for_store(store, paths.data_dir)
    return Workspace(settings, paths, store, model, environ, index=index)
