"""The chat engine: a turn through a model, tools, prompt files. No Textual here."""

from chatcli.chat.agent import Agent, load_agent
from chatcli.chat.call import TurnReply, acall_with_session, call_with_session, model_client
from chatcli.chat.engine import ChatEngine
from chatcli.chat.tools import MEMORY_TOOLS, Tool, Toolset, tool
from chatcli.session.context import current_session, current_state, using_session

__all__ = [
    "MEMORY_TOOLS",
    "Agent",
    "ChatEngine",
    "Tool",
    "Toolset",
    "TurnReply",
    "acall_with_session",
    "call_with_session",
    "current_session",
    "current_state",
    "load_agent",
    "model_client",
    "tool",
    "using_session",
]
