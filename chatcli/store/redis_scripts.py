"""The Lua scripts behind RedisStore: each write is one atomic script.

Every script takes KEYS = (log, summary, index, writes): the session's list of
lines, its cached summary hash, the sorted set of ids scored by last update,
and the session's recent write ids.
A summary hash holds `len`, the log length it describes; a listing trusts it
only while `len` equals the list's length.

`writes` is a sorted set: member = the write id of an append that was written,
score = the log length after it (so it got lines score-n+1 .. score). It keeps
the newest `RECENT_WRITES` ids and expires with the log, so a retried append
(the reply was lost, the script had run) finds its id and writes nothing again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from redis.commands.core import Script
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

RESENT = (RedisConnectionError, RedisTimeoutError)
"""Failures after which a write may or may not have happened, so it is sent again
(a BusyLoadingError, from a server still loading its data, is a ConnectionError too)."""
FIRST_RESEND = 0.02
LONGEST_RESEND = 0.5

RECENT_WRITES = 64
"""Write ids a session remembers: far more than one writer can have in flight."""

_PUSH = """
local function push(key, first)
  for i = first, #ARGV, 1000 do
    redis.call('RPUSH', key, unpack(ARGV, i, math.min(i + 999, #ARGV)))
  end
  return #ARGV - first + 1
end
local function expire(ttl)
  if ttl > 0 then
    redis.call('PEXPIRE', KEYS[1], ttl)
    redis.call('PEXPIRE', KEYS[2], ttl)
    if redis.call('EXISTS', KEYS[4]) == 1 then redis.call('PEXPIRE', KEYS[4], ttl) end
  end
end
"""

CREATE = (
    _PUSH
    + """
-- ARGV: id, score, ttl_ms, nfields, (field, value)*, line*
local nfields = tonumber(ARGV[4])
local first = 5 + 2 * nfields
if redis.call('EXISTS', KEYS[1]) == 1 then
  local out = {0}
  local head = redis.call('LRANGE', KEYS[1], 0, #ARGV - first)
  for i = 1, #head do out[#out + 1] = head[i] end
  return out
end
local total = push(KEYS[1], first)
redis.call('DEL', KEYS[2], KEYS[4])
if nfields > 0 then redis.call('HSET', KEYS[2], unpack(ARGV, 5, first - 1)) end
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
expire(tonumber(ARGV[3]))
return {1, total}
"""
)
"""Create a session: {1, n} when written, {0, its first lines...} when the id is taken."""

APPEND = (
    _PUSH
    + """
-- ARGV: id, expected, score, ttl_ms, delta, updated, write id, nfields, (field, value)*, line*
local done = redis.call('ZSCORE', KEYS[4], ARGV[7])
if done then return {2, tonumber(done)} end
local n = redis.call('LLEN', KEYS[1])
if n == 0 then return {-1} end
local expected = tonumber(ARGV[2])
if n ~= expected then
  local out = {0, n}
  if n > expected then
    local rest = redis.call('LRANGE', KEYS[1], expected, -1)
    for i = 1, #rest do out[#out + 1] = rest[i] end
  end
  return out
end
local nfields = tonumber(ARGV[8])
local first = 9 + 2 * nfields
local total = n + push(KEYS[1], first)
redis.call('ZADD', KEYS[4], total, ARGV[7])
redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -(KEEP + 1))
local delta = tonumber(ARGV[5])
local cached = redis.call('HGET', KEYS[2], 'len')
if delta >= 0 and cached and tonumber(cached) == n then
  redis.call('HINCRBY', KEYS[2], 'messages', delta)
  redis.call('HSET', KEYS[2], 'len', total, 'updated', ARGV[6])
  if nfields > 0 then redis.call('HSET', KEYS[2], unpack(ARGV, 9, first - 1)) end
end
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
expire(tonumber(ARGV[4]))
return {1, total}
""".replace("KEEP", str(RECENT_WRITES))
)
"""Append when the log has the expected length: {1, n} when written,
{2, n} when this write id was written before (n: the length it left),
{0, n, lines after expected...} when others wrote first, {-1} when gone.
The summary is updated in place (`delta` more messages) only if it was
current; delta -1 (a restore) leaves it stale for the next listing."""

SAVE_SUMMARY = """
-- ARGV: len, (field, value)*
if redis.call('LLEN', KEYS[1]) ~= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'len', unpack(ARGV, 1))
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1
"""
"""Store a rebuilt summary, unless the log changed since it was read."""

PRUNE = """
-- ARGV: id
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2], KEYS[4])
return redis.call('ZREM', KEYS[3], ARGV[1])
"""
"""Drop the index entry of a session whose log expired (never of a live one)."""

DELETE = """
-- ARGV: id
local gone = redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[2], KEYS[4])
redis.call('ZREM', KEYS[3], ARGV[1])
return gone
"""
"""Remove a session: 1 if it existed, else 0."""


def send(
    script: Script,
    keys: Sequence[str],
    args: Sequence[Any],
    retry_for: float,
    fail: Callable[[RedisError], Exception],
) -> Any:
    """Run a write script, sending it again (same arguments) while its outcome is unknown.

    Only for scripts that do nothing twice: an append with its write id, a create
    with its lines. Gives up `retry_for` seconds after the first send, raising
    `fail(error)`; any other Redis error raises `fail(error)` at once."""
    deadline = time.monotonic() + retry_for
    wait = FIRST_RESEND
    while True:
        try:
            return script(keys=keys, args=args)
        except RESENT as exc:
            left = deadline - time.monotonic()
            if left <= 0:
                raise fail(exc) from None
        except RedisError as exc:
            raise fail(exc) from None
        time.sleep(min(wait, left))
        wait = min(wait * 2, LONGEST_RESEND)
