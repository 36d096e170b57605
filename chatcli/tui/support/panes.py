"""Which side panes show: what fits the width, except the ones the person chose."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PANES = ("sidebar", "state", "checkpoints")


@dataclass(frozen=True)
class Panes:
    """Shown or hidden, for each side pane."""

    sidebar: bool = True
    state: bool = False
    checkpoints: bool = False

    @classmethod
    def for_width(cls, width: int, chosen: Mapping[str, bool] | None = None) -> Panes:
        """What fits a terminal `width` cells wide, with the person's `chosen` panes as chosen."""
        fits = {"sidebar": width >= 110, "state": width >= 150, "checkpoints": width >= 150}
        fits.update({p: v for p, v in (chosen or {}).items() if p in fits})
        return cls(**fits)

    def shown(self, pane: str) -> bool:
        return bool(getattr(self, pane))

    def hidden_classes(self) -> dict[str, bool]:
        """State classes for the screen: `-hide-<pane>` (and `-hide-side`) → set or not."""
        classes = {f"-hide-{p}": not self.shown(p) for p in PANES}
        classes["-hide-side"] = not (self.state or self.checkpoints)
        return classes
