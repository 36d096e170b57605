"""`chatcli sessions compact ID`, and the context figures `sessions show --json` reports."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from chatcli.cli.errors import run_safely
from chatcli.cli.flags import Flags
from chatcli.cli.wiring import workspace
from chatcli.session import check_id


def context_figures(session: Any) -> dict[str, Any]:
    """Window, reserve, tokens the next request would hold, compactions (one workspace)."""
    from chatcli.chat.budget import context_json

    engine = workspace(log=False).engine_for(session)
    request = asyncio.run(engine.context_request())
    return context_json(request, session.view)


@click.command()
@click.argument("session_id", metavar="ID")
@click.option("-m", "--model", help="Model that writes the summary (default: the session's).")
@click.option("--api-base", metavar="URL", help="Base URL of an OpenAI-compatible server.")
def compact(session_id: str, model: str | None, api_base: str | None) -> None:
    """Summarise all but the last turn of a session now. The messages stay in the log,
    in exports and in recall; restore a checkpoint from before it to undo it."""

    def body() -> None:
        ws = workspace(Flags(model=model, api_base=api_base))
        session = ws.open_session(check_id(session_id))
        engine = ws.engine_for(session, model=model)
        record = asyncio.run(engine.compact())
        if record is None:
            click.echo(f"Nothing to compact in {session.id}: it holds one turn or none.")
            return
        click.echo(
            f"Compacted {session.id}: {record.messages} earlier messages summarised "
            f"({record.tokens_before} → {record.tokens_after} tokens per request)."
        )

    run_safely(body)
