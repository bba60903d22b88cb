// reroute edge gateway: an ES-module worker for workerd and Cloudflare Workers. Every routing,
// classification, retry and stream-ending decision comes from the reroute core (WebAssembly);
// this worker performs the I/O.
//
//   POST /v1/chat/completions   OpenAI-compatible, streaming and not, with failover
//   GET  /v1/models             auto routes, routes and models of the config
//   GET  /healthz               liveness and config state
//   /admin/*                    admin plane (off unless an admin secret is configured)
//   anything else               the static files of web/
import { handleAdmin } from './admin.mjs';
import { serveAsset } from './assets.mjs';
import { handleChat } from './gateway.mjs';
import { HealthStore, HealthSync } from './health.mjs';
import { autoRoutes } from './auto.mjs';
import { errorResponse } from './http.mjs';
import { getRuntime } from './runtime.mjs';

export { HealthStore };

let sync = null;

async function models(rt) {
  const created = 0;
  const data = [
    ...autoRoutes(rt).map((a) => ({ id: a.name, object: 'model', created, owned_by: 'reroute', reroute: { kind: 'auto', candidates: a.candidates.map((c) => c.slug), default: a.default, classifier: a.classifier } })),
    ...rt.router.routes().map((r) => ({ id: r.name, object: 'model', created, owned_by: 'reroute', reroute: { kind: 'route', strategy: r.strategy, targets: r.targets.map((t) => t.ref) } })),
    ...rt.router.models().map((m) => ({
      id: m.ref, object: 'model', created, owned_by: m.provider,
      reroute: { kind: 'model', context_window: m.contextWindow, max_output_tokens: m.maxOutputTokens, capabilities: m.capabilities, free: m.free },
    })),
  ];
  return Response.json({ object: 'list', data });
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const path = url.pathname;
    if (path.startsWith('/admin/') || path === '/admin') {
      const rt = await getRuntime(env);
      sync ??= new HealthSync(rt);
      return handleAdmin(request, env, ctx, rt, sync);
    }
    if (path === '/v1/chat/completions' || path === '/chat/completions') {
      if (request.method !== 'POST') return errorResponse(405, 'Use POST.', 'method_not_allowed');
      const rt = await getRuntime(env);
      sync ??= new HealthSync(rt);
      return handleChat(request, env, ctx, rt, sync);
    }
    if (path === '/v1/models' || path === '/models') {
      const rt = await getRuntime(env);
      if (!rt.router) return Response.json({ error: { message: 'config not loaded', code: 'config_error' } }, { status: 503 });
      return models(rt);
    }
    if (path === '/healthz') {
      const rt = await getRuntime(env);
      const ok = Boolean(rt.router);
      return Response.json({
        ok, isolate: rt.isolate, configVersion: rt.configVersion,
        routes: ok ? rt.router.routes().length : 0, healthSize: rt.health?.size() ?? 0,
        ...(ok ? {} : { problems: rt.problems.map((p) => p.message) }),
      }, { status: ok ? 200 : 503 });
    }
    return serveAsset(request, env);
  },
};
