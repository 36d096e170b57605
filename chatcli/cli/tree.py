"""`chatcli sessions tree` and `chatcli sessions switch`: history as a tree."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from chatcli.cli.errors import run_safely
from chatcli.cli.wiring import context, open_store
from chatcli.session import Session
from chatcli.session.chain import undo_target
from chatcli.session.tree_rows import first_words, tree_rows

if TYPE_CHECKING:
    from chatcli.chat.engine import ChatEngine
    from chatcli.chat.events import TurnEvent


@click.command()
@click.argument("session_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (every message, every branch).")
def tree(session_id: str, as_json: bool) -> None:
    """Show a session's history as a tree: every branch, the active one marked (●).

    Linear runs are folded into one row, so the picture shows the branch points.
    """
    from chatcli.chat.forks import tree_with_forks

    def body() -> None:
        settings, paths = context()
        store = open_store(None, settings, paths)
        session: Session[Any] = Session.load(store, session_id)
        found = tree_with_forks(store, session)
        if as_json:
            click.echo(json.dumps(found.to_json(), indent=2, ensure_ascii=False))
            return
        if not found.nodes:
            click.echo(f"{session.id} has no messages yet.")
            return
        now = datetime.now(UTC).astimezone()
        leaves = found.branch_count()
        click.echo(
            f"{session.id}: {len(found)} messages, {leaves} branch{'es' if leaves != 1 else ''}"
            f", {len(found.forks)} fork{'s' if len(found.forks) != 1 else ''}"
        )
        for row in tree_rows(found):
            click.echo(row.text(now))
        if leaves > 1:
            click.echo(f"Switch branch with: chatcli sessions switch {session.id} SEQ")

    run_safely(body)


@click.command()
@click.argument("session_id", metavar="ID")
@click.argument("seq", type=int, metavar="SEQ")
def switch(session_id: str, seq: int) -> None:
    """Make the branch through message SEQ active (at its newest message).

    Nothing is deleted: switch back (or restore) to undo.
    """

    def body() -> None:
        settings, paths = context()
        session: Session[Any] = Session.load(open_store(None, settings, paths), session_id)
        before = session.view.head
        record = session.switch(seq)
        head = session.view.head
        last = f"#{head.message.seq} {first_words(head.message.content, 40)}" if head else "-"
        if record is None:
            click.echo(f"{session.id} is already on that branch (it ends at {last}).")
            return
        undo = undo_target(session.records, record.seq)
        leaf = before is not None and not session.tree().nodes[before.message.seq].children
        if before is not None and (leaf or undo is None):
            how = f"chatcli sessions switch {session.id} {before.message.seq}"
        else:
            how = f"chatcli sessions restore {session.id} {undo}"
        click.echo(
            f"Switched {session.id} to the branch ending at {last} "
            f"({session.view.message_count} messages in view); nothing was deleted. "
            f"Undo with: {how}"
        )

    run_safely(body)


def check_branch_flags(
    prompt: str | None,
    session_id: str | None,
    cont: bool,
    regenerate: bool,
    edit_seq: int | None,
) -> str:
    """The prompt `ask` sends, after checking --regenerate / --edit go with what they need."""
    if regenerate and edit_seq is not None:
        raise click.UsageError("Use either --regenerate or --edit SEQ, not both.")
    which = "--regenerate" if regenerate else "--edit" if edit_seq is not None else None
    if which is not None and session_id is None and not cont:
        raise click.UsageError(f"{which} works on a stored session: add -s ID (or -c).")
    if regenerate:
        if prompt is not None:
            raise click.UsageError("--regenerate takes no prompt: it answers your last message.")
        return ""
    if prompt is None:
        raise click.UsageError("Missing argument 'PROMPT' (the text to send, or - for stdin).")
    return prompt


def turn_events(
    engine: ChatEngine, prompt: str, regenerate: bool, edit_seq: int | None
) -> AsyncIterator[TurnEvent]:
    """The turn `ask` runs: a new message, an edit of message `edit_seq`, or a regeneration."""
    if regenerate:
        return engine.regenerate()
    if edit_seq is not None:
        return engine.edit(edit_seq, prompt)
    return engine.send(prompt)
