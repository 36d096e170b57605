"""Regenerate screenshots/: SVG from the app itself (run_test + save_screenshot), PNG via cairosvg.

    python scripts/screenshots.py [NAME ...]

Each picture is a scene from tests/tui/scenes.py (the same deterministic scenes
the snapshot tests use): fixed sessions, times and a scripted model.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.tui import scenes, tree_scenes  # noqa: E402

OUT = ROOT / "screenshots"

SHOTS: dict[str, tuple[str, tuple[int, int] | None]] = {
    "chat": ("code-block", (120, 36)),
    "streaming": ("mid-stream", (120, 36)),
    "state-and-checkpoints": ("tool-state", (160, 45)),
    "restored": ("checkpoints", (160, 45)),
    "restore-picker": ("restore-picker", (120, 36)),
    "error": ("error", (120, 36)),
    "small-80x24": ("small-80x24", (80, 24)),
    "resume-picker": ("resume-picker", (120, 30)),
    "help": ("help", (100, 36)),
    "new-session": ("empty", (100, 30)),
    "slash-menu": ("slash-menu", (80, 24)),
    "help-80x24": ("help-80x24", (80, 24)),
    "user-memory": ("user-memory", (160, 45)),
    "search": ("search", (120, 36)),
    "tree": ("tree", (120, 36)),
    "tree-80x24": ("tree", (80, 24)),
    "versions": ("versions", (120, 36)),
    "compacted": ("compacted", (120, 36)),
}
"""File name → (scene, terminal size)."""

ALL_SCENES = {
    **scenes.SCENES,
    "search": scenes.search_screen,
    "tree": tree_scenes.tree_screen,
    "versions": tree_scenes.versions,
    "compacted": scenes.compacted,
}
"""Every scene a picture can come from: the snapshot tests' scenes and the features' own."""


async def shoot(name: str, scene: scenes.Scene, size: tuple[int, int]) -> Path:
    app = scene.app
    async with app.run_test(size=size) as pilot:
        if scene.run_before is not None:
            await scene.run_before(pilot)
        await pilot.pause(0.1)
        svg = OUT / f"{name}.svg"
        app.save_screenshot(filename=svg.name, path=str(OUT))
        if scene.app.chat.turn_worker is not None:
            scene.model.gate.set()  # let a held reply finish so the app exits cleanly
    return svg


def main(names: list[str]) -> None:
    import cairosvg

    OUT.mkdir(exist_ok=True)
    for name in names or list(SHOTS):
        scene_name, size = SHOTS[name]
        with tempfile.TemporaryDirectory() as tmp:
            scene = ALL_SCENES[scene_name](Path(tmp))
            svg = asyncio.run(shoot(name, scene, size or scene.size))
        png = svg.with_suffix(".png")
        cairosvg.svg2png(url=str(svg), write_to=str(png))
        print(f"{svg.relative_to(ROOT)}  {png.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
