"""`chatcli search QUERY`: find any message of any session, best match first."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from typing import IO

import click

from chatcli.cli.errors import fail, run_safely
from chatcli.session.store import Store
from chatcli.store.search_index import Hit, SearchIndex

SHOW_PROGRESS_FROM = 200
"""Sessions to read before progress is shown on stderr (a first build, a big catch-up)."""


def open_index(store: Store | None = None) -> SearchIndex:
    """The search index of the configured store (or of `store`), under the data dir."""
    from chatcli.cli.wiring import context, open_store

    settings, paths = context()
    return SearchIndex.for_store(store or open_store(None, settings, paths), paths.data_dir)


def check_index(store: Store) -> str:
    """doctor's line on the search index: checked and caught up, or rebuilt if damaged."""
    index = open_index(store)
    problem = index.check()
    if problem is None:
        notes = index.catch_up()
        done = "up to date"
    else:
        notes = index.rebuild()
        done = f"rebuilt from the logs (it was damaged: {problem})"
    sessions, messages = index.counts()
    skipped = f"; {len(notes)} unreadable session(s) left out" if notes else ""
    return f"Search index: {messages} messages in {sessions} sessions, {done}{skipped}."


@click.command()
@click.argument("words", nargs=-1, metavar="QUERY")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of hits.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    metavar="N",
    help="Show at most N hits.",
)
@click.option("--session", "session_id", metavar="ID", help="Only this session's messages.")
@click.option("--role", type=click.Choice(["user", "assistant"]), help="Only this role's messages.")
@click.option(
    "--sort",
    type=click.Choice(["best", "newest"]),
    default="best",
    show_default=True,
    help="Best match first (newer among equals), or newest first.",
)
@click.option("--reindex", is_flag=True, help="Build the index afresh from every session first.")
def search(
    words: tuple[str, ...],
    as_json: bool,
    limit: int,
    session_id: str | None,
    role: str | None,
    sort: str,
    reindex: bool,
) -> None:
    """Search every message of every session.

    Every word must match a whole word (zq100 does not match zq1000); "an exact
    phrase" in quotes matches those words in a row; word* matches words that
    start with it. Rolled-back messages are found too, marked as such.
    """
    text = " ".join(words)
    if not text.strip() and not reindex:
        raise click.UsageError("Give a word to search for: chatcli search WORD.")

    def body() -> None:
        index = open_index()
        progress = _Progress(sys.stderr)
        if reindex:
            notes = index.rebuild(progress)
            progress.finish()
            if not text.strip():
                sessions, messages = index.counts()
                click.echo(f"Indexed {messages} messages in {sessions} sessions.", err=True)
                _notes(notes)
                return
        found = index.search(
            text,
            limit=limit,
            session=session_id,
            role=role,
            sort="newest" if sort == "newest" else "best",
            progress=progress,
        )
        progress.finish()
        if not found.hits and not _parsed(text):
            raise fail("Nothing to search for: give a word with letters or digits.")
        if as_json:
            click.echo(
                json.dumps([hit.to_json() for hit in found.hits], indent=2, ensure_ascii=False)
            )
        elif not found.hits:
            click.echo(f"No message matches {text!r}.")
        else:
            now = datetime.now(UTC).astimezone()
            for hit in found.hits:
                click.echo(_shown(hit, now))
        _notes(found.notes)

    run_safely(body)


def _parsed(text: str) -> bool:
    from chatcli.store.search_query import parse_query

    return bool(parse_query(text))


def _notes(notes: list[str]) -> None:
    for note in notes:
        click.echo(f"chatcli: note: {note}", err=True)


def _shown(hit: Hit, now: datetime) -> str:
    """Two lines per hit: where it is, then the snippet with the match in bold."""
    from chatcli.session.times import age

    title = hit.title or "(untitled)"
    where = f"{hit.session} #{hit.seq} {hit.role}"
    state = "" if hit.active else click.style("  (rolled back)", fg="yellow")
    head = f"{click.style(title, bold=True)}  {age(hit.ts, now)}  {where}{state}"
    return f"{head}\n    {highlighted(hit)}"


def highlighted(hit: Hit) -> str:
    """The snippet with each matched word styled (click drops the styles when piped)."""
    out: list[str] = []
    at = 0
    for start, end in hit.highlights:
        out.append(hit.snippet[at:start])
        out.append(click.style(hit.snippet[start:end], bold=True, fg="cyan"))
        at = end
    out.append(hit.snippet[at:])
    return "".join(out)


class _Progress:
    """Progress of a first build (or a large catch-up) on stderr: a bar on a terminal,
    a line at the start and one at the end otherwise."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.started: float | None = None
        self.total = 0
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if total < SHOW_PROGRESS_FROM:
            return
        now = time.monotonic()
        if self.started is None:
            self.started, self.total = now, total
            if not self.tty:
                self._write(f"Indexing {total} sessions for search…\n")
        if self.tty and (now - self.last > 0.1 or done == total):
            self.last = now
            width = 30
            filled = width * done // max(total, 1)
            bar = "█" * filled + "░" * (width - filled)
            self._write(f"\rIndexing sessions for search {bar} {done}/{total}")

    def finish(self) -> None:
        if self.started is None:
            return
        took = time.monotonic() - self.started
        end = "\n" if self.tty else ""
        self._write(f"{end}Indexed {self.total} sessions in {took:.1f} s.\n")
        self.started = None

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


__all__ = ["highlighted", "open_index", "search"]
