// Static files of web/ at `/` (the composer). Locally a workerd disk service bound as ASSETS,
// on Cloudflare the `[assets]` directory of wrangler.toml: the same `env.ASSETS.fetch()` either way.

const TYPES = {
  html: 'text/html; charset=utf-8', htm: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', json: 'application/json',
  map: 'application/json', wasm: 'application/wasm', svg: 'image/svg+xml', png: 'image/png',
  jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', ico: 'image/x-icon',
  txt: 'text/plain; charset=utf-8', woff2: 'font/woff2', woff: 'font/woff', ts: 'text/plain; charset=utf-8',
};

export async function serveAsset(request, env) {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return new Response('method not allowed\n', { status: 405, headers: { allow: 'GET, HEAD' } });
  }
  if (!env.ASSETS) return new Response('not found\n', { status: 404 });
  const url = new URL(request.url);
  let path = decodeURIComponent(url.pathname);
  if (path.includes('\0') || path.split('/').some((s) => s === '..' || s.startsWith('.'))) {
    return new Response('not found\n', { status: 404 });
  }
  if (path.endsWith('/')) path += 'index.html';
  const target = new URL(path, 'http://assets/');
  let res = await env.ASSETS.fetch(new Request(target, { method: request.method }));
  // A directory (the disk service lists it as JSON): serve its index.html instead.
  if (res.ok && !/\.[A-Za-z0-9]+$/.test(path) && (res.headers.get('content-type') ?? '').includes('json')) {
    res = await env.ASSETS.fetch(new Request(new URL(`${path}/index.html`, 'http://assets/'), { method: request.method }));
  }
  if (!res.ok) return new Response('not found\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  const headers = new Headers(res.headers);
  headers.set('content-type', TYPES[ext] ?? 'application/octet-stream');
  headers.set('cache-control', 'no-cache');
  headers.set('x-content-type-options', 'nosniff');
  return new Response(res.body, { status: 200, headers });
}
