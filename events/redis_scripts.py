"""The Lua scripts of ``RedisStreamBus``: steps that must happen as one, on the server.

Each returns entries as ``{id, {field, value, ...}, attempts}``, where ``attempts`` is the
group's delivery count of the entry, read from its pending entry right after the claim.
"""

from __future__ import annotations

__all__ = ["CLAIM", "CLAIM_IDLE", "FIND_EVENT", "REPLAY_DEAD_LETTERS"]

# KEYS[1] stream; ARGV: group, consumer, min idle ms, ids...
# XCLAIM drops (and, since Redis 7, un-pends) entries that were trimmed away.
CLAIM = """
local ids = {}
for i = 4, #ARGV do ids[#ids + 1] = ARGV[i] end
local claimed = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], unpack(ids))
local out = {}
for _, entry in ipairs(claimed) do
  if entry and entry[2] then
    local p = redis.call('XPENDING', KEYS[1], ARGV[1], entry[1], entry[1], 1)
    out[#out + 1] = {entry[1], entry[2], p[1][4]}
  end
end
return out
"""

# KEYS[1] stream; ARGV: group, consumer, min idle ms, count.
# XAUTOCLAIM scans the pending list in slices; follow its cursor through the whole list so an
# idle entry behind many busy ones is not starved.
CLAIM_IDLE = """
local want = tonumber(ARGV[4])
local cursor = '0-0'
local out = {}
repeat
  local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], cursor,
                       'COUNT', want - #out)
  cursor = r[1]
  for _, entry in ipairs(r[2]) do
    if entry and entry[2] then
      local p = redis.call('XPENDING', KEYS[1], ARGV[1], entry[1], entry[1], 1)
      out[#out + 1] = {entry[1], entry[2], p[1][4]}
    end
  end
until cursor == '0-0' or #out >= want
return out
"""

# KEYS[1] dead-letter stream, KEYS[2] stream; ARGV: max length, dead-letter ids...
# Append and delete together, so a dead letter replayed twice at once is appended once. The new
# entry carries ``replay_of`` (the entry the event first appeared in): tail readers skip it; and
# the ``traceparent`` of the entry, if it had one.
REPLAY_DEAD_LETTERS = """
local out = {}
for i = 2, #ARGV do
  local found = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])
  if #found == 1 then
    local fields = found[1][2]
    local event_id, data, original_id, traceparent
    for j = 1, #fields, 2 do
      if fields[j] == 'event_id' then event_id = fields[j + 1] end
      if fields[j] == 'data' then data = fields[j + 1] end
      if fields[j] == 'original_id' then original_id = fields[j + 1] end
      if fields[j] == 'traceparent' then traceparent = fields[j + 1] end
    end
    local entry = {'event_id', event_id, 'data', data, 'replay_of', original_id}
    if traceparent then
      entry[#entry + 1] = 'traceparent'
      entry[#entry + 1] = traceparent
    end
    out[#out + 1] = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', unpack(entry))
    redis.call('XDEL', KEYS[1], ARGV[i])
  end
end
return out
"""

# KEYS[1] stream; ARGV: event id, where to start ('+', or '(' and the last id scanned), page size.
# One page of a scan back from the end for the newest entry that published the event id (one
# with ``replay_of`` is a replay and does not count), compared on the server so the entries' data
# never travels; returns {1, id} (found), {2, last id scanned} (look further back from there) or
# {0} (the stream's start was reached).
FIND_EVENT = """
local page = tonumber(ARGV[3])
local entries = redis.call('XREVRANGE', KEYS[1], ARGV[2], '-', 'COUNT', page)
for _, entry in ipairs(entries) do
  local fields = entry[2]
  local matches, replayed = false, false
  for j = 1, #fields, 2 do
    if fields[j] == 'event_id' and fields[j + 1] == ARGV[1] then matches = true end
    if fields[j] == 'replay_of' then replayed = true end
  end
  if matches and not replayed then return {1, entry[1]} end
end
if #entries < page then return {0} end
return {2, entries[#entries][1]}
"""
