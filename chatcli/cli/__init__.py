"""`chatcli`: the TUI with no subcommand; `ask`, `search`, `sessions …` and `paths` otherwise."""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING

import click

from chatcli.cli.errors import run_safely
from chatcli.cli.lazy_group import LazyGroup

if TYPE_CHECKING:
    from chatcli.chat.workspace import Workspace
    from chatcli.cli.flags import Flags

# `ask`, `memory` and `sessions` load when run (or listed by --help): the TUI's first paint
# waits for neither, nor for the settings and store they import.
LAZY_SUBCOMMANDS = {
    "ask": "chatcli.cli.ask.ask",
    "memory": "chatcli.cli.memory.memory",
    "search": "chatcli.cli.search.search",
    "sessions": "chatcli.cli.sessions.sessions",
}


@click.group(
    cls=LazyGroup,
    lazy_subcommands=LAZY_SUBCOMMANDS,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option("-c", "--continue", "cont", is_flag=True, help="Resume the most recent session.")
@click.option(
    "--resume",
    "resume",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[ID]",
    help="Resume session ID; with no ID, pick one from a list.",
)
@click.option("-m", "--model", help="Model to use, as litellm names it (openai/gpt-4o-mini).")
@click.option("--api-base", help="Base URL of an OpenAI-compatible server.")
@click.option("--agent", help="Agent (prompt file) for new sessions.")
@click.version_option(package_name="chatcli")
@click.pass_context
def main(
    ctx: click.Context,
    cont: bool,
    resume: str | None,
    model: str | None,
    api_base: str | None,
    agent: str | None,
) -> None:
    """A terminal chat app with persistent memory: resume, checkpoint, restore, fork.

    With no command, opens the chat window.
    """
    from chatcli.cli.flags import BeforeSubcommand, Flags

    flags = Flags(model=model, api_base=api_base, agent=agent)
    if ctx.invoked_subcommand is not None:
        _pass_on(ctx, flags, cont, resume)
        ctx.obj = BeforeSubcommand(flags, cont)
        return
    if cont and resume is not None:
        raise click.UsageError("Use either -c/--continue or --resume, not both.")
    run_safely(lambda: _open_tui(flags, cont, resume))


def _pass_on(ctx: click.Context, flags: Flags, cont: bool, resume: str | None) -> None:
    """Flags before a subcommand: `ask` takes them (its own win); the others refuse them."""
    given = [name for name, value in _given_flags(flags, cont, resume) if value]
    if ctx.invoked_subcommand == "ask":
        if resume is not None:
            raise click.UsageError("To continue a named session, use: chatcli ask -s ID PROMPT")
    elif given:
        raise click.UsageError(
            f"{', '.join(given)} go with the chat window or 'ask', "
            f"not with '{ctx.invoked_subcommand}'."
        )


def _given_flags(flags: Flags, cont: bool, resume: str | None) -> list[tuple[str, object]]:
    return [
        ("-c", cont),
        ("--resume", resume is not None),
        ("-m", flags.model),
        ("--api-base", flags.api_base),
        ("--agent", flags.agent),
    ]


def _open_tui(flags: Flags, cont: bool, resume: str | None) -> None:
    """Paint first: the app builds the workspace (and opens `--resume ID`) in a thread."""
    from chatcli.session.ids import check_id
    from chatcli.tui.app import ChatApp, WorkspaceFactory
    from chatcli.tui.start import Start, StartMode

    if resume:
        check_id(resume)  # the id's shape needs no store: refuse it before the screen opens
    mode: StartMode = (
        "continue" if cont else "pick" if resume == "" else "resume" if resume else "new"
    )
    start = Start(mode=mode, session_id=resume or None, model=flags.model, agent=flags.agent)

    def build() -> Workspace:  # in the app's start-up thread: config and pydantic load there
        from chatcli.cli.wiring import workspace

        return workspace(flags)

    app = ChatApp(WorkspaceFactory(build), start=start)
    app.run()
    if app.failure is not None:
        raise app.failure  # one sentence on stderr (run_safely), exit code 1
    if app.return_code:
        raise click.exceptions.Exit(app.return_code)


@main.command()
def paths() -> None:
    """Show where config, data and logs live."""

    from chatcli.cli.wiring import context

    def show() -> None:
        settings, where = context()
        store = settings.store or where.sessions_dir
        rows = [
            ("config file", where.config_file),
            ("agents", where.agents_dir),
            ("data", where.data_dir),
            ("sessions", store),
            ("memory", store if settings.store else where.memory_dir),
            ("exports", where.exports_dir),
            ("search", where.data_dir / "search"),
            ("window", where.ui_state_file),
            ("log file", where.log_file),
        ]
        for name, value in rows:
            click.echo(f"{name:<12} {_redact_url(str(value))}")

    run_safely(show)


def _redact_url(text: str) -> str:
    if "://" in text and "@" in text:
        scheme, rest = text.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return text


def entry() -> None:
    """The console script: `main`, then a quick exit once litellm is loaded.

    Tearing down litellm's module graph takes ~1 s at interpreter exit; by the
    time a command returns, every write is fsynced, so skipping it loses nothing.
    """
    try:
        main.main(prog_name="chatcli")
        code: int | str | None = 0
    except SystemExit as exc:
        code = exc.code
    if "litellm" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(code if isinstance(code, int) else 1)
    sys.exit(code)
