"""Which side panes show: they follow the width until the person toggles one."""

from __future__ import annotations

from dataclasses import dataclass

PANES = ("sidebar", "state", "checkpoints")


@dataclass(frozen=True)
class Panes:
    """Shown or hidden, for each side pane."""

    sidebar: bool = True
    state: bool = False
    checkpoints: bool = False
    chosen: bool = False
    """The person toggled a pane: from now on the panes no longer follow the width."""

    @classmethod
    def for_width(cls, width: int) -> Panes:
        """What fits a terminal `width` cells wide."""
        return cls(sidebar=width >= 110, state=width >= 150, checkpoints=width >= 150)

    def shown(self, pane: str) -> bool:
        return bool(getattr(self, pane))

    def toggled(self, pane: str) -> Panes:
        """These panes, with `pane` flipped by the person."""
        values = {p: self.shown(p) for p in PANES}
        values[pane] = not values[pane]
        return Panes(**values, chosen=True)

    def hidden_classes(self) -> dict[str, bool]:
        """State classes for the screen: `-hide-<pane>` (and `-hide-side`) → set or not."""
        classes = {f"-hide-{p}": not self.shown(p) for p in PANES}
        classes["-hide-side"] = not (self.state or self.checkpoints)
        return classes
