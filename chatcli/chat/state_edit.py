"""A person's edit of the state, checked against the session's state type in plain words."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from chatcli.errors import ChatcliError


def check_state(state_type: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    """`data` as `state_type`, or a ChatcliError that names each field that does not fit."""
    try:
        return state_type.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in err['loc']) or 'the state'}: {err['msg'][0].lower()}"
            f"{err['msg'][1:]}"
            for err in exc.errors(include_url=False)[:3]
        ]
        raise ChatcliError(
            f"That edit does not fit the {state_type.__name__} state ({'; '.join(problems)}).",
            "Fix it and save again, or press Esc to keep the state as it was.",
        ) from None
