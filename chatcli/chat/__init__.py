"""The chat engine: a turn through a model, tools, prompt files. No Textual here."""

from chatcli.chat.agent import Agent, load_agent
from chatcli.chat.engine import ChatEngine
from chatcli.chat.tools import MEMORY_TOOLS, Tool, Toolset, tool
from chatcli.session.context import current_session

__all__ = [
    "MEMORY_TOOLS",
    "Agent",
    "ChatEngine",
    "Tool",
    "Toolset",
    "current_session",
    "load_agent",
    "tool",
]
