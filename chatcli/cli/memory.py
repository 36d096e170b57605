"""`chatcli memory …`: what every session shares, with where each entry came from."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from chatcli.cli.errors import fail, run_safely
from chatcli.cli.wiring import context, open_store, open_user_memory
from chatcli.session.records import dump_line, to_dict
from chatcli.session.user_memory import UserMemory, check_key


def _memory() -> UserMemory[Any]:
    settings, paths = context()
    memory: UserMemory[Any] = open_user_memory(open_store(None, settings, paths), paths)
    memory.refresh()
    return memory


def _titles(memory: UserMemory[Any]) -> dict[str, str]:
    """Titles of the sessions entries came from (only when some did)."""
    if not any(r.session for r in memory.history()):
        return {}
    settings, paths = context()
    return {s.id: s.title for s in open_store(None, settings, paths).summaries() if s.title}


def _json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _now() -> datetime:
    return datetime.now(UTC).astimezone()


@click.group()
def memory() -> None:
    """What the model remembers for every session (user memory), and where it came from."""


@memory.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(as_json: bool) -> None:
    """What is remembered now: each key, its value, who kept it, from which session."""

    def body() -> None:
        from chatcli.chat.memory_words import entry_line

        mem = _memory()
        entries = mem.entries()
        if as_json:
            _json([e.to_json() for e in entries])
            return
        if not entries:
            click.echo("Nothing is remembered for every session yet.")
            return
        titles, now = _titles(mem), _now()
        for entry in entries:
            click.echo(entry_line(entry, titles, now))

    run_safely(body)


@memory.command("set")
@click.argument("key")
@click.argument("value")
def set_cmd(key: str, value: str) -> None:
    """Remember KEY = VALUE for every session."""

    def body() -> None:
        record = _memory().set(check_key(key), value, by="cli")
        click.echo(f"Remembered {key} = {value}." if record else f"{key} was already {value}.")

    run_safely(body)


@memory.command()
@click.argument("key")
def forget(key: str) -> None:
    """Forget KEY (undo brings it back)."""

    def body() -> None:
        mem = _memory()
        if key not in mem.state_dict.get("facts", {}):
            raise fail(f"Nothing is remembered under {key!r}; 'chatcli memory list' shows what is.")
        mem.forget(key, by="cli")
        click.echo(f"Forgot {key}; 'chatcli memory undo' brings it back.")

    run_safely(body)


@memory.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per change).")
def history(as_json: bool) -> None:
    """Every change, oldest first: what, who, from which session and message, when."""

    def body() -> None:
        from chatcli.chat.memory_words import by_words, change_words

        mem = _memory()
        records = mem.history()
        if as_json:
            _json([to_dict(r) for r in records])
            return
        if not records:
            click.echo("User memory has no history yet.")
            return
        titles = _titles(mem)
        for r in records:
            where = ""
            if r.session:
                title = titles.get(r.session)
                where = f" in {r.session}" + (f" ({title!r})" if title else "")
                where += f", message {r.message}" if r.message else ""
            when = r.ts[:19].replace("T", " ")
            click.echo(f"#{r.seq:<4} {when}  {change_words(r)}  {by_words(r.by)}{where}")

    run_safely(body)


@memory.command()
def undo() -> None:
    """Revert the last change (as a new line: undo walks back one change at a time)."""

    def body() -> None:
        from chatcli.chat.memory_words import change_words

        record = _memory().undo(by="cli")
        if record is None:
            raise fail("There is no change to undo; 'chatcli memory history' shows every change.")
        said = change_words(record)
        click.echo(f"{said[:1].upper()}{said[1:]}.")

    run_safely(body)


@memory.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "jsonl", "md"]),
    default="json",
    show_default=True,
    help="json: entries with provenance; jsonl: the whole log; md: a readable list.",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE."
)
def export(fmt: str, output: Path | None) -> None:
    """Export user memory: what is kept and where it came from, or the whole log."""

    def body() -> None:
        from chatcli.private_files import write_private

        mem = _memory()
        text = _export(mem, fmt)
        if output is None:
            click.echo(text, nl=False)
            return
        write_private(output, text.encode())  # 0600: it is about the person
        click.echo(f"Wrote {output}", err=True)

    run_safely(body)


def _export(mem: UserMemory[Any], fmt: str) -> str:
    if fmt == "jsonl":  # the log as stored, line 1 included (empty when never written)
        return "".join(dump_line(r).decode() for r in mem.lines())
    if fmt == "json":
        data = {"state": mem.state_dict, "entries": [e.to_json() for e in mem.entries()]}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    from chatcli.chat.memory_words import origin

    titles, now = _titles(mem), _now()
    lines = ["# User memory", ""]
    lines += [f"- **{e.key}**: {e.value} ({origin(e.record, titles, now)})" for e in mem.entries()]
    return "\n".join(lines) + "\n"
