"""Any Redis failure as one StoreUnavailable sentence: where, what, what to do.

The sentence names the server as host:port and never holds the password.
"""

from __future__ import annotations

from redis.exceptions import (
    AuthenticationError,
    AuthorizationError,
    BusyLoadingError,
    RedisError,
    ResponseError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from chatcli.errors import StoreUnavailable


def unavailable(
    exc: RedisError, address: str, timeout: float, secret: str | None = None
) -> StoreUnavailable:
    """The sentence for `exc` from the server at `address` (`secret` is masked out)."""
    where = f"The Redis store at {address}"
    if isinstance(exc, AuthenticationError | AuthorizationError) or _says_auth(exc):
        return StoreUnavailable(
            f"{where} refused the credentials.", "Check the Redis password and user name."
        )
    if isinstance(exc, BusyLoadingError):
        return StoreUnavailable(f"{where} is still loading its data.", "Try again shortly.")
    if isinstance(exc, RedisTimeoutError):
        return StoreUnavailable(
            f"{where} did not answer within {timeout:g} s.",
            "Check that the server is up and not overloaded, then try again.",
        )
    if isinstance(exc, RedisConnectionError):
        cause = exc.__cause__ or exc.__context__
        why = cause.strerror if isinstance(cause, OSError) and cause.strerror else None
        return StoreUnavailable(
            f"Cannot reach the Redis store at {address} ({(why or 'no connection').lower()}).",
            "Check that redis-server is running there and reachable, then try again.",
        )
    said = str(exc).strip().rstrip(".") if isinstance(exc, ResponseError) else ""
    if secret:
        said = said.replace(secret, "***")
    return StoreUnavailable(
        f"{where} refused a command{': ' + said if said else ''}.",
        "Check the server's log and settings (memory, persistence, replica mode).",
    )


def _says_auth(exc: RedisError) -> bool:
    return isinstance(exc, ResponseError) and str(exc).startswith(("NOAUTH", "WRONGPASS"))
