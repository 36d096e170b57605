"""Stores: where session logs live (JSONL files by default, memory, Redis)."""

from chatcli.store.jsonl import JsonlStore
from chatcli.store.memory import MemoryStore

__all__ = ["JsonlStore", "MemoryStore"]
