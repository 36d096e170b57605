"""Agents: Dotprompt `.prompt` files whose body is the system prompt.

The body is Handlebars rendered by dotpromptz, with the session's state as
`@state` (`{{@state.facts}}`, `{{@state.field}}`), as Genkit does, and user
memory, shared by every session, as `@user` (`{{@user.facts}}`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from chatcli.errors import ChatcliError

BUILTIN = "default"


@dataclass(frozen=True)
class Agent:
    """A named prompt file: its source, and the model and config its front matter sets."""

    name: str
    source: str
    origin: str
    model: str | None = None
    config: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, name: str, source: str, origin: str) -> Agent:
        """Read an agent's front matter; ChatcliError with the file name when it is bad."""
        from dotpromptz import parse_document
        from dotpromptz.errors import DotpromptError

        try:
            parsed: Any = parse_document(source)
        except (DotpromptError, ValueError) as exc:
            raise ChatcliError(
                f"Cannot read agent {origin}: {exc}.", "Fix its front matter."
            ) from None
        return cls(
            name=name,
            source=source,
            origin=origin,
            model=parsed.model,
            config=dict(parsed.config or {}),
        )


def builtin_source() -> str:
    """The default agent that ships with chatcli."""
    return resources.files("chatcli").joinpath("agents", f"{BUILTIN}.prompt").read_text("utf-8")


def agent_names(agents_dir: Path) -> list[str]:
    """Every agent a user can pick: the built-in one and `<agents dir>/*.prompt`."""
    names = {BUILTIN}
    if agents_dir.is_dir():
        names.update(p.stem for p in agents_dir.glob("*.prompt"))
    return sorted(names)


def load_agent(name: str, agents_dir: Path) -> Agent:
    """Find an agent by name: the user's folder first, then the built-in one."""
    path = agents_dir / f"{name}.prompt"
    if path.is_file():
        try:
            source = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ChatcliError(f"Cannot read agent file {path}: {exc}.") from None
        return Agent.parse(name, source, str(path))
    if name == BUILTIN:
        return Agent.parse(name, builtin_source(), "built-in")
    known = ", ".join(agent_names(agents_dir))
    raise ChatcliError(
        f"No agent named {name!r}.",
        f"Known agents: {known}; add one as {agents_dir}/{name}.prompt.",
    )


class PromptRenderer:
    """Renders prompt bodies with the state as `@state` and user memory as `@user`,
    compiling each source once."""

    def __init__(self) -> None:
        self._compiled: dict[str, Any] = {}
        self._dotprompt: Any = None

    async def render(
        self, source: str, state: dict[str, Any], user: dict[str, Any] | None = None
    ) -> str:
        """The system prompt text for `source` with this state and user memory."""
        from dotpromptz import DataArgument, Dotprompt
        from dotpromptz.errors import DotpromptError

        try:
            if self._dotprompt is None:
                self._dotprompt = Dotprompt()
            fn = self._compiled.get(source)
            if fn is None:
                fn = self._compiled[source] = await self._dotprompt.compile(source)
            rendered: Any = await fn(
                DataArgument(input={}, context={"state": state, "user": user or {}})
            )
        except (DotpromptError, ValueError, KeyError, TypeError) as exc:
            raise ChatcliError(f"Cannot render the agent's prompt: {exc}.") from None
        texts = [
            part.text
            for message in rendered.messages
            for part in message.content
            if getattr(part, "text", None)
        ]
        return "".join(texts).strip()
