// Small DOM helpers. Every value from the API is put in the page as text, never as HTML: BMC
// strings are untrusted.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

// Health or state in one word the page colours by; the word itself is always shown too.
export function tone(health, state) {
  if (state === 'UnavailableOffline' || state === 'Absent') return 'crit';
  if (health === 'Critical') return 'crit';
  if (health === 'Warning') return 'warn';
  if (health === 'OK') return 'ok';
  return 'unknown';
}

export function badge(text, t) {
  const mark = { ok: '\u25CF', warn: '\u25B2', crit: '\u2716', off: '\u25CB', unknown: '?' }[t] || '';
  return h('span', { class: `badge ${t}` }, h('span', { 'aria-hidden': 'true' }, mark), ' ', text);
}

export function fmt(value, unit, digits = 0) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '\u2013';
  return `${value.toFixed(digits)}\u00A0${unit}`;
}

export function field(label, value) {
  return [h('dt', {}, label), h('dd', {}, value === undefined || value === null || value === '' ? '\u2013' : value)];
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
