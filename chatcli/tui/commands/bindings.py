"""The command table as Textual key bindings."""

from __future__ import annotations

from textual.binding import Binding

from chatcli.tui.commands.registry import Command, Where, commands_for


def binding(command: Command) -> Binding:
    """The key binding of one command; chat commands run through `ChatScreen.action_run`."""
    return Binding(
        command.keys,
        command.action or f"run('{command.id}')",
        command.label,
        id=command.id,
        tooltip=command.tooltip,
        show=command.show,
        priority=command.priority,
    )


def bindings_for(where: Where) -> list[Binding]:
    """The bindings of one part of the window, in table order."""
    return [binding(c) for c in commands_for(where)]
