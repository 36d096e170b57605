"""`chatcli sessions …`: list, show, new, checkpoint, restore, fork, export, prune, copy.

`doctor` and `recover` live in chatcli.cli.doctor.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from chatcli.cli.doctor import doctor, recover
from chatcli.cli.errors import fail, run_safely
from chatcli.cli.tree import switch, tree
from chatcli.cli.wiring import context, open_store
from chatcli.errors import CheckpointNotFound
from chatcli.private_files import write_private
from chatcli.session import Session, check_id, list_sessions, parse_duration, stale_sessions
from chatcli.session.chain import default_label, find_checkpoint, turn_count
from chatcli.session.export import FORMATS, checkpoint_json, export, session_json
from chatcli.session.store import Store
from chatcli.session.times import age as _age


def _store() -> Store:
    settings, paths = context()
    return open_store(None, settings, paths)


def _load(session_id: str) -> Session[Any]:
    return Session.load(_store(), session_id)


def _json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def age(ts: str) -> str:
    """`now`, `3m`, `5h`, `2d` since an ISO timestamp (the TUI's ages, in local time)."""
    return _age(ts, datetime.now(UTC).astimezone())


@click.group()
def sessions() -> None:
    """Manage stored sessions."""


@sessions.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--search", metavar="TEXT", help="Only sessions whose messages or title contain TEXT."
)
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="Show at most N sessions.")
def list_cmd(as_json: bool, search: str | None, limit: int | None) -> None:
    """List sessions, newest first."""

    def body() -> None:
        found = _listed(search, limit)
        if as_json:
            keys = ("id", "title", "model", "created", "updated", "messages")
            _json([{k: getattr(s, k) for k in keys} for s in found])
            return
        if not found:
            click.echo("No sessions." if not search else f"No session mentions {search!r}.")
            return
        for s in found:
            title = s.title or "(untitled)"
            note = f"  ! {s.problem}" if s.problem else ""
            click.echo(f"{s.id:<24} {age(s.updated):>4} {s.messages:>5} msgs  {title}{note}")

    run_safely(body)


def _listed(search: str | None, limit: int | None) -> list[Any]:
    """Sessions newest first; a search goes through the full-text index."""
    if not search:
        return list_sessions(_store(), search=None, limit=limit)
    from chatcli.chat.session_finder import find_sessions
    from chatcli.store.search_index import SearchIndex

    settings, paths = context()
    store = open_store(None, settings, paths)
    return find_sessions(store, SearchIndex.for_store(store, paths.data_dir), search, limit=limit)


@sessions.command()
@click.argument("session_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show(session_id: str, as_json: bool) -> None:
    """Show a session's conversation, state and checkpoints."""

    def body() -> None:
        session = _load(session_id)
        if as_json:
            _json(session_json(session))
        else:
            click.echo(export(session, "md"), nl=False)

    run_safely(body)


@sessions.command()
@click.option("--id", "session_id", metavar="ID", help="Use this id (letters, digits, - and _).")
@click.option("--title", "-t", default="", help="A title for the session.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def new(session_id: str | None, title: str, as_json: bool) -> None:
    """Create an empty session and print its id."""

    def body() -> None:
        settings, paths = context()
        session: Session[Any] = Session.create(
            open_store(None, settings, paths),
            session_id=session_id,
            title=title,
            model=settings.model,
            agent=settings.agent,
        )
        if as_json:
            _json({"id": session.id, "title": session.title, "path": session.location})
        else:
            click.echo(session.id)

    run_safely(body)


@sessions.command()
@click.argument("session_id", metavar="ID")
@click.option("--label", "-l", default="", help="A label for the checkpoint.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def checkpoint(session_id: str, label: str, as_json: bool) -> None:
    """Checkpoint a session's current view; prints the checkpoint id.

    Without --label it is named for its turn (`turn 3: <the prompt>`).
    """

    def body() -> None:
        session = _load(session_id)
        record = session.checkpoint(label or default_label(session.view.head))
        if as_json:
            _json(checkpoint_json(record))
        else:
            click.echo(record.id)

    run_safely(body)


@sessions.command()
@click.argument("session_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def checkpoints(session_id: str, as_json: bool) -> None:
    """List a session's checkpoints, oldest first, numbered #1, #2… (restore takes either)."""

    def body() -> None:
        snaps = _load(session_id).checkpoints
        if as_json:
            _json([checkpoint_json(s.record) for s in snaps])
            return
        if not snaps:
            click.echo("No checkpoints yet.")
            return
        click.echo(f"{'#':>3}  {'id':<8} {'age':>5} {'kind':<6} {'turn':>4} {'msgs':>5}  label")
        for number, snap in enumerate(snaps, start=1):
            r = snap.record
            kind = "auto" if r.auto else "manual"
            label = r.label or f"({default_label(snap.head)})"
            click.echo(
                f"{number:>3}  {r.id:<8} {age(r.ts):>5} {kind:<6} {turn_count(snap.head):>4} "
                f"{snap.message_count:>5}  {label}"
            )

    run_safely(body)


@sessions.command()
@click.argument("session_id", metavar="ID")
@click.argument("checkpoint_id", metavar="CHECKPOINT")
def restore(session_id: str, checkpoint_id: str) -> None:
    """Roll a session back to a checkpoint: its id (cp8) or number (3, as `checkpoints`
    lists them). Nothing is deleted; restore again to undo."""

    def body() -> None:
        session = _load(session_id)
        snap = find_checkpoint(session.view, checkpoint_id)
        if snap is None:
            raise CheckpointNotFound(session.id, checkpoint_id)
        target = snap.record.id
        before = session.view.message_count
        session.restore(target)
        now = session.view.message_count
        click.echo(
            f"Restored {session.id} to {target}: {now} messages in view (was {before}). "
            "Rolled-back lines are kept; restore a later checkpoint to undo. "
            "User memory (chatcli memory) is not rolled back."
        )

    run_safely(body)


@sessions.command()
@click.argument("session_id", metavar="ID")
@click.option("--at", "at", metavar="CHECKPOINT_ID", help="Fork at this checkpoint (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def fork(session_id: str, at: str | None, as_json: bool) -> None:
    """Start a new session from a checkpoint of this one; prints the new id."""

    def body() -> None:
        child = _load(session_id).fork(at)
        if as_json:
            _json({"id": child.id, "parent": session_id, "checkpoint": at, "title": child.title})
        else:
            click.echo(child.id)

    run_safely(body)


@sessions.command()
@click.argument("session_id", metavar="ID")
@click.argument("title")
def rename(session_id: str, title: str) -> None:
    """Give a session a new title."""
    run_safely(lambda: _load(session_id).rename(title) and None)


@sessions.command("export")
@click.argument("session_id", metavar="ID")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
def export_cmd(session_id: str, fmt: str, output: Path | None) -> None:
    """Export a session as Markdown, JSON or its raw JSONL log."""

    def body() -> None:
        text = export(_load(session_id), fmt)
        if output is None:
            click.echo(text, nl=False)
            return
        write_private(output, text.encode())  # 0600: an export holds the conversation
        click.echo(f"Wrote {output}", err=True)

    run_safely(body)


@sessions.command()
@click.argument("session_id", metavar="ID")
@click.option("--yes", "-y", is_flag=True, help="Don't ask for confirmation.")
def delete(session_id: str, yes: bool) -> None:
    """Delete a session for good."""

    def body() -> None:
        store = _store()
        session: Session[Any] = Session.load(store, session_id)
        if not yes and not _confirm(f"Delete {session.id} ({session.title or 'untitled'})?"):
            raise fail("Nothing deleted.")
        store.delete(session.id)
        click.echo(f"Deleted {session.id}.")

    run_safely(body)


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise fail("Refusing to delete without confirmation; pass --yes.", 2)
    return click.confirm(question, default=False)


@sessions.command()
@click.option("--older-than", required=True, metavar="DURATION", help="e.g. 30d, 12h, 2w.")
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
@click.option("--yes", "-y", is_flag=True, help="Don't ask for confirmation.")
def prune(older_than: str, dry_run: bool, yes: bool) -> None:
    """Delete sessions not updated for DURATION (lists them first)."""

    def body() -> None:
        store = _store()
        old = stale_sessions(store, parse_duration(older_than))
        if not old:
            click.echo(f"No session is older than {older_than}.")
            return
        for s in old:
            click.echo(f"{s.id:<24} {age(s.updated):>4}  {s.title or '(untitled)'}")
        if dry_run:
            click.echo(f"{len(old)} session(s) would be deleted (dry run).")
            return
        if not yes and not _confirm(f"Delete these {len(old)} session(s)?"):
            raise fail("Nothing deleted.")
        for s in old:
            store.delete(s.id)
        click.echo(f"Deleted {len(old)} session(s).")

    run_safely(body)


@sessions.command()
@click.argument("session_id", metavar="ID")
@click.option("--to", "target", required=True, help="redis://host:port/db, 'files' or a folder.")
def copy(session_id: str, target: str) -> None:
    """Copy a session to another store (same id, same lines)."""

    def body() -> None:
        settings, paths = context()
        source = open_store(None, settings, paths)
        dest = open_store(target, settings, paths)
        records, _ = source.read(check_id(session_id))
        dest.create(records)
        click.echo(f"Copied {session_id} ({len(records)} lines) to {dest.location(session_id)}.")

    run_safely(body)


sessions.add_command(doctor)
sessions.add_command(recover)
sessions.add_command(tree)
sessions.add_command(switch)
