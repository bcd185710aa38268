// The right-hand pane: one server's system, chassis, manager, firmware, recent log entries and
// the actions its user may take; or the rack manager's log and live events.

import * as api from './api.js';
import { h, replace, tone, badge, field, fmt } from './dom.js';
import { condition } from './rack.js';

const link = (o) => o?.['@odata.id'];
// While an action runs the pane is not redrawn; its last outcome is shown again after a redraw.
export const activity = { busy: false, status: null };
const LOG_ENTRIES = 12;

async function tryGet(uri) {
  if (!uri) return null;
  try { return await api.get(uri); } catch (e) { return { error: e.message, status: e.status }; }
}

// Newest entries of the first log service that has any (a manager's or a system's).
async function recentEntries(owner) {
  const services = await tryGet(link(owner?.LogServices));
  for (const m of (services?.Members || []).slice(0, 4)) {
    const svc = await tryGet(link(m));
    const entries = await tryGet(link(svc?.Entries));
    const list = entries?.Members || [];
    if (list.length) {
      const newest = [...list].sort((a, b) => String(b.Created || '').localeCompare(String(a.Created || '')));
      return { service: svc.Name || svc.Id, entries: newest.slice(0, LOG_ENTRIES) };
    }
  }
  return { service: null, entries: [] };
}

function logTable(entries, id) {
  if (!entries.length) return h('p', { class: 'muted' }, 'No entries.');
  return h('table', { class: 'log', id },
    h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Severity'), h('th', {}, 'Message'))),
    h('tbody', {}, entries.map((e) => h('tr', {},
      h('td', {}, (e.Created || '').replace('T', ' ').replace(/(\.\d+)?(Z|[+-]\d\d:\d\d)$/, '')),
      h('td', {}, badge(e.Severity || '\u2013', tone(e.Severity))),
      h('td', {}, e.Message || e.MessageId || '')))));
}

function section(title, ...body) {
  return h('section', { class: 'card' }, h('h3', {}, title), ...body);
}

// ---- actions: a confirmation, the request, the resulting Task followed to its end.

async function confirmAction(text) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
}

async function perform(ctx, label, method, uri, body) {
  activity.busy = true;
  try {
    if (await confirmAction(`${label} on ${ctx.server.id}?`)) await send(ctx, label, method, uri, body);
  } finally {
    activity.busy = false;
  }
  ctx.refresh();
}

async function send(ctx, label, method, uri, body) {
  const out = ctx.status;
  const say = (state, text) => {
    activity.status = { id: ctx.server.id, state, text };
    out.dataset.state = state;
    out.textContent = text;
  };
  say('running', `${label}: sent\u2026`);
  try {
    const r = await api.write(method, uri, body);
    let result = 'Completed';
    if (r.status === 202 && r.location) {
      const task = await api.followTask(r.location, (s, pct) => say('running', `${label}: task ${s}${pct !== undefined ? ` ${pct}%` : ''}`));
      result = task?.TaskState || 'Completed';
      if (task?.TaskStatus && task.TaskStatus !== 'OK') result += ` (${task.TaskStatus})`;
    }
    say(result.startsWith('Completed') ? 'done' : 'failed', `${label}: ${result}`);
  } catch (e) {
    say('failed', e.status === 403 ? `${label}: not allowed for your account (${e.message})` : `${label}: ${e.message}`);
  }
}

function actionControls(ctx, system, chassis) {
  const reset = system?.Actions?.['#ComputerSystem.Reset'];
  const allowed = reset?.['ResetType@Redfish.AllowableValues'];
  const may = (t) => !allowed || allowed.includes(t);
  const buttons = [];
  // What the power state makes pointless is shown but disabled (Power on while on, ...).
  const power = system?.PowerState;
  const resetButton = (type, label, cls = '') => {
    if (reset?.target && may(type)) {
      const idle = type === 'On' ? power === 'On' : power === 'Off';
      buttons.push(h('button', { type: 'button', class: `action ${cls}`, dataset: { action: type }, disabled: idle,
        onclick: () => perform(ctx, label, 'POST', reset.target, { ResetType: type }) }, label));
    }
  };
  resetButton('On', 'Power on');
  resetButton('GracefulShutdown', 'Graceful shutdown');
  resetButton('ForceOff', 'Force off', 'danger');
  resetButton(may('GracefulRestart') ? 'GracefulRestart' : 'ForceRestart', 'Restart');
  const reseat = chassis?.Actions?.Oem?.['#RedDrum.PduReseat'];
  if (reseat?.target) {
    buttons.push(h('button', { type: 'button', class: 'action danger', dataset: { action: 'PduReseat' },
      onclick: () => perform(ctx, 'PDU reseat', 'POST', reseat.target, {}) }, 'PDU reseat'));
  }
  if (system && (system.LocationIndicatorActive !== undefined || system.IndicatorLED !== undefined)) {
    const lit = system.LocationIndicatorActive ?? system.IndicatorLED !== 'Off';
    const body = system.LocationIndicatorActive !== undefined
      ? { LocationIndicatorActive: !lit } : { IndicatorLED: lit ? 'Off' : 'Lit' };
    buttons.push(h('button', { type: 'button', class: 'action', dataset: { action: 'Locator' },
      onclick: () => perform(ctx, lit ? 'Locator LED off' : 'Locator LED on', 'PATCH', link(system), body) },
    lit ? 'Locator LED off' : 'Locator LED on'));
  }
  return buttons;
}

// ---- a server

export async function renderServer(el, server, user, refresh) {
  const c = condition(server);
  const head = h('div', { class: 'detail-head' }, h('h2', {}, `${server.id} \u00B7 ${server.system?.Model || server.chassis?.Model || ''}`),
    badge(c.word, c.tone));
  const last = activity.status?.id === server.id ? activity.status : null;
  const status = h('p', { id: 'action-status', class: 'action-status', role: 'status', dataset: { state: last?.state || 'idle' } }, last?.text || '');
  replace(el, head, c.reason ? h('p', { class: 'reason crit-text' }, c.reason) : null, h('p', { class: 'muted' }, 'Loading\u2026'));
  // A BMC that is down answers nothing but 503: show what the rack last saw, read nothing more.
  const down = c.state === 'down';
  const gone = { error: 'the BMC is down; last known values shown', status: 503 };
  const [system, chassis] = down ? [gone, gone]
    : await Promise.all([tryGet(link(server.system)), tryGet(link(server.chassis))]);
  const sys = system?.error ? server.system : system;
  const managerUri = link(sys?.Links?.ManagedBy?.[0]) || link(chassis?.Links?.ManagedBy?.[0]);
  const [manager, firmware] = down ? [gone, null]
    : await Promise.all([tryGet(managerUri), tryGet('/redfish/v1/UpdateService/FirmwareInventory')]);
  const fwMembers = (firmware?.Members || []).filter((m) => String(link(m)).split('/').pop().startsWith(`${server.id}-`)).slice(0, 12);
  const [fw, logs] = await Promise.all([
    Promise.all(fwMembers.map((m) => tryGet(link(m)))),
    system?.error ? { entries: [] } : recentEntries(sys).then((r) => (r.entries.length ? r : recentEntries(manager))),
  ]);
  const ctx = { server, status, refresh };
  const canAct = user.privileges.includes('ConfigureComponents');
  const controls = canAct && !system?.error ? actionControls(ctx, sys, chassis?.error ? null : chassis) : [];
  const ch = chassis?.error ? server.chassis : chassis;
  replace(el, head,
    c.reason ? h('p', { class: 'reason crit-text' }, c.reason) : null,
    system?.error ? h('p', { class: 'error' }, down ? 'The BMC is down: last known values shown.' : `Cannot read the system now: ${system.error}`) : null,
    controls.length ? h('div', { class: 'actions', id: 'actions' }, controls, status) : null,
    section('System', h('dl', {},
      field('Power', sys?.PowerState), field('Health', sys?.Status?.Health), field('Model', sys?.Model),
      field('Manufacturer', sys?.Manufacturer), field('Serial number', sys?.SerialNumber),
      field('BIOS', sys?.BiosVersion), field('Processors', sys?.ProcessorSummary ? `${sys.ProcessorSummary.Count ?? ''} \u00D7 ${sys.ProcessorSummary.Model || ''}` : ''),
      field('Memory', sys?.MemorySummary?.TotalSystemMemoryGiB !== undefined ? `${sys.MemorySummary.TotalSystemMemoryGiB} GiB` : ''),
      field('Locator LED', sys?.LocationIndicatorActive !== undefined ? (sys.LocationIndicatorActive ? 'On' : 'Off') : sys?.IndicatorLED))),
    section('Chassis', h('dl', {},
      field('Type', ch?.ChassisType), field('Model', ch?.Model), field('Serial number', ch?.SerialNumber),
      field('Power draw', fmt(server.watts, 'W')), field('Inlet', fmt(server.inlet, '\u00B0C')),
      field('Placement', ch?.Location?.Placement ? Object.entries(ch.Location.Placement).map(([k, v]) => `${k} ${v}`).join(', ') : ''))),
    section('Manager (BMC)', manager?.error ? h('p', { class: 'error' }, manager.error) : h('dl', {},
      field('Model', manager?.Model), field('Firmware', manager?.FirmwareVersion), field('Health', manager?.Status?.Health),
      field('BMC address', server.bmc.HostName))),
    section('Firmware', fw.length ? h('dl', {}, fw.filter((f) => f && !f.error).map((f) => field(f.Name || f.Id, f.Version))) : h('p', { class: 'muted' }, 'None listed.')),
    section(`Recent log entries${logs.service ? ` (${logs.service})` : ''}`, logTable(logs.entries, 'server-log')));
}

// ---- the rack manager: its log and the live events

export async function renderManager(el, model, events) {
  const managerUri = link(model.rack?.Links?.ManagedBy?.[0]) || '/redfish/v1/Managers/Aggregator';
  const manager = await tryGet(managerUri);
  const log = manager?.error ? { entries: [] } : await recentEntries(manager);
  const pc = model.power?.PowerControl?.[0] || {};
  replace(el,
    h('div', { class: 'detail-head' }, h('h2', {}, 'Rack manager'), badge(manager?.Status?.Health || 'Unknown', tone(manager?.Status?.Health))),
    section('Rack', h('dl', {},
      field('Model', model.rack?.Model), field('Serial number', model.rack?.SerialNumber),
      field('Power draw', fmt(pc.PowerConsumedWatts, 'W')), field('Power limit', fmt(pc.PowerLimit?.LimitInWatts, 'W')),
      field('Manager firmware', manager?.FirmwareVersion))),
    section('Live events', events.length
      ? h('ul', { class: 'events', id: 'events' }, events.map((e) => h('li', {}, h('time', {}, e.at.toLocaleTimeString()), ' ', e.text)))
      : h('p', { class: 'muted' }, 'Nothing has happened since the page opened.')),
    section(`Rack manager log${log.service ? ` (${log.service})` : ''}`, logTable(log.entries, 'manager-log')));
}
