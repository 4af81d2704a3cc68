// @ts-check
/**
 * The inspector page: one `/events` stream (docs/inspector.md) drives the
 * chart's counts, the room panel, one page of the connection table, the
 * watched connection's timeline and the transition log. Changing a page,
 * a filter or the watched connection reopens the stream with a new query;
 * the server batches updates, so the page renders at most a few times a
 * second however busy the daemon is, and never more than one page of rows.
 */

/**
 * @typedef {{ id: string, final: boolean, initial: boolean }} GraphState
 * @typedef {{ from: string, to: string, events: string[] }} GraphEdge
 * @typedef {{ id: string, states: GraphState[], edges: GraphEdge[] }} MachineGraph
 * @typedef {{ id: string, remote: string, transport: string, state: string,
 *   since: number, name: string | null, room: string | null,
 *   openedAt: number, messagesIn: number, messagesOut: number,
 *   bytesIn: number, bytesOut: number, queuedBytes: number,
 *   reason: string | null }} Row
 * @typedef {{ at: number, event: string, from: string | null, to: string }} TimelineEntry
 * @typedef {TimelineEntry & { id: string, remote: string }} Transition
 * @typedef {{ id: string, remote: string, from: string | null, to: string,
 *   at: number }} IdentityChange
 * @typedef {{ id: string, remote: string, name: string | null,
 *   room: string | null, since: number }} Member
 * @typedef {{ name: string, members: number, messages: number,
 *   perSecond: number }} RoomRow
 * @typedef {{ startedAt: number, machine: MachineGraph }} Hello
 * @typedef {{ at: number,
 *   room: { members: number, messages: number, rooms: number,
 *     names: number },
 *   states: Record<string, number>,
 *   totals: { accepted: number, refused: Record<string, number>,
 *     disconnects: Record<string, number> },
 *   transitions: Transition[], renames: IdentityChange[],
 *   moves: IdentityChange[], dropped: number,
 *   view?: { offset: number, limit: number, total: number, rows: Row[] },
 *   members?: { offset: number, limit: number, total: number,
 *     rows: Member[] },
 *   rooms?: { offset: number, limit: number, total: number,
 *     rows: RoomRow[] },
 *   watch?: { id: string, row: Row | null, timeline: TimelineEntry[] } }} Update
 */

const PAGE_SIZE = 50;
const MEMBER_PAGE_SIZE = 20;
const ROOM_PAGE_SIZE = 20;
/** A room name as the protocol allows it (docs/protocol.md, [CHAT-ROOM-1]). */
const ROOM_NAME = /^#[A-Za-z0-9_-]{1,32}$/;
const LOG_LENGTH = 200;
const SVG = 'http://www.w3.org/2000/svg';

/** @param {string} id */
function $(id) {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`page lacks #${id}`);
  return element;
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} text
 * @param {string} [className]
 */
function el(tag, text, className) {
  const element = document.createElement(tag);
  element.textContent = text;
  if (className !== undefined) element.className = className;
  return element;
}

/**
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 */
function svg(tag, attrs) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs))
    element.setAttribute(key, String(value));
  return element;
}

/** @param {number} ms */
function ago(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s ago`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m ago`;
}

/** @param {number} at */
function clock(at) {
  const d = new Date(at);
  return `${d.toLocaleTimeString(undefined, { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/**
 * Shows which page of a paged table is on screen: the text of `ids.info`
 * (`11–20 of 45`, or `none`) and whether its ‹ and › buttons lead anywhere.
 * @param {{ info: string, prev: string, next: string }} ids
 * @param {{ offset: number, shown: number, total: number, size: number }} page
 *   the first row's offset, the rows shown, the rows there are, a page's size
 */
function showPage(ids, page) {
  const { offset, shown, total, size } = page;
  $(ids.info).textContent =
    total === 0 ? 'none' : `${offset + 1}–${offset + shown} of ${total}`;
  /** @type {HTMLButtonElement} */ ($(ids.prev)).disabled = offset === 0;
  /** @type {HTMLButtonElement} */ ($(ids.next)).disabled =
    offset + size >= total;
}

/** @param {Record<string, number>} counts */
function sum(counts) {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

const BOX = { width: 132, height: 62, gap: 96, top: 92 };

/**
 * Draws the machine's top-level chart: states left to right in definition
 * order, forward jumps arcing above, backward ones below, self-loops on top.
 * @param {SVGSVGElement} chart
 * @param {MachineGraph} machine
 * @returns {Map<string, { group: SVGGElement, count: SVGTextElement }>}
 */
function drawChart(chart, machine) {
  chart.replaceChildren();
  const index = new Map(machine.states.map((s, i) => [s.id, i]));
  const width =
    machine.states.length * (BOX.width + BOX.gap) - BOX.gap + 2 * 24;
  const height = BOX.top + BOX.height + 70;
  chart.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const defs = svg('defs', {});
  const marker = svg('marker', {
    id: 'arrow',
    viewBox: '0 0 10 10',
    refX: 9,
    refY: 5,
    markerWidth: 7,
    markerHeight: 7,
    orient: 'auto-start-reverse'
  });
  marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#667085' }));
  defs.append(marker);
  chart.append(defs);
  /** @param {number} i */
  const left = (i) => 24 + i * (BOX.width + BOX.gap);
  const mid = BOX.top + BOX.height / 2;

  for (const edge of machine.edges) {
    const i = index.get(edge.from);
    const j = index.get(edge.to);
    if (i === undefined || j === undefined) continue;
    const group = svg('g', { class: 'edge' });
    let d;
    let labelX;
    let labelY;
    if (i === j) {
      // Below the box: forward jumps arc above.
      const x = left(i) + BOX.width / 2;
      const y = BOX.top + BOX.height;
      d = `M${x - 24},${y} C${x - 40},${y + 46} ${x + 40},${y + 46} ${x + 24},${y}`;
      labelX = x;
      labelY = y + 52;
    } else if (j === i + 1) {
      d = `M${left(i) + BOX.width},${mid} L${left(j)},${mid}`;
      labelX = (left(i) + BOX.width + left(j)) / 2;
      labelY = mid - 6;
    } else {
      // Longer jumps start nearer the source's middle and end nearer the
      // target's, and bend higher, so arcs from one state nest instead of
      // crossing.
      const above = j > i;
      const span = Math.abs(j - i);
      const y = above ? BOX.top : BOX.top + BOX.height;
      const bend = (above ? -1 : 1) * (20 + 24 * (span - 1));
      const inset = Math.max(8, 36 - 14 * (span - 2));
      const x1 = left(i) + BOX.width / 2 + (above ? inset : -inset);
      const x2 = left(j) + BOX.width / 2 + (above ? -inset : inset);
      d = `M${x1},${y} C${x1},${y + bend} ${x2},${y + bend} ${x2},${y}`;
      labelX = (x1 + x2) / 2;
      labelY = y + bend * 0.75 + (above ? -4 : 12);
    }
    const title = svg('title', {});
    title.textContent = edge.events.join('\n');
    const label = svg('text', { x: labelX, y: labelY });
    const [first = ''] = edge.events;
    const all = edge.events.join(' | ');
    label.textContent =
      all.length <= 16 ? all : `${first} +${edge.events.length - 1}`;
    group.append(title, svg('path', { d }), label);
    chart.append(group);
  }

  /** @type {Map<string, { group: SVGGElement, count: SVGTextElement }>} */
  const boxes = new Map();
  machine.states.forEach((state, i) => {
    const group = /** @type {SVGGElement} */ (
      svg('g', {
        class: `state${state.final ? ' final' : ''}`,
        'data-state': state.id
      })
    );
    group.append(
      svg('rect', {
        x: left(i),
        y: BOX.top,
        width: BOX.width,
        height: BOX.height,
        rx: state.final ? 18 : 8
      })
    );
    const name = svg('text', {
      class: 'name',
      x: left(i) + BOX.width / 2,
      y: BOX.top + 22
    });
    name.textContent = state.id;
    const count = /** @type {SVGTextElement} */ (
      svg('text', {
        class: 'count',
        x: left(i) + BOX.width / 2,
        y: BOX.top + 48
      })
    );
    count.textContent = '0';
    group.append(name, count);
    chart.append(group);
    boxes.set(state.id, { group, count });
  });
  return boxes;
}

function main() {
  const chart = /** @type {SVGSVGElement} */ (
    /** @type {unknown} */ ($('chart'))
  );
  const status = $('status');
  const filter = /** @type {HTMLSelectElement} */ ($('state-filter'));
  const order = /** @type {HTMLSelectElement} */ ($('order'));
  const tbody = /** @type {HTMLTableSectionElement} */ (
    $('connections').querySelector('tbody')
  );
  const timelineBody = /** @type {HTMLTableSectionElement} */ (
    $('timeline').querySelector('tbody')
  );
  const memberBody = /** @type {HTMLTableSectionElement} */ (
    $('members').querySelector('tbody')
  );
  const roomBody = /** @type {HTMLTableSectionElement} */ (
    $('rooms').querySelector('tbody')
  );
  const roomFilter = /** @type {HTMLInputElement} */ ($('room-filter'));
  const log = $('log');

  const view = {
    offset: 0,
    state: 'all',
    order: 'newest',
    /** The table's room filter; '' for every room. */
    room: '',
    memberOffset: 0,
    roomOffset: 0
  };
  /** @type {string | null} */
  let watch = null;
  /** @type {EventSource | null} */
  let source = null;
  let retryMs = 1000;
  /** @type {number | null} */
  let startedAt = null;
  /** @type {Map<string, { group: SVGGElement, count: SVGTextElement }>} */
  let boxes = new Map();
  let total = 0;
  /** @type {Array<{ at: number, messages: number }>} */
  let samples = [];
  /** @type {Row[]} */
  let rows = [];
  /** @type {Member[]} */
  let members = [];
  let memberTotal = 0;
  /** @type {RoomRow[]} */
  let roomRows = [];
  let roomTotal = 0;
  /** @type {Row | null} */
  let watchedRow = null;

  const setStatus = (/** @type {string} */ text, /** @type {string} */ key) => {
    status.textContent = text;
    status.dataset['status'] = key;
  };

  const highlight = () => {
    for (const [state, box] of boxes)
      box.group.classList.toggle('current', watchedRow?.state === state);
  };

  /** @param {MachineGraph} machine */
  const setMachine = (machine) => {
    boxes = drawChart(chart, machine);
    const keep = filter.value;
    filter.replaceChildren(
      new Option('all', 'all'),
      new Option('live', 'live'),
      ...machine.states.map((s) => new Option(s.id, s.id))
    );
    filter.value = keep || 'all';
  };

  const renderRows = () => {
    const now = Date.now();
    tbody.replaceChildren(
      ...rows.map((row) => {
        const tr = document.createElement('tr');
        tr.dataset['id'] = row.id;
        tr.classList.toggle('watched', row.id === watch);
        tr.append(
          el('td', row.id, 'id'),
          el('td', row.remote, 'remote'),
          el('td', row.transport, 'transport'),
          el('td', row.name ?? '', 'name'),
          el('td', row.room ?? '', 'room'),
          el('td', row.state, 'state'),
          el('td', ago(now - row.since), 'since'),
          el('td', String(row.messagesIn), 'num in'),
          el('td', String(row.messagesOut), 'num out'),
          el('td', String(row.queuedBytes), 'num queued'),
          el('td', row.reason ?? '', 'reason')
        );
        return tr;
      })
    );
    showPage(
      { info: 'page-info', prev: 'prev', next: 'next' },
      { offset: view.offset, shown: rows.length, total, size: PAGE_SIZE }
    );
    // Nothing to click yet: the hint would point at nothing.
    $('table-hint').hidden = total === 0;
  };

  const renderMembers = () => {
    const now = Date.now();
    memberBody.replaceChildren(
      ...members.map((member) => {
        const tr = document.createElement('tr');
        tr.dataset['id'] = member.id;
        tr.title = `${member.id}: click to follow its timeline`;
        tr.classList.toggle('watched', member.id === watch);
        tr.append(
          el('td', member.remote, 'remote'),
          el('td', member.name ?? '', 'name'),
          el('td', member.room ?? '', 'room'),
          el('td', ago(now - member.since), 'since')
        );
        return tr;
      })
    );
    showPage(
      { info: 'member-info', prev: 'member-prev', next: 'member-next' },
      {
        offset: view.memberOffset,
        shown: members.length,
        total: memberTotal,
        size: MEMBER_PAGE_SIZE
      }
    );
    $('members-empty').hidden = memberTotal > 0;
    $('members').hidden = memberTotal === 0;
  };

  const renderRooms = () => {
    const filtered = view.room.toLowerCase();
    roomBody.replaceChildren(
      ...roomRows.map((room) => {
        const tr = document.createElement('tr');
        tr.classList.toggle('filtered', room.name.toLowerCase() === filtered);
        const name = el('td', '', 'name');
        const link = el('button', room.name, 'room-link');
        link.type = 'button';
        link.dataset['room'] = room.name;
        link.title = `show only the connections in ${room.name}`;
        name.append(link);
        tr.append(
          name,
          el('td', String(room.members), 'num members'),
          el('td', room.perSecond.toFixed(1), 'num rate')
        );
        return tr;
      })
    );
    showPage(
      { info: 'room-info', prev: 'room-prev', next: 'room-next' },
      {
        offset: view.roomOffset,
        shown: roomRows.length,
        total: roomTotal,
        size: ROOM_PAGE_SIZE
      }
    );
    // Suggestions for the filter: the rooms on screen.
    $('room-names').replaceChildren(
      ...roomRows.map((room) => new Option(room.name, room.name))
    );
  };

  /** @param {string} room the filter as typed; '' for every room */
  const filterRoom = (room) => {
    const valid = room === '' || ROOM_NAME.test(room);
    roomFilter.setAttribute('aria-invalid', String(!valid));
    $('room-filter-help').hidden = valid;
    if (!valid || room === view.room) return;
    view.room = room;
    view.offset = 0;
    renderRooms();
    connect();
  };

  /**
   * Whether `page` came back empty though it is not the first, its rows gone
   * since it was asked for; if so, turns `view[key]` to the last page there
   * is and asks for that instead.
   * @param {{ rows: unknown[], total: number }} page
   * @param {'memberOffset' | 'roomOffset'} key
   * @param {number} size
   */
  const pageGone = (page, key, size) => {
    if (page.rows.length > 0 || view[key] === 0) return false;
    view[key] = Math.max(0, Math.floor((page.total - 1) / size) * size);
    connect();
    return true;
  };

  /** @param {NonNullable<Update['watch']>} watched */
  const renderWatch = (watched) => {
    watchedRow = watched.row;
    const row = watched.row;
    $('watch-summary').textContent =
      row === null
        ? 'not known: closed too long ago, or from before a daemon restart'
        : `${row.remote} · ${row.state} · in ${row.messagesIn} / out ${row.messagesOut} messages · ${row.bytesIn} / ${row.bytesOut} bytes · queued ${row.queuedBytes}${row.reason === null ? '' : ` · ${row.reason}`}`;
    timelineBody.replaceChildren(
      ...watched.timeline.map((entry) => {
        const tr = document.createElement('tr');
        tr.append(
          el('td', clock(entry.at)),
          el('td', entry.event, 'event'),
          el('td', `${entry.from ?? '(start)'} → ${entry.to}`, 'move')
        );
        return tr;
      })
    );
    highlight();
  };

  /** @param {Update} update */
  const apply = (update) => {
    for (const [state, box] of boxes)
      box.count.textContent = String(update.states[state] ?? 0);
    $('room-count').textContent = String(update.room.rooms);
    $('name-count').textContent = String(update.room.names);
    $('room-members').textContent = String(update.room.members);
    $('room-messages').textContent = String(update.room.messages);
    samples.push({ at: update.at, messages: update.room.messages });
    while (samples.length > 2 && update.at - (samples[0]?.at ?? 0) > 5000)
      samples.shift();
    const oldest = samples[0];
    $('room-rate').textContent =
      oldest !== undefined && update.at > oldest.at
        ? (
            ((update.room.messages - oldest.messages) * 1000) /
            (update.at - oldest.at)
          ).toFixed(1)
        : '0.0';
    $('totals-accepted').textContent = String(update.totals.accepted);
    $('totals-refused').textContent = String(sum(update.totals.refused));
    $('totals-disconnects').textContent = String(
      sum(update.totals.disconnects)
    );
    if (update.view !== undefined) {
      rows = update.view.rows;
      total = update.view.total;
      renderRows();
    }
    if (update.members !== undefined) {
      members = update.members.rows;
      memberTotal = update.members.total;
      // Members left since: show the last page there is.
      if (pageGone(update.members, 'memberOffset', MEMBER_PAGE_SIZE)) return;
      renderMembers();
    }
    if (update.rooms !== undefined) {
      roomRows = update.rooms.rows;
      roomTotal = update.rooms.total;
      // Rooms closed since: show the last page there is.
      if (pageGone(update.rooms, 'roomOffset', ROOM_PAGE_SIZE)) return;
      renderRooms();
    }
    if (update.watch !== undefined) renderWatch(update.watch);
    const entries = update.transitions.map((t) =>
      el(
        'li',
        `${clock(t.at)} ${t.id} ${t.remote} ${t.from ?? '(start)'} → ${t.to} on ${t.event}`
      )
    );
    for (const change of update.renames)
      entries.push(
        el(
          'li',
          `${clock(change.at)} ${change.id} ${change.remote} named ${change.from ?? '(none)'} → ${change.to}`
        )
      );
    for (const change of update.moves)
      entries.push(
        el(
          'li',
          `${clock(change.at)} ${change.id} ${change.remote} moved ${change.from ?? '?'} → ${change.to}`
        )
      );
    if (update.dropped > 0)
      entries.push(el('li', `… ${update.dropped} more not shown`, 'muted'));
    log.prepend(...entries.reverse());
    while (log.childElementCount > LOG_LENGTH) log.lastElementChild?.remove();
  };

  const connect = () => {
    source?.close();
    const query = new URLSearchParams({
      offset: String(view.offset),
      limit: String(PAGE_SIZE),
      state: view.state,
      order: view.order,
      memberOffset: String(view.memberOffset),
      memberLimit: String(MEMBER_PAGE_SIZE),
      roomOffset: String(view.roomOffset),
      roomLimit: String(ROOM_PAGE_SIZE)
    });
    if (view.room !== '') query.set('room', view.room);
    if (watch !== null) query.set('watch', watch);
    const events = new EventSource(`events?${query}`);
    source = events;
    events.addEventListener('open', () => {
      retryMs = 1000;
      setStatus('live', 'live');
    });
    events.addEventListener('hello', (message) => {
      /** @type {Hello} */
      const hello = JSON.parse(message.data);
      if (hello.startedAt !== startedAt) {
        // A daemon (re)started: what the page knew is gone.
        startedAt = hello.startedAt;
        samples = [];
        log.replaceChildren();
        setMachine(hello.machine);
      }
      $('started').textContent =
        `daemon up since ${new Date(hello.startedAt).toLocaleString()}`;
    });
    events.addEventListener('update', (message) => {
      apply(JSON.parse(message.data));
    });
    events.addEventListener('error', () => {
      setStatus('reconnecting…', 'reconnecting');
      // The browser retries a dropped stream itself; a refused or failed
      // request closes it for good, so retry that here, backing off.
      if (events.readyState === EventSource.CLOSED && source === events) {
        setTimeout(() => {
          if (source === events) connect();
        }, retryMs);
        retryMs = Math.min(retryMs * 2, 10_000);
      }
    });
  };

  filter.addEventListener('change', () => {
    view.state = filter.value;
    view.offset = 0;
    connect();
  });
  order.addEventListener('change', () => {
    view.order = order.value;
    view.offset = 0;
    connect();
  });
  /**
   * Makes a table's ‹ and › buttons turn its page (`view[key]`, by `size`
   * rows) and ask the server for the new one.
   * @param {string} prev
   * @param {string} next
   * @param {'offset' | 'memberOffset' | 'roomOffset'} key
   * @param {number} size
   */
  const pageButtons = (prev, next, key, size) => {
    $(prev).addEventListener('click', () => {
      view[key] = Math.max(0, view[key] - size);
      connect();
    });
    $(next).addEventListener('click', () => {
      view[key] += size;
      connect();
    });
  };
  pageButtons('prev', 'next', 'offset', PAGE_SIZE);
  pageButtons('member-prev', 'member-next', 'memberOffset', MEMBER_PAGE_SIZE);
  pageButtons('room-prev', 'room-next', 'roomOffset', ROOM_PAGE_SIZE);
  // Typed: applied on Enter or on leaving the field (`change`), and at once
  // when cleared; a room's button in the rooms list fills it in.
  roomFilter.addEventListener('change', () =>
    filterRoom(roomFilter.value.trim())
  );
  roomFilter.addEventListener('search', () =>
    filterRoom(roomFilter.value.trim())
  );
  roomFilter.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') filterRoom(roomFilter.value.trim());
  });
  roomBody.addEventListener('click', (event) => {
    const target = /** @type {Element} */ (event.target);
    const room = target.closest('button')?.dataset['room'];
    if (room === undefined) return;
    roomFilter.value = room;
    filterRoom(room);
  });
  /** @param {Event} event */
  const follow = (event) => {
    const target = /** @type {Element} */ (event.target);
    const id = target.closest('tr')?.dataset['id'];
    if (id === undefined) return;
    watch = id;
    $('watch-id').textContent = id;
    $('timeline-panel').hidden = false;
    connect();
  };
  tbody.addEventListener('click', follow);
  memberBody.addEventListener('click', follow);
  $('unwatch').addEventListener('click', () => {
    watch = null;
    watchedRow = null;
    $('timeline-panel').hidden = true;
    highlight();
    connect();
  });
  // "since" and "joined" keep moving between updates.
  setInterval(() => {
    renderRows();
    if (memberTotal > 0) renderMembers();
  }, 1000);
  connect();
}

main();
