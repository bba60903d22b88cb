// The admin plane (failover.md II.13): off unless the config names an admin secret env and that
// env is set; refused while the secret equals a provider key; the secret is compared in constant
// time; failed authentications are rate-limited per client; every action is audited (who, what,
// when; never a secret). Actions: health view, breaker reset, credential retire/restore, explain,
// config reload (validated by the core before it replaces the running one), metrics.
import { logLine } from './log.mjs';
import { isRecord, problemsResponse } from './http.mjs';
import { routeRequest } from './gateway.mjs';
import { buildRouter } from './runtime.mjs';

export const AUTH_FAILURES_ALLOWED = 5;    // per client per window
export const AUTH_WINDOW_MS = 60_000;
export const AUTH_BLOCK_MS = 60_000;

const failures = new Map(); // client -> { count, since, blockedUntil }
const encoder = new TextEncoder();

/** The admin secret and whether it may be used: { state: 'off' | 'refused' | 'on', secret? }. */
export function adminSecret(rt, env) {
  const name = rt.router?.limits().adminSecretEnv ?? (typeof env.REROUTE_ADMIN_SECRET_ENV === 'string' ? env.REROUTE_ADMIN_SECRET_ENV : undefined);
  const secret = name && typeof env[name] === 'string' ? env[name].trim() : '';
  if (!secret) return { state: 'off' };
  if (rt.keyValues().some((k) => k === secret)) return { state: 'refused' };
  return { state: 'on', secret };
}

async function constantTimeEqual(a, b) {
  const [x, y] = await Promise.all([crypto.subtle.digest('SHA-256', encoder.encode(a)), crypto.subtle.digest('SHA-256', encoder.encode(b))]);
  if (typeof crypto.subtle.timingSafeEqual === 'function') return crypto.subtle.timingSafeEqual(x, y);
  const u = new Uint8Array(x);
  const v = new Uint8Array(y);
  let diff = 0;
  for (let i = 0; i < u.length; i++) diff |= u[i] ^ v[i];
  return diff === 0;
}

function clientOf(request) {
  return request.headers.get('cf-connecting-ip') ?? request.headers.get('x-real-ip') ?? 'local';
}

function presentedToken(request) {
  const auth = request.headers.get('authorization') ?? '';
  if (/^bearer /i.test(auth)) return auth.slice(7).trim();
  return (request.headers.get('x-reroute-admin-secret') ?? '').trim();
}

function audit(request, action, fields = {}) {
  logLine('admin', { who: { client: clientOf(request), agent: (request.headers.get('user-agent') ?? '').slice(0, 80) }, action, ...fields });
}

const json = (value, status = 200) => Response.json(value, { status, headers: { 'cache-control': 'no-store' } });

function healthStub(env) {
  return env.HEALTH ? env.HEALTH.get(env.HEALTH.idFromName('health')) : null;
}

async function toObject(env, path, body) {
  const s = healthStub(env);
  if (!s) return null;
  const res = await s.fetch(`https://health${path}`, { method: 'POST', body: body === undefined ? '' : JSON.stringify(body) });
  return res.json();
}

// The members of the action bodies: a typo must not widen an action (a reset without `resource`
// closes every breaker), so unknown members and wrong types are refused, naming the JSON path.
// `shape`: what a body that is not an object is told it must be.
const RESET_BODY = {
  shape: 'a JSON object with resource ({} resets every breaker)',
  members: { resource: { type: 'array', what: 'a resource id (an array)' } },
};
const CREDENTIAL_BODY = {
  shape: 'a JSON object with provider, fingerprint',
  members: {
    provider: { type: 'string', what: 'a provider id', required: true },
    fingerprint: { type: 'string', what: 'a key fingerprint', required: true },
  },
};

/** What is wrong with an action body ({ message, param? }), or null when it fits. */
function commandProblem(body, { shape, members }) {
  const names = Object.keys(members);
  if (!isRecord(body)) return { message: `The body must be ${shape}.` };
  const pointer = (key) => `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  for (const key of Object.keys(body)) {
    if (!Object.hasOwn(members, key)) return { message: `Unknown member ${pointer(key)}: expected ${names.join(', ')}.`, param: pointer(key) };
  }
  for (const [key, { type, what, required }] of Object.entries(members)) {
    const value = body[key];
    const fits = type === 'array' ? Array.isArray(value) : typeof value === type && value !== '';
    if (value === undefined ? required : !fits) return { message: `${pointer(key)}: expected ${what}.`, param: pointer(key) };
  }
  return null;
}

export async function handleAdmin(request, env, ctx, rt, sync) {
  const url = new URL(request.url);
  const gate = adminSecret(rt, env);
  if (gate.state === 'off') return json({ error: { message: 'not found', code: 'not_found' } }, 404);
  if (gate.state === 'refused') {
    audit(request, 'refused', { reason: 'admin_secret_equals_provider_key' });
    return json({ error: { message: 'The admin plane is disabled: its secret equals a provider key.', code: 'admin_secret_shared' } }, 503);
  }
  const client = clientOf(request);
  const now = Date.now();
  let f = failures.get(client);
  if (f && now - f.since > AUTH_WINDOW_MS && now >= f.blockedUntil) {
    failures.delete(client);
    f = undefined;
  }
  if (f && now < f.blockedUntil) {
    audit(request, 'rate_limited', { path: url.pathname });
    return json({ error: { message: 'Too many failed admin authentications.', code: 'rate_limited' } }, 429);
  }
  if (!(await constantTimeEqual(presentedToken(request), gate.secret))) {
    f ??= { count: 0, since: now, blockedUntil: 0 };
    f.count += 1;
    if (f.count >= AUTH_FAILURES_ALLOWED) f.blockedUntil = now + AUTH_BLOCK_MS;
    failures.set(client, f);
    audit(request, 'auth_failed', { path: url.pathname, failures: f.count });
    return json({ error: { message: 'unauthorized', code: 'unauthorized' } }, 401);
  }
  failures.delete(client);

  const path = url.pathname.replace(/\/+$/, '');
  const method = request.method;
  const readJson = async () => {
    try {
      return await request.json();
    } catch {
      return undefined;
    }
  };

  if (method === 'GET' && path === '/admin/health') {
    audit(request, 'health_view');
    const shared = await toObject(env, '/view');
    return json({ isolate: rt.isolate, shared: shared?.view ?? null, local: rt.health.view(now), configVersion: rt.configVersion });
  }
  if (method === 'POST' && (path === '/admin/breaker/reset' || path === '/admin/credentials/retire' || path === '/admin/credentials/restore')) {
    const body = await readJson();
    const problem = commandProblem(body, path === '/admin/breaker/reset' ? RESET_BODY : CREDENTIAL_BODY);
    if (problem) return json({ error: { ...problem, code: 'invalid_request' } }, 400);
    const cmd = path === '/admin/breaker/reset'
      ? { action: 'reset_breaker', resource: body.resource }
      : { action: path.endsWith('retire') ? 'retire_credential' : 'restore_credential', provider: body.provider, fingerprint: body.fingerprint };
    let result;
    const shared = await toObject(env, '/admin', cmd);
    if (shared) {
      result = shared.result;
      rt.health.merge(shared.health);
    }
    // Without the shared object (no HEALTH binding) the action applies to this isolate alone.
    const local = shared ? undefined : cmd.action === 'reset_breaker' ? rt.health.resetBreaker(cmd.resource, now)
      : cmd.action === 'retire_credential' ? rt.health.retireCredential(cmd.provider, cmd.fingerprint, now)
        : rt.health.restoreCredential(cmd.provider, cmd.fingerprint, now);
    result ??= local;
    audit(request, cmd.action, { resource: cmd.resource, provider: cmd.provider, fingerprint: cmd.fingerprint, ok: result?.ok, reason: result?.reason });
    return json({ result });
  }
  if (method === 'POST' && path === '/admin/explain') {
    const body = await readJson();
    if (!isRecord(body)) return json({ error: { message: 'body must be a chat completion request (JSON object)', code: 'invalid_request' } }, 400);
    audit(request, 'explain', { route: typeof body.model === 'string' ? body.model : undefined });
    const explained = rt.router.explain(routeRequest(body, request), rt.health, now);
    if (!explained.ok) return problemsResponse(explained.problems, explained.status ?? 400);
    return json({ plan: explained.plan });
  }
  if (method === 'GET' && path === '/admin/config') {
    audit(request, 'config_view');
    return json({ version: rt.configVersion, config: JSON.parse(rt.configText || 'null'), warnings: rt.warnings });
  }
  if ((method === 'POST' || method === 'PUT') && path === '/admin/config') {
    const text = await request.text();
    const built = buildRouter(rt.api, env, text);
    if (!built.ok) {
      audit(request, 'config_reload', { ok: false, problems: built.problems.length });
      return problemsResponse(built.problems, 400);
    }
    const candidate = { keyValues: () => Object.values(built.keys), router: built.router };
    const secretAfter = adminSecret(candidate, env);
    built.router.free();
    if (secretAfter.state === 'refused') {
      audit(request, 'config_reload', { ok: false, reason: 'admin_secret_equals_provider_key' });
      return json({ error: { message: 'The new config makes the admin secret equal to a provider key.', code: 'admin_secret_shared' } }, 400);
    }
    const stored = await toObject(env, '/config', { text });
    const version = stored?.version ?? rt.configVersion + 1;
    rt.install(text, version);
    audit(request, 'config_reload', { ok: true, version, warnings: built.warnings.length });
    return json({ ok: true, version, warnings: built.warnings });
  }
  if (method === 'GET' && path === '/admin/routes') {
    audit(request, 'routes_view');
    return json({ routes: rt.router.routes(), limits: rt.router.limits() });
  }
  if (method === 'GET' && path === '/admin/metrics') {
    audit(request, 'metrics');
    return new Response(metrics(rt, now), { headers: { 'content-type': 'text/plain; version=0.0.4' } });
  }
  audit(request, 'unknown', { path, method });
  return json({ error: { message: `no admin action ${method} ${path}`, code: 'not_found' } }, 404);
}

/** Prometheus text of this isolate's health totals and route traffic. */
function metrics(rt, now) {
  const lines = [];
  const t = rt.health.totals();
  const esc = (s) => String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  for (const [k, v] of Object.entries(t)) {
    const name = `reroute_health_${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_total`;
    lines.push(`# TYPE ${name} counter`, `${name}{isolate="${esc(rt.isolate)}"} ${v}`);
  }
  const view = rt.health.view(now);
  const states = { closed: 0, ejected: 0, half_open: 0 };
  for (const r of view.resources) if (r.breaker) states[r.breaker.status] += 1;
  lines.push('# TYPE reroute_breakers gauge');
  for (const [s, n] of Object.entries(states)) lines.push(`reroute_breakers{isolate="${esc(rt.isolate)}",state="${s}"} ${n}`);
  lines.push('# TYPE reroute_route_active_requests gauge', '# TYPE reroute_route_budget_refusals_total counter');
  for (const r of rt.router.traffic()) {
    lines.push(`reroute_route_active_requests{route="${esc(r.route)}"} ${r.activeRequests}`);
    lines.push(`reroute_route_retries_in_flight{route="${esc(r.route)}"} ${r.retriesInFlight}`);
    lines.push(`reroute_route_budget_refusals_total{route="${esc(r.route)}"} ${r.budgetRefusals}`);
  }
  return `${lines.join('\n')}\n`;
}
