/**
 * The Lua scripts the cluster runs in Redis. Each runs atomically, so the
 * membership hash, the global count, the events' sequence numbers and the
 * stream entry itself always change together: no reader can ever see a
 * count that disagrees with the membership at that point of the order, and
 * no two nodes can both remove a dead node's members or both take one name.
 * See docs/cluster.md.
 *
 * Keys of room `dev` (its name in lower case) of cluster `NAME`; the
 * `{dev}` hash tag keeps a room's keys in one slot of a Redis Cluster:
 *
 * | key                        | type   | holds                                      |
 * | -------------------------- | ------ | ------------------------------------------ |
 * | `NAME:{dev}:log`           | stream | the room's one order: joins, lines, leaves, renames, `/me` |
 * | `NAME:{dev}:seq`           | string | events written; each entry numbers its own   |
 * | `NAME:{dev}:count`         | string | members in the room, all nodes             |
 * | `NAME:{dev}:epoch`         | string | set once; a new value means Redis lost its data |
 * | `NAME:{dev}:nodes`         | set    | nodes registered in the room               |
 * | `NAME:{dev}:members:ID`    | hash   | node ID's members: connection id → address |
 * | `NAME:{dev}:alive:ID`      | string | node ID's heartbeat in the room, with a TTL |
 *
 * A room's keys go when its last node leaves it (`#lobby`'s stay). Keys of
 * the whole cluster:
 *
 * | key                        | type   | holds                                      |
 * | -------------------------- | ------ | ------------------------------------------ |
 * | `NAME:rooms`               | hash   | room → members, all nodes (`/rooms`)       |
 * | `NAME:labels`              | hash   | room → its name as first created (`#Dev`)  |
 * | `NAME:names`               | hash   | nickname in lower case → `node\nconn\nName` |
 * | `NAME:nodenames:ID`        | hash   | node ID's named connections: conn → nickname in lower case |
 * | `NAME:noderooms:ID`        | set    | the key prefixes of the rooms node ID is registered in |
 * | `NAME:inbox:ID`            | stream | private lines to node ID's members         |
 *
 * A room entry is one turn of one node: the joins, lines, leaves, renames
 * and `/me` a script appended to the room, together (issue 19). Its id is
 * `S-0`, `S` the sequence number of its last event, so trimming by id
 * (`MINID`) keeps the last ~100,000 events however they were batched. Its
 * fields: `n` node, `s` the sequence number of its first event, `b` its
 * events as a JSON array, each `[kind, count, conn, address, nickname,
 * ...]` (kind `j` join, `m` line, `l` leave, `n` rename, `e` `/me`; count
 * 0 but for joins and leaves; nickname '' when it has none), then `text`
 * (lines and `/me`), `reason, quit` (leaves) or `old` (renames), '' when
 * absent.
 */

/**
 * Everything below runs with KEYS[1] = a room's key prefix `NAME:{dev}:`;
 * the cluster's prefix `NAME:` and the room's name are read from it. An
 * optional argument is '' when absent.
 */
const PRELUDE = `
local P = KEYS[1]
local C = string.match(P, '^(.*){.*}:$')
local function room_of(R) return string.match(R, '{(.*)}:$') end
-- A room's events of one node, appended as one stream entry by flush.
local function batch(R, node) return {R = R, node = node, ops = {}} end
local function flush(b, maxlen)
  local n = #b.ops
  if n == 0 then return end
  local last = redis.call('INCRBY', b.R .. 'seq', n)
  redis.call('XADD', b.R .. 'log', 'MINID', '~', string.format('%d', math.max(0, last - maxlen)),
    string.format('%d-0', last), 'n', b.node, 's', string.format('%d', last - n + 1),
    'b', '[' .. table.concat(b.ops, ',') .. ']')
  b.ops = {}
end
local function holder_of(key)
  local held = redis.call('HGET', C .. 'names', key)
  if not held then return nil end
  local node, conn, name = string.match(held, '^([^\\n]*)\\n([^\\n]*)\\n(.*)$')
  return node, conn, name
end
-- The nickname of a node's connection, or '' (for the leaves of the dead).
local function name_of(node, conn)
  local key = redis.call('HGET', C .. 'nodenames:' .. node, conn)
  if not key then return '' end
  local n, c, name = holder_of(key)
  if n == node and c == conn then return name end
  return ''
end
local function release(node, conn)
  local key = redis.call('HGET', C .. 'nodenames:' .. node, conn)
  if not key then return end
  local n, c = holder_of(key)
  if n == node and c == conn then redis.call('HDEL', C .. 'names', key) end
  redis.call('HDEL', C .. 'nodenames:' .. node, conn)
end
-- Takes a name for a node's connection unless another holds it.
local function claim(node, conn, name)
  local key = string.lower(name)
  local n, c, held = holder_of(key)
  if n ~= nil and not (n == node and c == conn) then return 'taken' end
  if n ~= nil and held == name then return 'same' end
  release(node, conn)
  redis.call('HSET', C .. 'names', key, node .. '\\n' .. conn .. '\\n' .. name)
  redis.call('HSET', C .. 'nodenames:' .. node, conn, key)
  return 'claimed'
end
-- The rest of an event after its kind and count: tail(conn, remote, name, ...)
-- is '"conn","remote","name",...]', each a JSON string.
local function tail(...)
  local parts = {}
  for i, v in ipairs({...}) do parts[i] = cjson.encode(v) end
  return table.concat(parts, ',') .. ']'
end
-- A join into batch b, announced with rest (see tail) unless rest is nil;
-- false when it was a member already.
local function join(b, conn, remote, rest)
  local R = b.R
  if redis.call('HSETNX', R .. 'members:' .. b.node, conn, remote) == 0 then return false end
  local count = redis.call('INCR', R .. 'count')
  redis.call('HINCRBY', C .. 'rooms', room_of(R), 1)
  if rest then table.insert(b.ops, '["j",' .. count .. ',' .. rest) end
  return true
end
-- A leave into batch b, announced with rest; false when it was not a member.
local function leave(b, conn, rest)
  local R = b.R
  if redis.call('HDEL', R .. 'members:' .. b.node, conn) == 0 then return false end
  local count = redis.call('DECR', R .. 'count')
  if redis.call('HINCRBY', C .. 'rooms', room_of(R), -1) <= 0 then
    redis.call('HDEL', C .. 'rooms', room_of(R))
  end
  table.insert(b.ops, '["l",' .. count .. ',' .. rest)
  return true
end
-- Removes a node from room R: every member leaves with a notice, then the
-- node is gone from it. Atomic with the check that it is dead, so it
-- happens once. The last node out takes the room's keys (not the lobby's).
local function retire_room(R, maxlen, node, reason)
  local members = redis.call('HGETALL', R .. 'members:' .. node)
  local b = batch(R, node)
  for i = 1, #members, 2 do
    leave(b, members[i], tail(members[i], members[i + 1], name_of(node, members[i]), reason, ''))
  end
  flush(b, maxlen)
  redis.call('DEL', R .. 'members:' .. node, R .. 'alive:' .. node)
  redis.call('SREM', R .. 'nodes', node)
  redis.call('SREM', C .. 'noderooms:' .. node, R)
  local room = room_of(R)
  if room ~= 'lobby' and redis.call('SCARD', R .. 'nodes') == 0 then
    redis.call('DEL', R .. 'log', R .. 'seq', R .. 'count', R .. 'epoch')
    redis.call('HDEL', C .. 'rooms', room)
    redis.call('HDEL', C .. 'labels', room)
  end
  return #members / 2
end
-- A dead node: out of every room it was in, its names free.
local function retire_node(maxlen, node, reason)
  local removed = 0
  for _, R in ipairs(redis.call('SMEMBERS', C .. 'noderooms:' .. node)) do
    removed = removed + retire_room(R, maxlen, node, reason)
  end
  local held = redis.call('HKEYS', C .. 'nodenames:' .. node)
  for _, conn in ipairs(held) do release(node, conn) end
  redis.call('DEL', C .. 'nodenames:' .. node, C .. 'noderooms:' .. node, C .. 'inbox:' .. node)
  return removed
end
local function epoch(candidate)
  local current = redis.call('GET', P .. 'epoch')
  if current then return current end
  redis.call('SET', P .. 'epoch', candidate)
  return candidate
end
local function last_id()
  local last = redis.call('XREVRANGE', P .. 'log', '+', '-', 'COUNT', 1)
  if #last == 0 then return '0-0' end
  return last[1][1]
end
local function stale(node, known)
  return redis.call('GET', P .. 'epoch') ~= known or
    redis.call('SISMEMBER', P .. 'nodes', node) == 0
end
`;

/**
 * `APPLY node epoch maxlen op...`: one turn of a node's events, in order,
 * appended as one stream entry. An op is `j conn remote rest` (a join),
 * `l conn rest` (a leave) or `kind conn event` (a line, rename or `/me`):
 * `event` is the whole event as the entry holds it, and `rest` is it
 * after its kind and count (`"conn","remote","name",…]`), since only
 * Lua knows the count. Lua checks membership and counts; it never parses,
 * escapes or copies a line. A line, rename or `/me` of a connection that
 * is not a member is skipped; its index (1-based, among
 * the ops) comes back so its author can be told. Returns `{'resync'}` and changes nothing when
 * the node must register again first: Redis lost its data (another epoch),
 * or the node was declared dead and removed.
 */
export const APPLY = `${PRELUDE}
local node, known, maxlen = ARGV[1], ARGV[2], ARGV[3]
if stale(node, known) then return {'resync'} end
local b = batch(P, node)
local skipped = {}
-- Membership as this turn leaves it, so each member is looked up once.
local member = {}
local op, i = 0, 4
while i <= #ARGV do
  local kind, conn = ARGV[i], ARGV[i + 1]
  op = op + 1
  if kind == 'j' then
    join(b, conn, ARGV[i + 2], ARGV[i + 3])
    member[conn] = true
    i = i + 4
  elseif kind == 'l' then
    leave(b, conn, ARGV[i + 2])
    member[conn] = false
    i = i + 3
  else
    if member[conn] == nil then
      member[conn] = redis.call('HEXISTS', P .. 'members:' .. node, conn) == 1
    end
    if member[conn] then
      table.insert(b.ops, ARGV[i + 2])
    else
      table.insert(skipped, op)
    end
    i = i + 3
  end
end
flush(b, maxlen)
return {'ok', skipped}
`;

/**
 * `SYNC node candidate known ttl maxlen label member...`: (re)registers a
 * node in a room with the members it has now, each `conn remote greeted
 * name` (`greeted` 1 when the member already saw its own join in the log).
 * Run at start and after every reconnect, before the node reads the log
 * again:
 * - a member Redis has that the node no longer has left while Redis was
 *   out of reach: it leaves now, with a notice, and its name is free;
 * - a member the node has that Redis lacks joins: silently when Redis lost
 *   its data (everyone saw it join, nobody saw it leave), with a notice
 *   otherwise (it was never announced, or it was removed as a dead node's
 *   and everyone saw it leave); a member's name is taken again if free.
 * `candidate` becomes the epoch when Redis has none; `known` is the epoch
 * the node knew ('' at start); `label` is the room's name as members see
 * it. Returns `{epoch, lastId, seq}`: the node reads the log from `lastId`
 * when the epoch changed.
 */
export const SYNC = `${PRELUDE}
local node, candidate, known, ttl, maxlen, label = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local current = epoch(candidate)
local lost = known ~= '' and current ~= known
local here = {}
local i = 7
while i <= #ARGV do
  here[ARGV[i]] = true
  i = i + 4
end
local b = batch(P, node)
local registered = redis.call('HGETALL', P .. 'members:' .. node)
for j = 1, #registered, 2 do
  if not here[registered[j]] then
    leave(b, registered[j], tail(registered[j], registered[j + 1], name_of(node, registered[j]), 'gone from its node', ''))
    release(node, registered[j])
  end
end
redis.call('SADD', P .. 'nodes', node)
redis.call('SADD', C .. 'noderooms:' .. node, P)
redis.call('HSETNX', C .. 'labels', room_of(P), label)
redis.call('SET', P .. 'alive:' .. node, '1', 'PX', ttl)
i = 7
while i <= #ARGV do
  local conn, remote, name = ARGV[i], ARGV[i + 1], ARGV[i + 3]
  if name ~= '' then claim(node, conn, name) end
  local announce = not (lost and ARGV[i + 2] == '1')
  join(b, conn, remote, announce and tail(conn, remote, name) or nil)
  i = i + 4
end
flush(b, maxlen)
return {current, last_id(), tonumber(redis.call('GET', P .. 'seq') or '0')}
`;

/**
 * `BEAT node epoch ttl maxlen whole`: refreshes the node's heartbeat in the
 * room, then retires from it every other node whose heartbeat there has
 * expired. With `whole` 1 (the lobby, where every node is registered, and
 * the only room a node beats in) it refreshes the node's heartbeat in every
 * room it is in, and a dead node is retired from every room and its names
 * are freed. Returns
 * `{'resync'}` when this node must register again (as for APPLY),
 * otherwise `{'ok', removed}` with the members it removed.
 */
export const BEAT = `${PRELUDE}
local node, known, ttl, maxlen, whole = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if stale(node, known) then return {'resync'} end
redis.call('SET', P .. 'alive:' .. node, '1', 'PX', ttl)
if whole == '1' then
  for _, R in ipairs(redis.call('SMEMBERS', C .. 'noderooms:' .. node)) do
    redis.call('SET', R .. 'alive:' .. node, '1', 'PX', ttl)
  end
end
local removed = 0
for _, other in ipairs(redis.call('SMEMBERS', P .. 'nodes')) do
  if redis.call('EXISTS', P .. 'alive:' .. other) == 0 then
    if whole == '1' then
      removed = removed + retire_node(maxlen, other, 'node lost')
    else
      removed = removed + retire_room(P, maxlen, other, 'node lost')
    end
  end
end
return {'ok', removed}
`;

/**
 * `RETIRE node maxlen`: a node leaves the room (it shuts down, or its last
 * member here left); members it still has leave with a notice. Returns
 * how many.
 */
export const RETIRE = `${PRELUDE}
return retire_room(P, ARGV[2], ARGV[1], 'server shutdown')
`;

/**
 * `WHO`: the room's members on every node, each as its nickname or its
 * address. [CHAT-CMD-WHO]
 */
export const WHO = `${PRELUDE}
local shown = {}
for _, node in ipairs(redis.call('SMEMBERS', P .. 'nodes')) do
  local members = redis.call('HGETALL', P .. 'members:' .. node)
  for i = 1, #members, 2 do
    local name = name_of(node, members[i])
    if name == '' then name = members[i + 1] end
    table.insert(shown, name)
  end
end
return shown
`;

/**
 * `CLAIM node conn name` (KEYS[1] a room prefix; only its cluster part is
 * used): `claimed`, `same` (it holds it in that spelling) or `taken`.
 * Case-insensitive across the cluster; the connection's old name is freed.
 * [CHAT-NICK-1]
 */
export const CLAIM = `${PRELUDE}
return claim(ARGV[1], ARGV[2], ARGV[3])
`;

/** `RELEASE node conn`: frees the connection's name, if it holds one. */
export const RELEASE = `${PRELUDE}
release(ARGV[1], ARGV[2])
return 1
`;

/**
 * `SEND node name from text maxlen`: a private line to whoever holds
 * `name`. Returns `{}` when nobody does; `{node, conn, Name}` of the
 * holder otherwise, after appending `c conn f from x text` to that node's
 * inbox unless it is `node` itself (the caller delivers those). The lookup
 * and the append are one step, so a line never goes to a name's old holder.
 * [CHAT-CMD-MSG]
 */
export const SEND = `${PRELUDE}
local node, name, from, text, maxlen = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local n, c, held = holder_of(string.lower(name))
if n == nil then return {} end
if n ~= node then
  redis.call('XADD', C .. 'inbox:' .. n, 'MAXLEN', '~', maxlen, '*', 'c', c, 'f', from, 'x', text)
end
return {n, c, held}
`;
