"""Short notes the conversation shows between messages: restores, failures, paging."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from chatcli.session.chain import RestoreInfo
from chatcli.tui.support.keys import key_display


class RestoreNote(Static):
    """After a restore: what moved (rolled back, brought back), and how to undo it."""

    def __init__(self, info: RestoreInfo, restore_key: str) -> None:
        self.info = info
        plan = info.plan
        label = f" ({info.label})" if info.label else ""
        moved = plan.moved()
        kept = " (kept in the session log)" if plan.rolls_back else ""
        undo = f"restore {info.undo}" if info.undo else "restore again"
        text = Content.assemble(
            ("↷ Restored " if plan.brings_back and not plan.rolls_back else "↶ Restored ", "bold"),
            (f"{info.checkpoint}{label}", "bold $accent"),
            f". {moved[0].upper()}{moved[1:]}{kept} — {undo} ({key_display(restore_key)}) to undo.",
        )
        super().__init__(text, classes="note restore-note")


class ErrorNote(Static):
    """A turn that failed before any reply was saved: the error in plain words."""

    def __init__(self, sentence: str) -> None:
        super().__init__(Content.assemble(("✖ ", "bold"), sentence), classes="note error-note")


class WelcomeNote(Static):
    """What an empty conversation shows: how to start, and where the keys are."""

    def __init__(self) -> None:
        text = Content.assemble(
            ("A new session. ", "bold"),
            "Type below and press Enter. It is saved on your first message; "
            "every turn ends with a checkpoint you can restore.\n",
            ("F1", "bold"),
            " keys · ",
            ("/help", "bold"),
            " commands · ",
            ("Ctrl+B", "bold"),
            " sessions · ",
            ("Ctrl+P", "bold"),
            " command palette",
        )
        super().__init__(text, classes="note welcome")


class EarlierMarker(Static):
    """At the top of a long conversation: older messages load when you scroll here."""

    def __init__(self, hidden: int) -> None:
        super().__init__(classes="note earlier")
        self.set_hidden(hidden)

    def set_hidden(self, hidden: int) -> None:
        """Say how many older messages are not shown yet."""
        self.update(f"↑ {hidden} earlier message{'s' if hidden != 1 else ''} — scroll up to load")
        self.display = hidden > 0


class LaterMarker(Static):
    """Below a window of older messages (a search hit): newer ones load as you scroll here."""

    def __init__(self, hidden: int) -> None:
        super().__init__(classes="note later")
        self.set_hidden(hidden)

    def set_hidden(self, hidden: int) -> None:
        """Say how many newer messages are not shown yet."""
        self.update(f"↓ {hidden} later message{'s' if hidden != 1 else ''} — scroll down to load")
        self.display = hidden > 0
