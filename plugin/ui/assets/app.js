// Oxios web UI: chat over the WebSocket (/api/chat/stream), conversations
// (/api/sessions), live kernel events (/api/events, SSE) and a status panel
// (/api/status, /health/ready). Plain ES modules, no build step.
import { api, getToken, HttpError, setToken, withToken, wsUrl } from './api.js';
import { ReconnectingSocket } from './socket.js';

const MAX_CONTENT_BYTES = 65536;
const MAX_EVENTS = 100;
const STATUS_EVERY_MS = 10000;
const SESSION_KEY = 'oxios.session';
const TITLES_KEY = 'oxios.titles';

const $ = (id) => document.getElementById(id);
const el = {
  conn: $('conn'),
  connText: $('conn-text'),
  sidebar: $('sidebar'),
  info: $('info'),
  toggleNav: $('toggle-nav'),
  toggleInfo: $('toggle-info'),
  newChat: $('new-chat'),
  refreshSessions: $('refresh-sessions'),
  sessions: $('sessions'),
  sessionsEmpty: $('sessions-empty'),
  chatTitle: $('chat-title'),
  chatSub: $('chat-sub'),
  scroller: $('scroller'),
  welcome: $('welcome'),
  messages: $('messages'),
  composer: $('composer'),
  input: $('composer-input'),
  send: $('send'),
  statusBadge: $('status-badge'),
  stVersion: $('st-version'),
  stUptime: $('st-uptime'),
  stPlugins: $('st-plugins'),
  stReloads: $('st-reloads'),
  stEngine: $('st-engine'),
  stStore: $('st-store'),
  stUpdated: $('st-updated'),
  events: $('events'),
  eventsEmpty: $('events-empty'),
  eventsState: $('events-state'),
  tokenForm: $('token-form'),
  tokenInput: $('token-input'),
  tokenNote: $('token-note'),
};

// ------------------------------------------------------------ small helpers ---

function storageGet(key, fallback) {
  try {
    const v = localStorage.getItem(key);
    return v === null ? fallback : JSON.parse(v);
  } catch {
    return fallback;
  }
}

function storageSet(key, value) {
  try {
    if (value === null || value === undefined) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch {
    /* storage disabled */
  }
}

function parseTime(ts) {
  if (!ts) return NaN;
  // RFC 3339 with microseconds: keep milliseconds for Date.
  return Date.parse(String(ts).replace(/(\.\d{3})\d+/, '$1'));
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relFmt = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

function relative(ms) {
  if (!Number.isFinite(ms)) return '';
  const s = Math.round((ms - Date.now()) / 1000);
  const abs = Math.abs(s);
  if (abs < 45) return 'just now';
  if (abs < 3600) return relFmt.format(Math.round(s / 60), 'minute');
  if (abs < 86400) return relFmt.format(Math.round(s / 3600), 'hour');
  if (abs < 86400 * 7) return relFmt.format(Math.round(s / 86400), 'day');
  return dateTimeFmt.format(ms);
}

function formatUptime(secs) {
  const s = Math.max(0, Math.floor(Number(secs) || 0));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d ${h}h ${m}m`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

function node(tag, attrs = {}, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') n.className = v;
    else if (k === 'text') n.textContent = v;
    else n.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) n.append(c);
  return n;
}

function svgIcon(path) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const p = document.createElementNS(ns, 'path');
  p.setAttribute('d', path);
  svg.append(p);
  return svg;
}

const announcer = node('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
document.body.append(announcer);
function announce(text) {
  announcer.textContent = '';
  setTimeout(() => {
    announcer.textContent = text;
  }, 50);
}

/** Renders reply text: plain text, with ``` fenced blocks as <pre><code>. */
function renderText(target, text) {
  target.textContent = '';
  const fence = /```([\w+-]*)\n?([\s\S]*?)(```|$)/g;
  let last = 0;
  for (let m = fence.exec(text); m !== null; m = fence.exec(text)) {
    if (m.index > last) target.append(text.slice(last, m.index));
    const code = node('code', { text: m[2] });
    if (m[1]) code.dataset.lang = m[1];
    target.append(node('pre', {}, code));
    last = fence.lastIndex;
    if (m[0].length === 0) break;
  }
  if (last < text.length) target.append(text.slice(last));
}

// ------------------------------------------------------------------- titles ---

const titles = storageGet(TITLES_KEY, {});
function titleOf(id) {
  return titles[id] || `Conversation ${String(id).slice(0, 8)}`;
}
function rememberTitle(id, content) {
  if (!id || titles[id] || !content) return;
  const line = content.trim().split('\n')[0];
  titles[id] = line.length > 60 ? `${line.slice(0, 57)}…` : line;
  const keys = Object.keys(titles);
  if (keys.length > 300) for (const k of keys.slice(0, keys.length - 300)) delete titles[k];
  storageSet(TITLES_KEY, titles);
}
function forgetTitle(id) {
  delete titles[id];
  storageSet(TITLES_KEY, titles);
}

// --------------------------------------------------------------------- chat ---

const chat = {
  session: storageGet(SESSION_KEY, null), // the conversation on screen (null = new)
  view: 0, // bumps when the screen shows another conversation
  inFlight: null, // {li, bubble, meta, text, content, view, id}
  outbox: [], // [{content, li}] waiting for the socket / the previous reply
};

function scrollToEnd() {
  el.scroller.scrollTop = el.scroller.scrollHeight;
}

function setWelcome(visible) {
  el.welcome.hidden = !visible;
}

function setChatHeader() {
  if (chat.session) {
    el.chatTitle.textContent = titleOf(chat.session);
    el.chatSub.textContent = `Session ${chat.session}`;
  } else {
    el.chatTitle.textContent = 'New conversation';
    el.chatSub.textContent = 'Replies stream in as the kernel produces them.';
  }
}

function addMessage(role, text, { meta = '', classes = '' } = {}) {
  setWelcome(false);
  const who = role === 'user' ? 'You' : role === 'assistant' ? 'Oxios' : 'Error';
  const bubble = node('div', { class: 'bubble' });
  renderText(bubble, text);
  const metaEl = node('div', { class: 'meta', text: meta });
  const li = node(
    'li',
    { class: `msg ${role === 'user' ? 'user' : 'assistant'} ${role === 'error' ? 'error' : ''} ${classes}`.trim() },
    node('div', { class: 'who', text: who }),
    bubble,
    metaEl,
  );
  el.messages.append(li);
  scrollToEnd();
  return { li, bubble, meta: metaEl };
}

function clearMessages() {
  el.messages.textContent = '';
}

function switchView(session) {
  chat.view += 1;
  chat.session = session;
  storageSet(SESSION_KEY, session);
  // Queued messages belong to the conversation that was on screen.
  chat.outbox = [];
  clearMessages();
  setChatHeader();
  markActiveSession();
  updateSendState();
}

function newChat() {
  switchView(null);
  setWelcome(true);
  closeDrawers();
  el.input.focus();
}

function byteLength(s) {
  return new TextEncoder().encode(s).length;
}

function submitMessage(content) {
  if (!content.trim()) return;
  const bytes = byteLength(content);
  if (bytes > MAX_CONTENT_BYTES) {
    addMessage('error', `Message too long: ${bytes} bytes exceeds the limit of ${MAX_CONTENT_BYTES} bytes.`);
    return;
  }
  const { li, meta } = addMessage('user', content, { classes: 'queued' });
  meta.textContent = 'Waiting…';
  chat.outbox.push({ content, li, meta });
  pump();
}

// Sends the next queued message when the socket is open and no reply is
// pending (one exchange at a time, so each reply lands in the right bubble).
function pump() {
  updateSendState();
  if (chat.inFlight || chat.outbox.length === 0 || !socket.isOpen) return;
  const next = chat.outbox[0];
  const ok = socket.send({ type: 'message', content: next.content, session_id: chat.session || '' });
  if (!ok) return;
  chat.outbox.shift();
  next.li.classList.remove('queued');
  next.meta.textContent = timeFmt.format(Date.now());
  const reply = addMessage('assistant', '', { classes: 'pending' });
  reply.bubble.setAttribute('aria-busy', 'true');
  chat.inFlight = { ...reply, text: '', content: next.content, view: chat.view, id: null, started: Date.now() };
  updateSendState();
}

function frameIsOurs(frame) {
  const f = chat.inFlight;
  if (!f) return false;
  if (f.id === null && frame.id) f.id = frame.id;
  return !frame.id || !f.id || frame.id === f.id;
}

function finishInFlight() {
  const f = chat.inFlight;
  chat.inFlight = null;
  f.li.classList.remove('pending', 'streaming');
  f.bubble.removeAttribute('aria-busy');
  return f;
}

function onFrame(frame) {
  if (!frame || typeof frame !== 'object') return;
  if (frame.type === 'token') {
    if (!frameIsOurs(frame)) return;
    const f = chat.inFlight;
    f.text += frame.content || '';
    f.li.classList.remove('pending');
    f.li.classList.add('streaming');
    renderText(f.bubble, f.text);
    scrollToEnd();
  } else if (frame.type === 'done') {
    if (!frameIsOurs(frame)) return;
    const f = finishInFlight();
    if (!f.text) renderText(f.bubble, '(empty reply)');
    const bits = [timeFmt.format(Date.now())];
    if (frame.phase) bits.push(frame.phase);
    if (Number.isFinite(frame.duration_ms)) bits.push(`${frame.duration_ms} ms`);
    f.meta.textContent = bits.join(' · ');
    if (frame.session_id) {
      rememberTitle(frame.session_id, f.content);
      if (f.view === chat.view) {
        chat.session = frame.session_id;
        storageSet(SESSION_KEY, chat.session);
        setChatHeader();
      }
    }
    refreshSessions();
    pump();
  } else if (frame.type === 'error') {
    const f = chat.inFlight && frameIsOurs(frame) ? finishInFlight() : null;
    const message = frame.error || 'the message failed';
    if (f) {
      f.li.classList.add('error');
      f.li.querySelector('.who').textContent = 'Error';
      renderText(f.bubble, message);
      f.meta.textContent = timeFmt.format(Date.now());
    } else {
      addMessage('error', message);
    }
    announce(`Error: ${message}`);
    pump();
  }
}

function onConnectionLost() {
  // The host cancels a message whose socket closed: its reply will not come.
  if (!chat.inFlight) return;
  const f = finishInFlight();
  f.li.classList.add('error');
  f.li.querySelector('.who').textContent = 'Error';
  renderText(f.bubble, 'The connection closed before the reply arrived. Please send the message again.');
}

function updateSendState() {
  const open = socket.isOpen;
  el.send.title = open ? '' : 'Not connected: messages are sent once the connection is back';
  el.composer.dataset.connected = open ? 'true' : 'false';
}

// ----------------------------------------------------------- the socket ---

const socket = new ReconnectingSocket(() => wsUrl('/api/chat/stream'));
let authProbe = 0;

function setConn(state, text) {
  el.conn.dataset.state = state;
  el.connText.textContent = text;
}

socket.addEventListener('state', (ev) => {
  const { state, opened } = ev.detail;
  if (state === 'open') {
    setConn('open', 'Connected');
    refreshStatus();
    refreshSessions();
    // The server is back: do not wait for the event stream's own retry.
    if (events && events.readyState !== EventSource.OPEN) startEvents();
    pump();
  } else if (state === 'connecting') {
    setConn('connecting', 'Connecting…');
  } else {
    setConn('reconnecting', 'Reconnecting…');
    // A refused upgrade looks like any close: ask HTTP whether it is auth.
    if (!opened) {
      const probe = ++authProbe;
      api('/api/sessions?limit=1').then(
        () => {},
        (e) => {
          if (probe === authProbe && e instanceof HttpError && e.status === 401 && socket.state !== 'open') {
            setConn('unauthorized', 'API token needed');
          }
        },
      );
    }
  }
  updateSendState();
});
socket.addEventListener('message', (ev) => onFrame(ev.detail));
socket.addEventListener('lost', onConnectionLost);

// ------------------------------------------------------------ sessions ---

let sessionsLoading = null;

function markActiveSession() {
  for (const li of el.sessions.children) {
    const active = li.dataset.id === chat.session;
    li.classList.toggle('active', active);
    const btn = li.querySelector('.session-open');
    if (active) btn.setAttribute('aria-current', 'true');
    else btn.removeAttribute('aria-current');
  }
}

function renderSessions(items) {
  const focusedId = document.activeElement?.closest?.('.session')?.dataset.id;
  const focusedDel = document.activeElement?.classList.contains('session-del');
  el.sessions.textContent = '';
  for (const s of items) {
    const title = titleOf(s.id);
    const count = Number(s.message_count) || 0;
    const when = relative(parseTime(s.updated_at));
    const open = node(
      'button',
      { type: 'button', class: 'session-open', title: s.id },
      node('span', { class: 'session-title', text: title }),
      node('span', { class: 'session-meta', text: `${count} message${count === 1 ? '' : 's'} · ${when}` }),
    );
    open.addEventListener('click', () => openSession(s.id));
    const del = node('button', {
      type: 'button',
      class: 'icon-btn small session-del',
      'aria-label': `Delete conversation: ${title}`,
      title: 'Delete conversation',
    });
    del.append(svgIcon('M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3'));
    del.addEventListener('click', () => deleteSession(s.id, title));
    const li = node('li', { class: 'session' }, open, del);
    li.dataset.id = s.id;
    el.sessions.append(li);
  }
  el.sessionsEmpty.textContent = 'No conversations yet.';
  el.sessionsEmpty.hidden = items.length > 0;
  markActiveSession();
  if (focusedId) {
    const li = [...el.sessions.children].find((x) => x.dataset.id === focusedId);
    li?.querySelector(focusedDel ? '.session-del' : '.session-open')?.focus();
  }
}

// A refresh asked for while one is in flight runs again once it is done: the
// list in flight may predate what the caller just changed (a chat's session).
let sessionsAgain = false;
async function refreshSessions() {
  if (sessionsLoading) {
    sessionsAgain = true;
    return sessionsLoading;
  }
  sessionsLoading = (async () => {
    try {
      do {
        sessionsAgain = false;
        const page = await api('/api/sessions?limit=100');
        renderSessions(Array.isArray(page?.items) ? page.items : []);
      } while (sessionsAgain);
    } catch (e) {
      el.sessionsEmpty.hidden = false;
      el.sessionsEmpty.textContent =
        e.status === 401 ? 'Enter an API token to see conversations.' : `Could not load conversations: ${e.message}`;
    } finally {
      sessionsLoading = null;
    }
  })();
  return sessionsLoading;
}

async function openSession(id, { quiet = false } = {}) {
  closeDrawers();
  if (id === chat.session && el.messages.children.length > 0) {
    el.input.focus();
    return;
  }
  switchView(id);
  setWelcome(false);
  const view = chat.view;
  const loading = node('li', { class: 'muted small', text: 'Loading conversation…' });
  el.messages.append(loading);
  try {
    const s = await api(`/api/sessions/${encodeURIComponent(id)}`);
    if (view !== chat.view) return;
    loading.remove();
    const entries = [];
    (s.user_messages || []).forEach((m, i) => entries.push({ role: 'user', m, t: parseTime(m.timestamp), i, k: 0 }));
    (s.agent_responses || []).forEach((m, i) =>
      entries.push({ role: 'assistant', m, t: parseTime(m.timestamp), i, k: 1 }),
    );
    // By time; on a tie a question comes before its answer.
    entries.sort((a, b) => (a.t || 0) - (b.t || 0) || a.i - b.i || a.k - b.k);
    for (const e of entries) {
      const bits = [];
      if (Number.isFinite(e.t)) bits.push(dateTimeFmt.format(e.t));
      if (e.role === 'assistant' && e.m.phase_reached) bits.push(e.m.phase_reached);
      addMessage(e.role, String(e.m.content ?? ''), { meta: bits.join(' · ') });
    }
    const first = (s.user_messages || [])[0];
    if (first) rememberTitle(id, String(first.content ?? ''));
    setChatHeader();
    markActiveSession();
    if (entries.length === 0) el.messages.append(node('li', { class: 'muted small', text: 'No messages yet.' }));
    announce(`Opened ${titleOf(id)}`);
  } catch (e) {
    if (view !== chat.view) return;
    loading.remove();
    if (quiet) {
      newChat(); // the remembered conversation is gone (pruned or deleted elsewhere)
      return;
    }
    addMessage('error', e.status === 404 ? 'This conversation no longer exists.' : `Could not load: ${e.message}`);
    if (e.status === 404) refreshSessions();
  }
  el.input.focus();
}

async function deleteSession(id, title) {
  if (!window.confirm(`Delete "${title}"? This cannot be undone.`)) return;
  try {
    await api(`/api/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' });
    forgetTitle(id);
    announce(`Deleted ${title}`);
    if (chat.session === id) newChat();
  } catch (e) {
    if (e.status !== 404) {
      announce(`Could not delete: ${e.message}`);
      window.alert(`Could not delete the conversation: ${e.message}`);
    }
  }
  await refreshSessions();
  if (!el.sessions.contains(document.activeElement)) el.newChat.focus();
}

// -------------------------------------------------------------- events ---

let events = null;
let eventsDelay = 500;
let eventsTimer = 0;

function setEventsState(text, cls) {
  el.eventsState.textContent = text;
  el.eventsState.className = `badge ${cls || ''}`;
}

function addEvent(type, timestamp, detail) {
  el.eventsEmpty.hidden = true;
  const t = parseTime(timestamp);
  const when = Number.isFinite(t) ? t : Date.now();
  const li = node(
    'li',
    { class: 'fresh', title: detail || type },
    node('span', { class: 'ev-type', text: type }),
    node('time', { class: 'ev-time', datetime: new Date(when).toISOString(), text: timeFmt.format(when) }),
  );
  el.events.prepend(li);
  while (el.events.children.length > MAX_EVENTS) el.events.lastElementChild.remove();
}

function startEvents() {
  clearTimeout(eventsTimer);
  if (events) events.close();
  setEventsState('connecting', 'warn');
  const es = new EventSource(withToken('/api/events'));
  events = es;
  es.onopen = () => {
    eventsDelay = 500;
    setEventsState('live', 'ok');
  };
  es.onmessage = (ev) => {
    let data;
    try {
      data = JSON.parse(ev.data);
    } catch {
      return;
    }
    const type = String(data.type || 'event');
    const extra = Object.entries(data)
      .filter(([k]) => !['id', 'timestamp', 'type'].includes(k))
      .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`)
      .join('\n');
    addEvent(type, data.timestamp, extra);
    if (type === 'plugin_reloaded') refreshStatus();
  };
  es.addEventListener('resync', (ev) => {
    let missed = '?';
    try {
      missed = JSON.parse(ev.data).missed;
    } catch {
      /* keep ? */
    }
    addEvent(`resync (missed ${missed})`, null, 'The feed fell behind; some events were skipped.');
  });
  es.onerror = () => {
    if (es !== events) return;
    if (es.readyState === EventSource.CLOSED) {
      // The browser gave up (an HTTP error such as 401): retry with backoff.
      setEventsState('offline', 'bad');
      eventsTimer = setTimeout(startEvents, eventsDelay);
      eventsDelay = Math.min(eventsDelay * 2, 10000);
    } else {
      setEventsState('reconnecting', 'warn');
    }
  };
}

// -------------------------------------------------------------- status ---

async function fetchReady() {
  try {
    const res = await fetch('/health/ready', { cache: 'no-store' });
    return await res.json(); // 503 carries the same body
  } catch {
    return null;
  }
}

async function refreshStatus() {
  const [ready, status] = await Promise.all([fetchReady(), api('/api/status').catch((e) => e)]);
  if (ready) {
    el.stVersion.textContent = ready.version || '–';
    el.stUptime.textContent = formatUptime(ready.uptime_secs);
    const comps = ready.components || {};
    const plugins = comps.plugins || {};
    const loaded = Array.isArray(plugins.loaded) ? plugins.loaded : [];
    el.stPlugins.textContent = loaded.length ? loaded.map((p) => `${p.name} ${p.version}`).join(', ') : '–';
    const reloads = Number(plugins.reloads) || 0;
    const failed = Number(plugins.failed_reloads) || 0;
    el.stReloads.textContent = failed ? `${reloads} (${failed} failed)` : String(reloads);
    el.stReloads.title = plugins.last_error ? `Last error: ${plugins.last_error}` : '';
    const engine = comps.engine || {};
    el.stEngine.textContent = engine.name
      ? `${engine.name}${engine.default_model ? ` (${engine.default_model})` : ''}`
      : '–';
    el.stStore.textContent = comps.state_store?.detail || '–';
    const healthy = ready.status === 'healthy';
    el.statusBadge.textContent = ready.status || 'unknown';
    el.statusBadge.className = `badge ${healthy ? 'ok' : 'warn'}`;
  } else {
    el.statusBadge.textContent = 'unreachable';
    el.statusBadge.className = 'badge bad';
  }
  if (status && !(status instanceof Error)) {
    if (!ready) {
      if (status.uptime) el.stUptime.textContent = status.uptime;
      if (status.version) el.stVersion.textContent = status.version;
    }
  }
  const note = status instanceof HttpError && status.status === 401 ? ' · API token needed for details' : '';
  el.stUpdated.textContent = `Updated ${timeFmt.format(Date.now())}${note}`;
}

// ------------------------------------------------------ drawers (phone) ---

function setDrawer(panel, toggle, open) {
  panel.classList.toggle('open', open);
  toggle.setAttribute('aria-expanded', String(open));
  if (open) {
    const first = panel.querySelector('button, input, [href], [tabindex]:not([tabindex="-1"])');
    setTimeout(() => first?.focus(), 50);
  }
}

function closeDrawers({ restoreFocus = false } = {}) {
  for (const [panel, toggle] of [
    [el.sidebar, el.toggleNav],
    [el.info, el.toggleInfo],
  ]) {
    if (!panel.classList.contains('open')) continue;
    setDrawer(panel, toggle, false);
    if (restoreFocus) toggle.focus();
  }
}

el.toggleNav.addEventListener('click', () => {
  const open = !el.sidebar.classList.contains('open');
  setDrawer(el.info, el.toggleInfo, false);
  setDrawer(el.sidebar, el.toggleNav, open);
});
el.toggleInfo.addEventListener('click', () => {
  const open = !el.info.classList.contains('open');
  setDrawer(el.sidebar, el.toggleNav, false);
  setDrawer(el.info, el.toggleInfo, open);
});
document.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape') closeDrawers({ restoreFocus: true });
});
el.scroller.addEventListener('click', () => closeDrawers());

// ------------------------------------------------------------- composer ---

function autosize() {
  el.input.style.height = 'auto';
  el.input.style.height = `${Math.min(el.input.scrollHeight + 2, window.innerHeight * 0.4)}px`;
}

el.composer.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const content = el.input.value;
  if (!content.trim()) {
    el.input.focus();
    return;
  }
  el.input.value = '';
  autosize();
  submitMessage(content);
  el.input.focus();
});
el.input.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
    ev.preventDefault();
    el.composer.requestSubmit();
  }
});
el.input.addEventListener('input', autosize);
for (const chip of document.querySelectorAll('[data-suggest]')) {
  chip.addEventListener('click', () => {
    el.input.value = chip.dataset.suggest;
    autosize();
    el.input.focus();
  });
}
el.newChat.addEventListener('click', newChat);
el.refreshSessions.addEventListener('click', () => refreshSessions());

// ---------------------------------------------------------------- token ---

el.tokenInput.value = getToken();
el.tokenForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const token = el.tokenInput.value.trim();
  setToken(token);
  el.tokenNote.textContent = token ? 'Token saved in this browser. Reconnecting…' : 'Token cleared.';
  socket.reconnectNow();
  startEvents();
  refreshSessions();
  refreshStatus();
});

// ---------------------------------------------------------------- start ---

setChatHeader();
if (chat.session) {
  const id = chat.session;
  chat.session = null;
  openSession(id, { quiet: true });
} else {
  setWelcome(true);
}
socket.start();
startEvents();
refreshSessions();
refreshStatus();
setInterval(refreshStatus, STATUS_EVERY_MS);
setInterval(() => {
  if (!document.hidden) refreshSessions();
}, 60000);
