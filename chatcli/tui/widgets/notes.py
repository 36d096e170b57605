"""Short notes the conversation shows between messages: restores, failures, paging."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from chatcli.session.chain import RestoreInfo
from chatcli.tui.support.keys import key_display


class RestoreNote(Static):
    """After a restore: what was rolled back, that it is kept, and how to undo."""

    def __init__(self, info: RestoreInfo, restore_key: str) -> None:
        self.info = info
        label = f" ({info.label})" if info.label else ""
        rolled = info.plan.rolls_back
        moved = (
            f"{rolled} message{'s' if rolled != 1 else ''} rolled back"
            if rolled
            else "Nothing was rolled back"
        )
        undo = (
            f"restore {info.undo} ({key_display(restore_key)}) to undo."
            if info.undo
            else f"restore again ({key_display(restore_key)}) to undo."
        )
        text = Content.assemble(
            ("↶ Restored ", "bold"),
            (f"{info.checkpoint}{label}", "bold $accent"),
            f". {moved}; they are kept in the session log — {undo}",
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
