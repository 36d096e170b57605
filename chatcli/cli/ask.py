"""`chatcli ask`: one turn from the command line, streamed to stdout."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import click

from chatcli.cli.errors import fail, run_safely
from chatcli.cli.flags import BeforeSubcommand
from chatcli.cli.tree import check_branch_flags, turn_events
from chatcli.cli.wiring import Flags, workspace
from chatcli.session import check_id


@click.command()
@click.argument("prompt", required=False)
@click.option("-s", "--session", "session_id", metavar="ID", help="Append to ID (created if new).")
@click.option("-c", "--continue", "cont", is_flag=True, help="Continue the most recent session.")
@click.option("-m", "--model", help="Model to use, as litellm names it.")
@click.option("--api-base", metavar="URL", help="Base URL of an OpenAI-compatible server.")
@click.option("--agent", metavar="NAME", help="Agent (prompt file) for a new session.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object when done.")
@click.option(
    "--allow-secrets",
    is_flag=True,
    help="Send API keys, tokens and passwords as typed (else they become [redacted]).",
)
@click.option("--regenerate", is_flag=True, help="A new reply to the last message (new branch).")
@click.option("--edit", "edit_seq", type=int, metavar="SEQ", help="Replace user message SEQ.")
@click.pass_context
def ask(
    ctx: click.Context,
    prompt: str,
    session_id: str | None,
    cont: bool,
    model: str | None,
    api_base: str | None,
    agent: str | None,
    as_json: bool,
    allow_secrets: bool,
    regenerate: bool,
    edit_seq: int | None,
) -> None:
    """Ask one question (PROMPT, or - to read stdin) and stream the reply.

    -m, --api-base, --agent and -c may also come before `ask`
    (`chatcli -m MODEL ask …`); the ones after it win.
    """
    before = ctx.obj
    if isinstance(before, BeforeSubcommand):  # flags given before `ask` (chatcli.cli.main)
        model = model or before.flags.model
        api_base = api_base or before.flags.api_base
        agent = agent or before.flags.agent
        cont = cont or before.cont
    if session_id is not None and cont:
        raise click.UsageError("Use either -s/--session or -c/--continue, not both.")
    prompt = check_branch_flags(prompt, session_id, cont, regenerate, edit_seq)
    if prompt == "-":
        prompt = sys.stdin.read()
    if not prompt.strip() and not regenerate:
        raise fail("The prompt is empty; pass some text, or - to read it from stdin.", 2)
    flags = Flags(model=model, api_base=api_base, agent=agent)
    code = run_safely(
        lambda: asyncio.run(
            _ask(prompt, session_id, cont, flags, as_json, allow_secrets, (regenerate, edit_seq))
        )
    )
    if code:
        raise click.exceptions.Exit(code)


async def _ask(
    prompt: str,
    session_id: str | None,
    cont: bool,
    flags: Flags,
    as_json: bool,
    allow_secrets: bool,
    branch: tuple[bool, int | None] = (False, None),
) -> int:
    from chatcli.chat.call import acall_with_session
    from chatcli.chat.events import (
        MemoryChanged,
        MemoryDeclined,
        ReplyDelta,
        StateChanged,
        ToolCalled,
        TurnEvent,
    )
    from chatcli.chat.user_scope import memory_note

    if session_id is not None:
        check_id(session_id)  # '' too: an empty id is refused, not taken for "a new one"
    ws = workspace(flags)
    if ws.settings.secret_guard and not allow_secrets and prompt:
        prompt = _without_secrets(prompt)
    if session_id is None and cont:
        recent = ws.most_recent()
        session_id = recent.id if recent else None
    announce = session_id is None  # a new session, with a fresh id

    def opened(engine: Any) -> None:
        if announce:
            click.echo(f"session: {engine.session.id}", err=True)
        note = ws.model_note(engine.model_name)
        if note and not as_json:
            click.echo(f"note: {note}", err=True)

    def show(event: TurnEvent) -> None:
        if isinstance(event, MemoryChanged | MemoryDeclined):
            click.echo(f"note: {memory_note(event)}", err=True)  # even with --json: it is seen
        if as_json:
            return
        if isinstance(event, ReplyDelta):
            sys.stdout.write(event.text)
            sys.stdout.flush()
        elif isinstance(event, ToolCalled):
            args = json.dumps(event.arguments, ensure_ascii=False)
            click.echo(f"\n[tool] {event.name}({args})", err=True)
        elif isinstance(event, StateChanged):
            changed = ", ".join(c.path for c in event.record.changes)
            click.echo(f"[state] {changed} changed by {event.record.by}", err=True)

    agent = ws.settings.agent
    branching = branch[0] or branch[1] is not None
    result = await acall_with_session(
        ws.store,
        agent,
        prompt,
        session_id,
        model_name=flags.model or ws.default_model(agent),
        create=not branching,  # a regeneration or an edit needs the session to exist
        engine=lambda session: ws.engine_for(session, model=flags.model),
        turn=lambda engine: turn_events(engine, prompt, *branch),
        on_open=opened,
        on_event=show,
    )
    session, error, usage = result.session, result.error, result.usage
    if as_json:
        out = {
            "session": session.id,
            "reply": result.text,
            "state": session.view.state,
            "usage": usage,
        }
        if error is not None:
            out["error"] = {"kind": getattr(error, "kind", "error"), "message": error.sentence()}
        click.echo(json.dumps(out, ensure_ascii=False))
    elif result.text and not result.text.endswith("\n"):
        sys.stdout.write("\n")
    if error is not None:
        click.echo(f"chatcli: {error.sentence()}", err=True)
        return 1
    return 0


def _without_secrets(prompt: str) -> str:
    """The prompt with key-shaped text replaced by [redacted], said in one note on stderr."""
    from chatcli.chat.secret_scan import scan

    found = scan(prompt)
    if found:
        click.echo(
            f"note: replaced {found.describe()} in the prompt with [redacted]; "
            "--allow-secrets sends it as typed.",
            err=True,
        )
    return found.redacted
