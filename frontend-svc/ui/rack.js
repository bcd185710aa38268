// The rack's model and its elevation. The model comes from a handful of collection reads per
// poll ($expand where one read beats one per server): the BMCs (AggregationSources), the
// systems, the chassis (servers, the switch, the rack) and the rack's Power and Thermal, which
// the rack manager computes from the servers' latest readings.

import * as api from './api.js';
import { h, replace, tone, badge, fmt } from './dom.js';

const SYSTEM_PROPS = 'Id,Name,Model,Manufacturer,SerialNumber,PowerState,Status,Links,LocationIndicatorActive,IndicatorLED';
const CHASSIS_PROPS = 'Id,Name,Model,Manufacturer,SerialNumber,ChassisType,PowerState,Status,Location,Links,Power,Thermal,Actions,LocationIndicatorActive,IndicatorLED';

const members = (c) => (c?.Members || []).filter((m) => m && m.Id !== undefined);
const bmcOf = (id) => String(id).split('-')[0];
const bare = (uri) => String(uri || '').replace(/\/+$/, ''); // some BMCs end ids with '/'

// One read of everything the elevation shows; `last` keeps what a BMC that is down showed before.
// With `withPower`, each server chassis' own Power is read too (one request per server, so the
// caller does it every few polls): its PowerConsumedWatts is the server's draw.
export async function load(last, withPower) {
  const [sources, systems, chassis] = await Promise.all([
    api.get('/redfish/v1/AggregationService/AggregationSources?$expand=.'),
    api.get(`/redfish/v1/Systems?$expand=.&$select=${SYSTEM_PROPS}`),
    api.get(`/redfish/v1/Chassis?$expand=.&$select=${CHASSIS_PROPS}`),
  ]);
  const bmcs = members(sources);
  const bmcIds = new Set(bmcs.map((b) => b.Id));
  const allChassis = members(chassis);
  const rack = allChassis.find((c) => c.ChassisType === 'Rack') || null;
  const local = allChassis.filter((c) => !bmcIds.has(bmcOf(c.Id)) && c !== rack);
  const [power, thermal] = await Promise.all([
    rack?.Power ? api.get(rack.Power['@odata.id']).catch(() => null) : null,
    rack?.Thermal ? api.get(rack.Thermal['@odata.id']).catch(() => null) : null,
  ]);
  const readings = readingsByChassis(thermal);
  const draws = withPower ? await serverDraws(bmcs, allChassis) : new Map();
  const servers = bmcs.map((bmc, order) => {
    const prev = last?.servers.find((s) => s.id === bmc.Id);
    const sys = members(systems).filter((s) => bmcOf(s.Id) === bmc.Id);
    const ch = allChassis.filter((c) => bmcOf(c.Id) === bmc.Id);
    // The server's own chassis: the one its system names, else its first.
    const named = sys[0]?.Links?.Chassis?.[0]?.['@odata.id'];
    const main = ch.find((c) => c['@odata.id'] === named) || ch[0];
    const fresh = { system: sys[0], chassis: main };
    // A member that could not be read (BMC down) stays a bare reference: keep what was shown.
    const system = fresh.system?.PowerState !== undefined || fresh.system?.Status ? fresh.system : prev?.system || fresh.system;
    const chas = fresh.chassis?.ChassisType !== undefined || fresh.chassis?.Status ? fresh.chassis : prev?.chassis || fresh.chassis;
    const r = readings.get(bare(chas?.['@odata.id'])) || {};
    const down = bmc.Status?.State === 'UnavailableOffline';
    return {
      id: bmc.Id, order, bmc, system, chassis: chas,
      watts: draws.has(bmc.Id) ? draws.get(bmc.Id) : down ? undefined : prev?.watts,
      inlet: down ? undefined : r.inlet ?? prev?.inlet,
      offset: chas?.Location?.Placement?.RackOffset,
    };
  });
  return { rack, local, servers, power, thermal, at: new Date() };
}

// Per BMC that is up: the draw its server chassis reports (PowerControl[0].PowerConsumedWatts).
async function serverDraws(bmcs, allChassis) {
  const out = new Map();
  await Promise.all(bmcs.filter((b) => b.Status?.State !== 'UnavailableOffline').map(async (b) => {
    const main = allChassis.find((c) => bmcOf(c.Id) === b.Id && c.Power);
    if (!main) return;
    try {
      const p = await api.get(main.Power['@odata.id']);
      const w = p?.PowerControl?.[0]?.PowerConsumedWatts;
      if (typeof w === 'number') out.set(b.Id, w);
    } catch { /* shown as unknown */ }
  }));
  return out;
}

// Per server chassis: its inlet temperature, from the rack's copies of the servers' sensors
// (each names its server chassis in RelatedItem).
function readingsByChassis(thermal) {
  const out = new Map();
  const at = (uri) => { if (!out.has(uri)) out.set(uri, {}); return out.get(uri); };
  const owners = (item) => (item.RelatedItem || []).map((l) => l['@odata.id']).filter((u) => u && !u.includes('#')).map(bare);
  for (const t of thermal?.Temperatures || []) {
    if (typeof t.ReadingCelsius !== 'number') continue;
    const inlet = /inlet|intake|ambient/i.test(`${t.Name} ${t.PhysicalContext}`);
    for (const uri of owners(t)) if (inlet && at(uri).inlet === undefined) at(uri).inlet = t.ReadingCelsius;
  }
  return out;
}

// How a BMC is doing, as shown: the aggregation source's status first (down, degraded), then
// the server's own health.
export function condition(server) {
  const st = server.bmc.Status || {};
  const reasons = (st.Conditions || []).map((c) => c.Message).filter(Boolean);
  if (st.State === 'UnavailableOffline') {
    return { tone: 'crit', word: 'BMC down', reason: reasons.join('; ') || 'unreachable', state: 'down' };
  }
  if (st.Health === 'Warning') {
    return { tone: 'warn', word: 'BMC degraded', reason: reasons.join('; '), state: 'degraded' };
  }
  if (st.State === 'Starting') return { tone: 'unknown', word: 'Discovering', reason: '', state: 'starting' };
  const health = server.system?.Status?.HealthRollup || server.system?.Status?.Health || server.chassis?.Status?.Health;
  return { tone: tone(health), word: health || 'Unknown', reason: '', state: 'ok' };
}

// Slots top to bottom: servers with a RackOffset by offset (highest U on top), then the others in
// rack order.
export function ordered(servers) {
  const placed = servers.filter((s) => typeof s.offset === 'number').sort((a, b) => b.offset - a.offset);
  const rest = servers.filter((s) => typeof s.offset !== 'number').sort((a, b) => a.order - b.order);
  return [...placed, ...rest];
}

function powerWord(state) {
  return h('span', { class: `power ${state === 'On' ? 'on' : state === 'Off' ? 'off' : 'unknown'}` },
    state === 'On' ? '\u25CF On' : state === 'Off' ? '\u25CB Off' : (state || '\u2013'));
}

export function renderTotals(el, model) {
  const pc = model.power?.PowerControl?.[0] || {};
  const limit = pc.PowerLimit?.LimitInWatts;
  const used = pc.PowerConsumedWatts;
  const over = typeof limit === 'number' && typeof used === 'number' && used > limit;
  const down = model.servers.filter((s) => condition(s).state === 'down').length;
  const rollup = model.rack?.Status?.HealthRollup || model.rack?.Status?.Health;
  replace(el,
    h('span', { id: 'rack-health' }, badge(`Rack ${rollup || 'Unknown'}`, tone(rollup))),
    h('span', { id: 'rack-power', class: over ? 'over' : '' }, 'Power ', h('strong', {}, fmt(used, 'W')),
      ' of ', typeof limit === 'number' ? fmt(limit, 'W') : 'no limit', over ? ' (over the limit)' : ''),
    h('span', {}, `${model.servers.length} servers`, down ? h('strong', { class: 'crit-text' }, `, ${down} BMC down`) : ''));
}

export function renderElevation(el, model, selected, select) {
  const slot = (key, attrs, ...cells) => h('li', {},
    h('button', { type: 'button', class: `slot ${attrs.class || ''}${selected === key ? ' selected' : ''}`,
      id: `slot-${key}`, dataset: attrs.dataset, onclick: () => select(key) }, ...cells));
  const rows = [];
  const switches = model.local.filter((c) => c.ChassisType !== 'Rack');
  for (const sw of switches) {
    rows.push(slot(`chassis:${sw.Id}`, { class: 'infra', dataset: { kind: 'switch' } },
      h('span', { class: 'u' }, 'SW'),
      h('span', { class: 'name' }, sw.Name || sw.Id, h('small', {}, sw.Model || '')),
      badge(sw.Status?.Health || 'Unknown', tone(sw.Status?.Health)),
      powerWord(sw.PowerState), h('span', { class: 'num' }), h('span', { class: 'num' })));
  }
  rows.push(slot('manager', { class: 'infra', dataset: { kind: 'manager' } },
    h('span', { class: 'u' }, 'RM'),
    h('span', { class: 'name' }, 'Rack manager', h('small', {}, model.rack?.Model || model.rack?.Name || '')),
    badge(model.rack?.Status?.Health || 'OK', tone(model.rack?.Status?.Health || 'OK')),
    h('span', { class: 'power' }), h('span', { class: 'num' }), h('span', { class: 'num' })));
  for (const s of ordered(model.servers)) {
    const c = condition(s);
    const power = s.system?.PowerState || s.chassis?.PowerState;
    rows.push(slot(s.id, { class: `server tone-${c.tone}`, dataset: { bmc: s.id, state: c.state, power: power || '' } },
      h('span', { class: 'u' }, typeof s.offset === 'number' ? `U${s.offset}` : s.id),
      h('span', { class: 'name' }, `${s.id} \u00B7 ${s.system?.Model || s.chassis?.Model || s.system?.Name || ''}`,
        c.reason ? h('small', { class: 'reason' }, c.reason) : h('small', {}, s.system?.Manufacturer || '')),
      badge(c.word, c.tone),
      powerWord(power),
      h('span', { class: 'num', title: 'Power draw' }, fmt(s.watts, 'W')),
      h('span', { class: 'num', title: 'Inlet temperature' }, fmt(s.inlet, '\u00B0C', 0))));
  }
  replace(el, rows);
}
