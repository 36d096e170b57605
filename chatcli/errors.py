"""Typed errors. The CLI and the TUI turn each into one clear sentence."""

from __future__ import annotations

import errno as _errno
import os


class ChatcliError(Exception):
    """Base of every error chatcli reports to a person."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def sentence(self) -> str:
        """The error as one line: what is wrong, then what to do."""
        if not self.hint:
            return self.message
        end = "" if self.message.endswith((".", "!", "?", ":")) else "."
        return f"{self.message}{end} {self.hint}"


class InvalidSessionId(ChatcliError):
    """A session id that is not `[A-Za-z0-9_-]{1,64}`."""

    def __init__(self, session_id: str) -> None:
        shown = session_id if len(session_id) <= 70 else session_id[:67] + "..."
        super().__init__(
            f"{shown!r} is not a valid session id.",
            "Use 1-64 letters, digits, '-' or '_'.",
        )
        self.session_id = session_id


class SessionNotFound(ChatcliError):
    """No session with this id exists in the store."""

    def __init__(self, session_id: str) -> None:
        super().__init__(
            f"No session named {session_id!r}.",
            "Run 'chatcli sessions list' to see the sessions you have.",
        )
        self.session_id = session_id


class SessionExists(ChatcliError):
    """A session with this id already exists."""

    def __init__(self, session_id: str) -> None:
        super().__init__(f"A session named {session_id!r} already exists.", "Pick another id.")
        self.session_id = session_id


class SessionLocked(ChatcliError):
    """The session's lock could not be taken in time."""

    def __init__(self, session_id: str, seconds: float) -> None:
        super().__init__(
            f"Session {session_id!r} stayed locked by another process for {seconds:g} s.",
            "Try again; if it persists, check for a hung chatcli process.",
        )
        self.session_id = session_id


class CorruptLog(ChatcliError):
    """A session log line that cannot be read, named by file and line number."""

    def __init__(self, path: str, line: int, reason: str, hint: str | None = None) -> None:
        super().__init__(
            f"{path}:{line}: {reason}",
            hint
            or "The file was not changed; 'chatcli sessions doctor --repair' sets bad lines "
            "aside without losing a byte.",
        )
        self.path = path
        self.line = line
        self.reason = reason


class UnsafePath(ChatcliError):
    """A session path that is a link or otherwise not a plain file we own."""


class CheckpointNotFound(ChatcliError):
    """No checkpoint with this id in the session."""

    def __init__(self, session_id: str, checkpoint_id: str) -> None:
        super().__init__(
            f"Session {session_id!r} has no checkpoint {checkpoint_id!r}.",
            f"Run 'chatcli sessions checkpoints {session_id}' to list them.",
        )


# What an OSError's errno means, in words, and what a person can do about it.
_IO_WORDS: dict[int, tuple[str, str]] = {
    _errno.ENOSPC: ("the disk is full", "Free some space on that disk, then try again."),
    _errno.EDQUOT: (
        "your disk quota is used up",
        "Free some space (or ask for a larger quota), then try again.",
    ),
    _errno.EROFS: (
        "the file system is read-only",
        "Make it writable, or point CHATCLI_DATA_DIR at a writable folder.",
    ),
    _errno.EACCES: (
        "permission denied",
        "Give your user access to it (ls -l shows its owner and mode), "
        "or point CHATCLI_DATA_DIR at a folder you own.",
    ),
    _errno.EIO: (
        "the disk reported an input/output error",
        "Check the disk (dmesg says why), then run 'chatcli sessions doctor'.",
    ),
}
_IO_WORDS[_errno.EPERM] = _IO_WORDS[_errno.EACCES]


def io_words(code: int | None) -> tuple[str, str | None]:
    """An errno as plain words and a hint (the system's own words for the rest)."""
    if code in _IO_WORDS:
        return _IO_WORDS[code]
    if code is None:
        return "an input/output error", None
    return os.strerror(code).lower(), None


class StoreIOError(ChatcliError):
    """The disk refused to read or write a file: full, read-only, no permission, failing.

    `action` is a verb phrase ("write to", "read", "create"); `errno` the OSError's."""

    def __init__(self, path: str, action: str, errno: int | None) -> None:
        words, hint = io_words(errno)
        super().__init__(f"Cannot {action} {path}: {words}.", hint)
        self.path = path
        self.action = action
        self.errno = errno

    @classmethod
    def of(cls, exc: OSError, action: str, path: object) -> StoreIOError:
        """The StoreIOError for `exc`, raised while doing `action` on `path`."""
        return cls(str(path), action, exc.errno)


class ReplyKept(ChatcliError):
    """A reply the person saw could not be saved to its session; it was kept elsewhere."""

    def __init__(self, kept: str, cause: ChatcliError) -> None:
        super().__init__(
            f"The reply could not be saved ({cause.message.rstrip('.')}), so it is kept in {kept}.",
            f"Once that is fixed, 'chatcli sessions recover {kept}' adds it to the session.",
        )
        self.kept = kept
        self.cause = cause


class StoreUnavailable(ChatcliError):
    """The store (e.g. a Redis server) cannot be reached."""


class ConfigError(ChatcliError):
    """A bad setting in config.toml or the environment."""


class ModelError(ChatcliError):
    """A model call failed; `kind` says how (auth, not_found, rate_limit, ...)."""

    def __init__(self, kind: str, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.kind = kind
