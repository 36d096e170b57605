"""The window's remembered bits: one private file, replaced whole, never a reason to fail."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatcli.chat.ui_state import UiState, UiStateFile
from chatcli.errors import ChatcliError
from tests.fault_mounts import remount_readonly, tmpfs


def test_saved_state_comes_back_private_and_whole(tmp_path: Path) -> None:
    file = UiStateFile(tmp_path / "data" / "ui-state.json")
    state = UiState().with_pane("state", True).with_model("openai/a").with_note_seen("local/x")
    old = os.umask(0)
    try:
        file.save(state)
    finally:
        os.umask(old)
    assert file.load() == state
    assert oct(file.path.stat().st_mode & 0o777) == "0o600"
    assert oct(file.path.parent.stat().st_mode & 0o777) == "0o700"
    assert [p.name for p in file.path.parent.iterdir()] == ["ui-state.json"]  # no temp left
    file.save(state.with_pane("state", False))
    assert file.load().panes == {"state": False}


def test_recent_models_are_newest_first_and_few() -> None:
    state = UiState()
    for n in range(12):
        state = state.with_model(f"m{n}")
    state = state.with_model("m5")
    assert state.recent_models[:3] == ("m5", "m11", "m10")
    assert len(state.recent_models) == 8


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'{"panes": {"state": "yes"}}'])
def test_a_bad_file_is_a_fresh_start(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "ui-state.json"
    path.write_bytes(content)
    assert UiStateFile(path).load().panes == {}


def test_a_link_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.json"
    target.write_text('{"panes": {"state": true}}')
    link = tmp_path / "ui-state.json"
    link.symlink_to(target)
    assert UiStateFile(link).load() == UiState()


@pytest.fixture
def read_only_dir() -> Iterator[Path]:
    """A real read-only file system (a tmpfs remounted ro): even root cannot write there."""
    with tmpfs("64k") as point:
        remount_readonly(point)
        yield point


def test_an_unwritable_folder_is_one_sentence(read_only_dir: Path) -> None:
    file = UiStateFile(read_only_dir / "ui-state.json")
    with pytest.raises(ChatcliError, match="Cannot save the window's layout") as refused:
        file.save(UiState().with_pane("state", True))
    assert "read-only" in refused.value.sentence().lower()
    assert file.load() == UiState()  # and reading it is still fine
