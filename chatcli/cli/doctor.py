"""`chatcli sessions doctor` (check, and with --repair fix, losing nothing) and `recover`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from chatcli.cli.errors import run_safely
from chatcli.cli.wiring import context, open_store
from chatcli.errors import SessionNotFound, StoreIOError
from chatcli.session import Session, check_id
from chatcli.session.store import Store
from chatcli.session.verify import Problem


def _store() -> Store:
    settings, paths = context()
    return open_store(None, settings, paths)


@click.command()
@click.argument("session_id", metavar="[ID]", required=False)
@click.option(
    "--repair",
    is_flag=True,
    help="Fix what can be fixed, losing nothing: torn last lines and bad lines are set "
    "aside (the damaged log is kept whole), stray temporary files removed.",
)
def doctor(session_id: str | None, repair: bool) -> None:
    """Check every line, seq continuity and checkpoint digests."""

    def body() -> None:
        from chatcli.store.doctor import diagnose, remove_stray, stray_files
        from chatcli.store.jsonl import JsonlStore

        store = _store()
        if session_id is not None:
            check_id(session_id)
            if not store.exists(session_id):
                raise SessionNotFound(session_id)
        ids = [session_id] if session_id is not None else sorted(store.ids())
        bad = repaired = 0
        for sid in ids:
            problems = diagnose(store, sid)
            for problem in problems:
                click.echo(str(problem))
            if repair and problems and isinstance(store, JsonlStore):
                problems = _repair(store, sid, problems)
                repaired += not problems
            bad += bool(problems)
        strays: list[Problem] = []
        if isinstance(store, JsonlStore):
            strays = stray_files(store)
            if session_id is not None:
                name = store.path(session_id).name
                strays = [p for p in strays if Path(p.where).name.startswith(f".{name}.")]
        for stray in strays:
            click.echo(str(stray))
            if repair:
                remove_stray(stray)
                click.echo(f"removed {stray.where}")
        if session_id is None:
            from chatcli.cli.search import check_index

            click.echo(check_index(store))
        memory_bad = _check_memory(store, repair) if session_id is None else False
        left = 0 if repair else len(strays)
        done = f" ({repaired} repaired)" if repaired else ""
        more = f" {left} stray temporary file(s)." if left else ""
        click.echo(f"Checked {len(ids)} session(s): {bad} with problems{done}.{more}")
        if (bad or left or memory_bad) and not repair and isinstance(store, JsonlStore):
            click.echo("Run 'chatcli sessions doctor --repair' to fix them; it loses nothing.")
        if bad or left or memory_bad:
            raise click.exceptions.Exit(1)

    run_safely(body)


def _check_memory(store: Store, repair: bool) -> bool:
    """Check the user-memory log like a session's (with --repair, salvage it like one);
    whether problems are left."""
    from chatcli.cli.wiring import context
    from chatcli.session.user_memory import USER_LOG, verify_memory
    from chatcli.store.doctor import diagnose, is_torn_tail
    from chatcli.store.jsonl import JsonlStore
    from chatcli.store.user_memory import memory_store_for

    memory = memory_store_for(store, context()[1].memory_dir)
    if not memory.exists(USER_LOG):
        return False
    problems = diagnose(memory, USER_LOG, verify_memory)
    for problem in problems:
        click.echo(str(problem))
    if repair and isinstance(memory, JsonlStore) and any(map(is_torn_tail, problems)):
        click.echo(f"user memory: moved the torn last line to {memory.move_torn_tail(USER_LOG)}")
        problems = diagnose(memory, USER_LOG, verify_memory)
    if repair and isinstance(memory, JsonlStore) and problems:
        from chatcli.session.user_memory import MemoryView
        from chatcli.store.repair import repair as salvage_log

        done = salvage_log(memory, USER_LOG, verify_memory, MemoryView.start)
        if done is not None:
            for line in describe("user memory", done):
                click.echo(line)
        problems = diagnose(memory, USER_LOG, verify_memory)
    click.echo(f"User memory: {len(problems) or 'no'} problem(s).")
    return bool(problems)


def _repair(store: Any, session_id: str, problems: list[Problem]) -> list[Problem]:
    """Move a torn tail aside, then salvage bad lines; the problems left afterwards."""
    from chatcli.store.doctor import diagnose, is_torn_tail
    from chatcli.store.repair import repair

    if any(map(is_torn_tail, problems)):
        aside = store.move_torn_tail(session_id)
        click.echo(f"{session_id}: moved the torn last line to {aside}")
        problems = diagnose(store, session_id)
    if not problems:
        return []
    done = repair(store, session_id)
    if done is not None:
        for line in describe(session_id, done):
            click.echo(line)
    return diagnose(store, session_id)


def describe(session_id: str, done: Any) -> list[str]:
    """What a repair did, line by line, and where every byte of the damaged log went."""
    out = [f"{session_id}: repaired {done.path}; line by line:"]
    kept: list[int] = []
    for fate in done.salvage.fates:
        if fate.fate == "kept":
            kept.append(fate.line)
            continue
        where = f"line {fate.line} ({fate.length} bytes at offset {fate.offset})"
        if fate.fate == "replaced":
            out.append(f"  {where}: {fate.reason}; a repair record stands in for it")
        elif fate.fate == "new header":
            out.append(f"  {where}: {fate.reason}; a new session line stands in for it")
        elif fate.fate == "renumbered":
            out.append(f"  {where}: {fate.reason}; renumbered {fate.line}")
        else:
            out.append(f"  {where}: {fate.reason}")
    if kept:
        out.append(f"  {_ranges(kept)}: kept byte for byte")
    out.append(f"  the damaged log, all {done.size} bytes, is kept unchanged as {done.kept}")
    return out


def _ranges(numbers: list[int]) -> str:
    """`lines 1-3, 5, 7-9`."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and spans[-1][1] == n - 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    text = ", ".join(f"{a}-{b}" if a != b else f"{a}" for a, b in spans)
    return f"line{'s' if len(numbers) > 1 else ''} {text}"


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def recover(file: Path) -> None:
    """Add a reply chatcli kept in FILE (when its session could not take it) back to its session."""

    def body() -> None:
        from chatcli.chat.rescue import read_kept

        session_id, message = read_kept(file)
        session: Session[Any] = Session.load(_store(), check_id(session_id))
        fields = {
            k: getattr(message, k)
            for k in ("tool_calls", "tool_call_id", "name", "model", "usage", "error")
            if getattr(message, k) is not None
        }
        saved = session.add_message(message.role, message.content, status=message.status, **fields)
        try:
            file.unlink()
        except OSError as exc:
            raise StoreIOError.of(exc, "remove", file) from None
        click.echo(f"Added the kept reply to {session_id} as line {saved.seq}; removed {file}.")

    run_safely(body)
