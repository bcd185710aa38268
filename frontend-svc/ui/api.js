// The page's Redfish client: one session of the aggregate (POST SessionService/Sessions, the
// X-Auth-Token header, DELETE on logout), GETs revalidated with If-None-Match, Redfish error
// bodies turned into readable messages. Only the public API, with the user's own privileges.

const KEY = 'reddrum.ui.session';
const CACHE_MAX = 400;
let session = JSON.parse(sessionStorage.getItem(KEY) || 'null');
const cache = new Map(); // uri -> { etag, body }
let unauthorized = () => {};

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export const current = () => session;
export const onUnauthorized = (f) => { unauthorized = f; };

function forget() {
  session = null;
  cache.clear();
  sessionStorage.removeItem(KEY);
}

// The first message of a Redfish error body, else the HTTP status.
async function errorOf(r) {
  let text = `${r.status} ${r.statusText}`;
  try {
    const body = await r.json();
    const info = body?.error?.['@Message.ExtendedInfo']?.[0];
    text = info?.Message || body?.error?.message || text;
  } catch { /* not JSON */ }
  return new ApiError(r.status, text);
}

export async function login(user, password) {
  forget();
  const r = await fetch('/redfish/v1/SessionService/Sessions', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ UserName: user, Password: password }),
    cache: 'no-store',
  });
  if (!r.ok) throw await errorOf(r);
  const body = await r.json().catch(() => ({}));
  session = {
    token: r.headers.get('X-Auth-Token'),
    uri: r.headers.get('Location') || body['@odata.id'],
    user,
  };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

export async function logout() {
  const s = session;
  forget();
  if (s?.uri) {
    await fetch(s.uri, { method: 'DELETE', headers: { 'X-Auth-Token': s.token } }).catch(() => {});
  }
}

async function send(method, uri, body, headers = {}) {
  if (!session) throw new ApiError(401, 'not logged in');
  const init = {
    method,
    headers: { 'X-Auth-Token': session.token, Accept: 'application/json', ...headers },
    cache: 'no-store',
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch(uri, init);
  if (r.status === 401) {
    forget();
    unauthorized();
    throw await errorOf(r);
  }
  return r;
}

// An open Server-Sent Events stream (fetch, not EventSource, which cannot send X-Auth-Token).
export async function stream(uri, signal) {
  if (!session) throw new ApiError(401, 'not logged in');
  return fetch(uri, { headers: { 'X-Auth-Token': session.token, Accept: 'text/event-stream' }, cache: 'no-store', signal });
}

// GET with the last ETag: a 304 answers from the copy held.
export async function get(uri) {
  const held = cache.get(uri);
  const r = await send('GET', uri, undefined, held ? { 'If-None-Match': held.etag } : {});
  if (r.status === 304 && held) return held.body;
  if (!r.ok) throw await errorOf(r);
  const body = await r.json();
  const etag = r.headers.get('ETag');
  if (etag) {
    cache.delete(uri);
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value);
    cache.set(uri, { etag, body });
  }
  return body;
}

// A write: { status, location, body }; errors throw with the service's message.
export async function write(method, uri, body) {
  const held = cache.get(uri);
  const r = await send(method, uri, body, method === 'PATCH' && held ? { 'If-Match': held.etag } : {});
  if (!r.ok) throw await errorOf(r);
  const text = await r.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { /* no body */ }
  cache.delete(uri);
  return { status: r.status, location: r.headers.get('Location'), body: parsed };
}

const RUNNING = new Set(['New', 'Starting', 'Running', 'Pending', 'Stopping', 'Cancelling', 'Suspended', 'Service']);

// Follows a task monitor (202 until done) or a Task (TaskState) to its end, reporting each state.
export async function followTask(uri, report, deadlineMs = 120000) {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    const r = await send('GET', uri);
    const body = await r.json().catch(() => null);
    const state = body?.TaskState;
    if (r.status === 202 || (r.ok && state && RUNNING.has(state))) {
      report(state || 'Running', body?.PercentComplete);
      await new Promise((res) => setTimeout(res, 1000));
      continue;
    }
    if (r.status === 404 || r.status === 410) return { TaskState: 'Completed' }; // monitor gone: done
    if (!r.ok) throw new ApiError(r.status, body?.error?.['@Message.ExtendedInfo']?.[0]?.Message || `${r.status}`);
    return body || { TaskState: 'Completed' };
  }
  throw new ApiError(0, 'the task did not end within two minutes');
}

// What the user may do: their account's role and its privileges. Unknown privileges mean no
// action controls (a 403 is still handled where an action is sent).
export async function privileges(user) {
  const filter = encodeURIComponent(`UserName eq '${user.replaceAll("'", "''")}'`);
  try {
    const accounts = await get(`/redfish/v1/AccountService/Accounts?$filter=${filter}&$expand=.`);
    const account = (accounts.Members || []).find((m) => m.UserName === user);
    if (!account?.RoleId) return { role: '?', privileges: [] };
    const role = await get(`/redfish/v1/AccountService/Roles/${encodeURIComponent(account.RoleId)}`);
    return {
      role: account.RoleId,
      privileges: [...(role.AssignedPrivileges || []), ...(role.OemPrivileges || [])],
    };
  } catch {
    return { role: '?', privileges: [] };
  }
}
