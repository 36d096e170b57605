"""Typed session state: the default `Memory`, and the diff written with each change."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chatcli.errors import ChatcliError
from chatcli.session.records import StateChange

S = TypeVar("S", bound=BaseModel)


class Memory(BaseModel):
    """The default state: facts the model chose to remember. Fields it does not name are
    kept as they are (a session made with another state type, opened as Memory, keeps
    them when a fact is remembered)."""

    model_config = ConfigDict(extra="allow")

    facts: dict[str, str] = Field(default_factory=dict)
    """Named facts, set by the `remember` tool and removed by `forget`."""


def validated(state_type: type[S], data: dict[str, Any], holder: str) -> S:
    """`data` as a `state_type`; ChatcliError, one sentence beginning with `holder` (what
    holds the state), when it is not one."""
    try:
        return state_type.model_validate(data)
    except ValidationError as exc:
        raise ChatcliError(
            f"{holder} is not a {state_type.__name__}: {exc.errors(include_url=False)[0]['msg']}.",
            "Open it with the state type it was made with.",
        ) from None


def diff_state(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[StateChange]:
    """The changed paths between two states, one level into nested dicts."""
    changes: list[StateChange] = []
    for key in sorted(set(old) | set(new), key=str):
        path = f"{prefix}{key}"
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        nested = isinstance(before, dict | None) and isinstance(after, dict | None)
        if not prefix and nested and (before or after):
            changes.extend(diff_state(before or {}, after or {}, prefix=f"{path}."))
            continue
        changes.append(StateChange(path=path, old=before, new=after))
    return changes
