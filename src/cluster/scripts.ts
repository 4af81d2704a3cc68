/**
 * The Lua scripts the cluster runs in Redis. Each runs atomically, so the
 * membership hash, the global count, the entry's sequence number and the
 * stream entry itself always change together: no reader can ever see a
 * count that disagrees with the membership at that point of the order, and
 * no two nodes can both remove a dead node's members. See docs/cluster.md.
 *
 * Keys, for room `lobby` of cluster `NAME` (the `{lobby}` hash tag keeps
 * them in one slot of a Redis Cluster):
 *
 * | key                        | type   | holds                                      |
 * | -------------------------- | ------ | ------------------------------------------ |
 * | `NAME:{lobby}:log`         | stream | the room's one order: join, line, leave    |
 * | `NAME:{lobby}:seq`         | string | entries written; each entry carries its own |
 * | `NAME:{lobby}:count`       | string | members in the room, all nodes             |
 * | `NAME:{lobby}:epoch`       | string | set once; a new value means Redis lost its data |
 * | `NAME:{lobby}:nodes`       | set    | registered nodes                           |
 * | `NAME:{lobby}:members:ID`  | hash   | node ID's members: connection id → address |
 * | `NAME:{lobby}:alive:ID`    | string | node ID's heartbeat, with a TTL            |
 *
 * A stream entry's fields: `t` (`j` join, `m` line, `l` leave), `n` node,
 * `c` connection, `r` address, `s` sequence number, `k` count (joins and
 * leaves), `x` text (lines), `y` reason (leaves).
 */

/** Everything below runs with KEYS[1] = the key prefix `NAME:{lobby}:`. */
const PRELUDE = `
local P = KEYS[1]
local function append(maxlen, fields)
  local seq = redis.call('INCR', P .. 'seq')
  table.insert(fields, 's')
  table.insert(fields, seq)
  return redis.call('XADD', P .. 'log', 'MAXLEN', '~', maxlen, '*', unpack(fields))
end
local function join(maxlen, node, conn, remote, announce)
  if redis.call('HSETNX', P .. 'members:' .. node, conn, remote) == 0 then return end
  local count = redis.call('INCR', P .. 'count')
  if announce then
    append(maxlen, {'t', 'j', 'n', node, 'c', conn, 'r', remote, 'k', count})
  end
end
local function leave(maxlen, node, conn, remote, reason)
  if redis.call('HDEL', P .. 'members:' .. node, conn) == 0 then return end
  local count = redis.call('DECR', P .. 'count')
  append(maxlen, {'t', 'l', 'n', node, 'c', conn, 'r', remote, 'k', count, 'y', reason})
end
-- Removes a node: every member leaves with a notice, then the node is gone.
-- Atomic with the check that it is dead, so it happens once.
local function retire(maxlen, node, reason)
  local members = redis.call('HGETALL', P .. 'members:' .. node)
  for i = 1, #members, 2 do
    leave(maxlen, node, members[i], members[i + 1], reason)
  end
  redis.call('DEL', P .. 'members:' .. node, P .. 'alive:' .. node)
  redis.call('SREM', P .. 'nodes', node)
  return #members / 2
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
`;

/**
 * `APPLY node epoch maxlen op...`: one turn of a node's joins, lines and
 * leaves, in order. An op is `j conn remote`, `m conn remote text` or
 * `l conn remote reason`. A line of a connection that is not a member is
 * skipped; its index (1-based, among the ops) comes back so its author can
 * be told. Returns `{'resync'}` and changes nothing when the node must
 * register again first: Redis lost its data (another epoch), or the node
 * was declared dead and removed.
 */
export const APPLY = `${PRELUDE}
local node, known, maxlen = ARGV[1], ARGV[2], ARGV[3]
if redis.call('GET', P .. 'epoch') ~= known or
   redis.call('SISMEMBER', P .. 'nodes', node) == 0 then
  return {'resync'}
end
local skipped = {}
local i, op = 4, 0
while i <= #ARGV do
  local kind = ARGV[i]
  op = op + 1
  if kind == 'j' then
    join(maxlen, node, ARGV[i + 1], ARGV[i + 2], true)
    i = i + 3
  elseif kind == 'm' then
    if redis.call('HEXISTS', P .. 'members:' .. node, ARGV[i + 1]) == 1 then
      append(maxlen, {'t', 'm', 'n', node, 'c', ARGV[i + 1], 'r', ARGV[i + 2], 'x', ARGV[i + 3]})
    else
      table.insert(skipped, op)
    end
    i = i + 4
  else
    leave(maxlen, node, ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
    i = i + 4
  end
end
return {'ok', skipped}
`;

/**
 * `SYNC node candidate known ttl maxlen member...`: (re)registers a node
 * with the members it has now, each `conn remote greeted` (`greeted` 1 when
 * the member already saw its own join in the log). Run at start and after
 * every reconnect, before the node reads the log again:
 * - a member Redis has that the node no longer has left while Redis was
 *   out of reach: it leaves now, with a notice;
 * - a member the node has that Redis lacks joins: silently when Redis lost
 *   its data (everyone saw it join, nobody saw it leave), with a notice
 *   otherwise (it was never announced, or it was removed as a dead node's
 *   and everyone saw it leave).
 * `candidate` becomes the epoch when Redis has none; `known` is the epoch
 * the node knew ('' at start). Returns `{epoch, lastId, seq}`: the node
 * reads the log from `lastId` when the epoch changed.
 */
export const SYNC = `${PRELUDE}
local node, candidate, known, ttl, maxlen = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local current = epoch(candidate)
local lost = known ~= '' and current ~= known
local here = {}
local i = 6
while i <= #ARGV do
  here[ARGV[i]] = true
  i = i + 3
end
local registered = redis.call('HGETALL', P .. 'members:' .. node)
for j = 1, #registered, 2 do
  if not here[registered[j]] then
    leave(maxlen, node, registered[j], registered[j + 1], 'gone from its node')
  end
end
redis.call('SADD', P .. 'nodes', node)
redis.call('SET', P .. 'alive:' .. node, '1', 'PX', ttl)
i = 6
while i <= #ARGV do
  join(maxlen, node, ARGV[i], ARGV[i + 1], not (lost and ARGV[i + 2] == '1'))
  i = i + 3
end
return {current, last_id(), tonumber(redis.call('GET', P .. 'seq') or '0')}
`;

/**
 * `BEAT node epoch ttl maxlen`: refreshes the node's heartbeat, then
 * retires every other node whose heartbeat has expired. Returns
 * `{'resync'}` when this node must register again (as for APPLY),
 * otherwise `{'ok', removed}` with the members it removed.
 */
export const BEAT = `${PRELUDE}
local node, known, ttl, maxlen = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('GET', P .. 'epoch') ~= known or
   redis.call('SISMEMBER', P .. 'nodes', node) == 0 then
  return {'resync'}
end
redis.call('SET', P .. 'alive:' .. node, '1', 'PX', ttl)
local removed = 0
for _, other in ipairs(redis.call('SMEMBERS', P .. 'nodes')) do
  if redis.call('EXISTS', P .. 'alive:' .. other) == 0 then
    removed = removed + retire(maxlen, other, 'node lost')
  end
end
return {'ok', removed}
`;

/**
 * `RETIRE node maxlen`: a node shutting down removes itself; members it
 * still has leave with a notice. Returns how many.
 */
export const RETIRE = `${PRELUDE}
return retire(ARGV[2], ARGV[1], 'server shutdown')
`;
