// The rack page: log in with a Redfish session, then poll the rack every few seconds (ETags make
// unchanged resources cheap) and redraw the elevation; the right pane shows the selected server
// or the rack manager. Live events: what changed between polls (a BMC going down or back, a
// power state) and the EventService's Server-Sent Events where it offers them, newest first.

import * as api from './api.js';
import { h, replace, sleep } from './dom.js';
import * as rack from './rack.js';
import { renderServer, renderManager, activity } from './detail.js';

const POLL_MS = 3000;
const POWER_EVERY = 5; // servers' own Power read every 5th poll (one request per server)
const $ = (id) => document.getElementById(id);
const state = { model: null, selected: 'manager', user: null, events: [], generation: 0, detailBusy: false };

function show(view) {
  $('login-view').hidden = view !== 'login';
  $('rack-view').hidden = view !== 'rack';
}

async function start() {
  api.onUnauthorized(() => { state.generation += 1; state.stream?.abort(); showLogin('Your session ended; log in again.'); });
  $('login-form').addEventListener('submit', onLogin);
  if (api.current()) await enter(); else showLogin('');
}

function showLogin(message) {
  state.user = null;
  replace($('who'));
  $('login-error').textContent = message;
  show('login');
  $('login-user').focus();
}

async function onLogin(ev) {
  ev.preventDefault();
  $('login-submit').disabled = true;
  try {
    await api.login($('login-user').value, $('login-password').value);
    $('login-password').value = '';
    await enter();
  } catch (e) {
    $('login-error').textContent = e.status === 401 ? 'Wrong user name or password.' : e.message;
  } finally {
    $('login-submit').disabled = false;
  }
}

async function enter() {
  const s = api.current();
  const p = await api.privileges(s.user);
  state.user = { name: s.user, ...p };
  replace($('who'), h('span', { id: 'user-name' }, `${s.user} (${p.role})`),
    h('button', { type: 'button', id: 'logout', onclick: onLogout }, 'Log out'));
  document.body.dataset.canAct = String(p.privileges.includes('ConfigureComponents'));
  show('rack');
  poll(++state.generation);
  listen();
}

// Live events from the EventService's Server-Sent Events where it offers them; without them
// (or when the stream fails) the events the polls see stand alone.
async function listen() {
  state.stream?.abort();
  const stream = new AbortController();
  state.stream = stream;
  try {
    const uri = (await api.get('/redfish/v1/EventService')).ServerSentEventUri;
    if (!uri) return;
    const r = await api.stream(uri, stream.signal);
    if (!r.ok || !r.body || !(r.headers.get('Content-Type') || '').startsWith('text/event-stream')) return;
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf = (buf + value).replace(/\r\n?/g, '\n');
      let end;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const data = buf.slice(0, end).split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
        buf = buf.slice(end + 2);
        try {
          for (const e of JSON.parse(data).Events || []) note(e.Message || e.MessageId || 'event');
        } catch { /* a comment, a keep-alive, or not an Event */ }
      }
      if (buf.length > 1 << 20) buf = ''; // no event boundary in a megabyte: drop it, stay bounded
    }
  } catch { /* aborted on logout, or no stream: the polls go on */ }
}

async function onLogout() {
  state.generation += 1;
  state.stream?.abort();
  await api.logout();
  showLogin('Logged out.');
}

function select(key) {
  state.selected = key;
  redraw();
  showDetail();
}

function note(text) {
  state.events.unshift({ at: new Date(), text });
  state.events.length = Math.min(state.events.length, 50);
}

// Events from the difference between two polls.
function diff(before, after) {
  if (!before) return;
  for (const s of after.servers) {
    const old = before.servers.find((o) => o.id === s.id);
    if (!old) { note(`${s.id} joined the rack`); continue; }
    const [a, b] = [rack.condition(old), rack.condition(s)];
    if (a.state !== b.state) note(`${s.id}: ${a.word} \u2192 ${b.word}${b.reason ? ` (${b.reason})` : ''}`);
    const [pa, pb] = [old.system?.PowerState, s.system?.PowerState];
    if (pa && pb && pa !== pb) note(`${s.id}: power ${pa} \u2192 ${pb}`);
  }
}

function redraw() {
  if (!state.model) return;
  rack.renderTotals($('totals'), state.model);
  rack.renderElevation($('elevation'), state.model, state.selected, select);
  const title = state.model.rack?.Name || 'Rack';
  $('rack-title').textContent = title;
  document.title = title;
}

async function showDetail() {
  const el = $('detail');
  if (!state.model || activity.busy) return;
  if (state.detailBusy) { state.detailAgain = true; return; }
  state.detailBusy = true;
  state.detailAgain = false;
  try {
    if (state.selected === 'manager' || state.selected.startsWith('chassis:')) {
      await renderManager(el, state.model, state.events);
    } else {
      const server = state.model.servers.find((s) => s.id === state.selected);
      if (server) await renderServer(el, server, state.user, () => refreshSoon());
    }
  } catch (e) {
    replace(el, h('p', { class: 'error' }, e.message));
  } finally {
    state.detailBusy = false;
  }
  if (state.detailAgain) showDetail();
}

let wake = null;
function refreshSoon() { if (wake) wake(); }

async function poll(generation) {
  let detailAge = 0;
  let tick = 0;
  while (generation === state.generation) {
    try {
      const model = await rack.load(state.model, tick++ % POWER_EVERY === 0);
      if (generation !== state.generation) return;
      diff(state.model, model);
      const changed = !state.model || JSON.stringify(summary(state.model)) !== JSON.stringify(summary(model));
      state.model = model;
      redraw();
      $('poll-status').textContent = `Updated ${model.at.toLocaleTimeString()}`;
      // The detail pane is redrawn when its server changed, and every 15 s otherwise (its log).
      if (changed || detailAge >= 5 || !$('detail').hasChildNodes()) { detailAge = 0; showDetail(); } else detailAge += 1;
    } catch (e) {
      if (generation !== state.generation) return;
      $('poll-status').textContent = `Cannot read the rack: ${e.message}`;
    }
    await Promise.race([sleep(POLL_MS), new Promise((r) => { wake = r; })]);
  }
}

// What the detail pane depends on, per server.
function summary(model) {
  return model.servers.map((s) => [s.id, rack.condition(s).state, s.system?.PowerState, s.system?.Status?.Health,
    s.system?.LocationIndicatorActive, s.system?.IndicatorLED]).concat([state.events.length]);
}

start();
