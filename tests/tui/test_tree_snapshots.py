"""Snapshot tests of the history tree. Update with `pytest --snapshot-update -k tree`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.tui import tree_scenes
from tests.tui.scenes import Scene


def check(snap_compare: Any, scene: Scene) -> None:
    assert snap_compare(scene.app, terminal_size=scene.size, run_before=scene.run_before)


def test_tree_screen(snap_compare: Any, tmp_path: Path) -> None:
    """F9 over the lighthouse story: the title counts messages, branches and the fork;
    one row per branch with guides (the first turn folded into one row, then the
    original and the edited second question, the original and regenerated twist), ● on
    the active ones, a ⑂ fork row (lighthouse-fork, from #13); the highlight on the edited
    question's branch, and on the right its preview: it leaves the active view after #3,
    and its last messages (the ones off the active view in the warning colour); Close and
    Switch buttons."""
    check(snap_compare, tree_scenes.tree_screen(tmp_path))


def test_tree_screen_80x24(snap_compare: Any, tmp_path: Path) -> None:
    """The tree screen at 80x24: the rows and the preview still fit side by side."""
    check(snap_compare, tree_scenes.tree_screen(tmp_path, size=(80, 24)))


def test_versions_in_the_conversation(snap_compare: Any, tmp_path: Path) -> None:
    """The story switched to the regenerated twist: the last reply's header ends with
    2/2 between angle quotes, the second question's with 1/2 (it has an edited sibling),
    the other messages carry no marker."""
    check(snap_compare, tree_scenes.versions(tmp_path))
