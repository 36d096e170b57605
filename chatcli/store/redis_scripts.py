"""The Lua scripts behind RedisStore: each write is one atomic script.

Every script takes KEYS = (log, summary, index): the session's list of lines,
its cached summary hash, and the sorted set of ids scored by last update.
A summary hash holds `len`, the log length it describes; a listing trusts it
only while `len` equals the list's length.
"""

from __future__ import annotations

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
redis.call('DEL', KEYS[2])
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
-- ARGV: id, expected, score, ttl_ms, delta, updated, nfields, (field, value)*, line*
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
local nfields = tonumber(ARGV[7])
local first = 8 + 2 * nfields
local total = n + push(KEYS[1], first)
local delta = tonumber(ARGV[5])
local cached = redis.call('HGET', KEYS[2], 'len')
if delta >= 0 and cached and tonumber(cached) == n then
  redis.call('HINCRBY', KEYS[2], 'messages', delta)
  redis.call('HSET', KEYS[2], 'len', total, 'updated', ARGV[6])
  if nfields > 0 then redis.call('HSET', KEYS[2], unpack(ARGV, 8, first - 1)) end
end
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
expire(tonumber(ARGV[4]))
return {1, total}
"""
)
"""Append when the log has the expected length: {1, n} when written,
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
redis.call('DEL', KEYS[2])
return redis.call('ZREM', KEYS[3], ARGV[1])
"""
"""Drop the index entry of a session whose log expired (never of a live one)."""

DELETE = """
-- ARGV: id
local gone = redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return gone
"""
"""Remove a session: 1 if it existed, else 0."""
