"""What a face does about the context: how full it is, and `/compact`.

Kept beside the controller (which holds the session, its engine and the I/O
lock) so the controller stays small; no Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatcli.chat.controller import ChatController, Done
from chatcli.errors import ChatcliError, ModelError
from chatcli.llm import is_loaded


@dataclass(frozen=True)
class ContextFigure:
    """How much of the model's window the session's next request takes."""

    session: str
    tokens: int
    window: int
    seq: int = 0
    """The log's last line when it was measured (a later line makes it stale)."""

    def text(self) -> str:
        """`ctx 1.2k/8.2k`."""
        return f"ctx {_k(self.tokens)}/{_k(self.window)}"

    @property
    def share(self) -> float:
        """The part of the window used, 0 to 1 (or more)."""
        return self.tokens / self.window if self.window else 0.0


def _k(count: int) -> str:
    return f"{count / 1000:.1f}k" if count >= 1000 else str(count)


async def measure(controller: ChatController) -> ContextFigure | None:
    """The open session's figure, once its engine is built and litellm has loaded (its
    counter needs it; loading it here would slow the window's start)."""
    session, engine = controller.session, controller.engine
    if session is None or engine is None or engine.session is not session or not is_loaded():
        return None
    seq = session.view.last_seq
    request = await engine.context_request()
    return ContextFigure(session.id, request.tokens, request.window.tokens, seq)


async def compact_now(controller: ChatController) -> Done:
    """`/compact`: summarise all but the last turn now (the messages stay in the log)."""
    session = controller.session
    if session is None:
        raise ChatcliError("There is no saved session yet.", "Send a message first.")
    await controller.build_engine()
    engine = controller.engine
    assert engine is not None
    async with controller.io:
        try:
            record = await engine.compact()
        except ModelError as exc:
            return Done(f"Could not compact: {exc.sentence()}")
    if record is None:
        return Done("Nothing to compact yet: the conversation holds one turn or none.")
    return Done(
        f"{record.messages} earlier messages summarised: requests go from "
        f"{record.tokens_before} to {record.tokens_after} tokens. Restore a checkpoint "
        "from before it to undo."
    )
