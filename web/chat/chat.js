// @ts-check
/**
 * The chat page (docs/transports.md, "Chat page"): one connection speaking
 * protocol v2 (docs/protocol.md), a message list, your name and room, the
 * room's members (asked with `/who` after each join, leave and rename, one
 * request at a time), the room list (`/rooms`), private lines, and a
 * banner while the server is shutting down, the chat is unavailable or
 * the connection is lost. Server text only ever reaches the page as
 * `textContent`, never as HTML.
 */
import { classify, isNickname, isRoomName, nickRefusal } from './lines.js';
import { chatSocketUrl, connect } from './connection.js';
import { createWhoTracker } from './who.js';

/** Lines kept in the list; older ones are dropped. */
const MAX_LINES = 500;
const LOBBY = '#lobby';

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

const messages = $('messages');
const input = /** @type {HTMLInputElement} */ ($('input'));
const banner = $('banner');
const status = $('status');
const members = $('members');
const rooms = $('rooms');

/** What the page knows of its session; reset in part on each reconnect. */
const session = {
  /** Your name once the server confirmed it; null while anonymous. */
  me: /** @type {string | null} */ (null),
  /** The name asked for with `/nick`, until the server answers. */
  pendingNick: /** @type {string | null} */ (null),
  room: LOBBY,
  shuttingDown: false,
  unavailable: false,
  quit: false
};

const who = createWhoTracker(() => send('/who'));

const connection = connect(chatSocketUrl(location), {
  onLine: receive,
  onStatus(state, { retryInMs }) {
    status.dataset['status'] = state;
    status.textContent =
      state === 'online'
        ? 'online'
        : state === 'connecting'
          ? 'connecting…'
          : 'reconnecting';
    if (state === 'online') {
      who.reset();
      // The banner stays until the greeting: an open socket is not yet a chat.
    } else if (state === 'waiting') {
      if (session.quit) {
        connection.stop();
        showBanner('You left the chat. Reload the page to come back.', 'left');
        return;
      }
      const seconds = Math.max(1, Math.round((retryInMs ?? 0) / 1000));
      showBanner(
        `${session.shuttingDown ? 'The server is shutting down.' : 'Connection lost.'} Reconnecting in ${seconds} s…`,
        session.shuttingDown ? 'shutdown' : 'lost'
      );
    }
  }
});

/**
 * Shows `text` in the banner (null hides it); `kind` is for styling and tests.
 *
 * @param {string | null} text
 * @param {string} [kind]
 */
function showBanner(text, kind = '') {
  banner.hidden = text === null;
  banner.textContent = text ?? '';
  banner.dataset['kind'] = kind;
}

/** @param {string} line one server line */
function receive(line) {
  const read = classify(line);
  switch (read.kind) {
    case 'greeting':
      show(line, 'notice');
      rejoin();
      break;
    case 'now-in':
      session.room = read.room;
      who.ask();
      show(line, 'notice');
      break;
    case 'join':
    case 'leave':
      who.ask();
      show(line, 'notice');
      break;
    case 'rename':
      renamed(read.old, read.name);
      who.ask();
      show(line, 'notice');
      break;
    case 'who-header':
      who.header(read.count);
      return;
    case 'who-names':
      if (!who.reading()) show(line, 'notice');
      else {
        const names = who.names(read.names);
        if (names !== null) renderMembers(names);
      }
      return;
    case 'rooms-header':
      rooms.replaceChildren();
      rooms.dataset['total'] = String(read.total);
      return;
    case 'rooms-entry':
      rooms.append(roomItem(read.room, `${read.room} (${read.count})`));
      return;
    case 'rooms-more':
      rooms.append(
        roomItem(null, `more: page ${read.page}`, `/rooms ${read.page}`)
      );
      return;
    case 'shutdown':
      session.shuttingDown = true;
      showBanner('The server is shutting down.', 'shutdown');
      show(line, 'notice');
      break;
    case 'available':
      session.unavailable = false;
      showBanner(null);
      show(line, 'notice');
      break;
    case 'error':
      if (read.about === 'unavailable') {
        session.unavailable = true;
        showBanner('The chat is temporarily unavailable.', 'unavailable');
      } else if (read.about === 'disconnected') {
        showBanner(
          `Disconnected by the server: ${line.slice('Error: disconnected: '.length)}`,
          'disconnected'
        );
      } else if (read.about === 'command-unavailable') who.refused();
      if (nickRefusal(line) !== null) session.pendingNick = null;
      show(line, 'error');
      break;
    case 'own':
    case 'chat':
    case 'private-in':
    case 'private-out':
      show(line, read.kind, read.text);
      break;
    default:
      show(line, read.kind);
  }
  renderIdentity();
}

/**
 * A new connection starts anonymous in #lobby: take back the name and
 * the room the page had before it was lost.
 */
function rejoin() {
  const { me, room } = session;
  Object.assign(session, {
    me: null,
    room: LOBBY,
    shuttingDown: false,
    unavailable: false
  });
  showBanner(null);
  if (me !== null) send(`/nick ${me}`);
  if (room !== LOBBY) send(`/join ${room}`);
  else who.ask();
}

/**
 * Takes a rename into account: yours when it names the name you asked
 * for and comes from your old name (or from an address, while you had
 * none).
 *
 * @param {string} old
 * @param {string} name
 */
function renamed(old, name) {
  const pending = session.pendingNick;
  const fromMe = session.me === null ? !isNickname(old) : old === session.me;
  if (
    pending !== null &&
    fromMe &&
    pending.toLowerCase() === name.toLowerCase()
  ) {
    session.me = name;
    session.pendingNick = null;
  }
}

/** @param {string[]} names */
function renderMembers(names) {
  members.replaceChildren(
    ...names.map((name) => {
      const item = el('li', '');
      if (name === session.me) {
        item.append(
          el('span', name, 'member me'),
          el('span', ' (you)', 'muted')
        );
      } else if (isNickname(name)) {
        const button = el('button', name, 'member');
        button.type = 'button';
        button.title = `Send ${name} a private message`;
        button.addEventListener('click', () => {
          input.value = `/msg ${name} `;
          input.focus();
        });
        item.append(button);
      } else {
        // Anonymous members have no name to `/msg`.
        item.append(el('span', name, 'member anonymous'));
      }
      return item;
    })
  );
  $('member-count').textContent = `(${names.length})`;
}

/**
 * @param {string | null} room the room to join, or null for `command`
 * @param {string} label
 * @param {string} [command]
 */
function roomItem(room, label, command) {
  const item = el('li', '');
  const button = el('button', label, 'room');
  button.type = 'button';
  button.addEventListener('click', () =>
    send(command ?? `/join ${room ?? LOBBY}`)
  );
  item.append(button);
  return item;
}

function renderIdentity() {
  $('me').textContent = session.me ?? 'anonymous';
  $('room').textContent = session.room;
  $('members-room').textContent = session.room;
}

/**
 * Adds one line to the list: with its `text`, the prefix the server wrote
 * (`[alice] `, `[You] `, `[alice -> you] `) apart from it, for styling
 * only; the item's text is the line exactly.
 *
 * @param {string} line
 * @param {string} kind
 * @param {string} [text]
 */
function show(line, kind, text) {
  const item = el('li', '', `line ${kind}`);
  item.dataset['kind'] = kind;
  if (text === undefined) item.textContent = line;
  else {
    const prefix = line.slice(0, line.length - text.length);
    item.append(el('span', prefix, 'prefix'), el('span', text, 'text'));
  }
  const atBottom =
    messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
  messages.append(item);
  while (messages.childElementCount > MAX_LINES)
    messages.firstElementChild?.remove();
  if (atBottom) messages.scrollTop = messages.scrollHeight;
}

/**
 * Sends one line; false (and a local note) when there is no connection.
 *
 * @param {string} line
 */
function send(line) {
  if (!connection.send(line)) {
    show('Not connected: that line was not sent.', 'local');
    return false;
  }
  const nick = /^\/nick\s+(\S+)\s*$/i.exec(line)?.[1];
  if (nick !== undefined && isNickname(nick)) session.pendingNick = nick;
  if (/^\/who\s*$/i.test(line)) who.sent();
  if (/^\/quit(\s|$)/i.test(line)) session.quit = true;
  return true;
}

/**
 * Wires a form: `build` turns its input's value into a line to send.
 *
 * @param {string} formId
 * @param {string} inputId
 * @param {(value: string) => string | null} build
 */
function onSubmit(formId, inputId, build) {
  const field = /** @type {HTMLInputElement} */ ($(inputId));
  $(formId).addEventListener('submit', (event) => {
    event.preventDefault();
    const line = build(field.value.trim());
    if (line !== null && send(line)) field.value = '';
  });
}

// Enter in a single-field form submits it; the message keeps its spaces.
$('send-form').addEventListener('submit', (event) => {
  event.preventDefault();
  if (input.value.trim() !== '' && send(input.value)) input.value = '';
});
onSubmit('nick-form', 'nick-input', (name) =>
  name === '' ? null : `/nick ${name}`
);
onSubmit('join-form', 'room-input', (name) => {
  if (name === '') return null;
  const room = name.startsWith('#') ? name : `#${name}`;
  return isRoomName(room) ? `/join ${room}` : `/join ${name}`;
});
$('part').addEventListener('click', () => send('/part'));
$('list-rooms').addEventListener('click', () => send('/rooms'));
renderIdentity();
