// Generates the workerd configuration (Cap'n Proto text) that runs the gateway locally: the worker
// modules (this folder plus the WASM package), the routing config as a text binding, provider keys
// and the admin secret from environment variables, the health Durable Object, the web/ assets and
// a network service that may reach loopback upstreams when the routing config opts in.
// Node only (never bundled into the worker).
//
//   node edge/src/config-gen.mjs --config edge/demo-config.json --out build/edge [--isolates 2]
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// The same date and flags as edge/wrangler.toml (tests/edge/config-check.test.mjs compares them):
// locally and on Cloudflare the worker runs with the same runtime behaviour. enable_request_signal
// makes request.signal fire when the client goes away, which cancels the upstream request.
export const COMPATIBILITY_DATE = '2024-09-01';
export const COMPATIBILITY_FLAGS = ['enable_request_signal'];

/** A routing config that does not load: every problem the core found, one line each. */
export class ConfigProblems extends Error {
  constructor(configPath, problems) {
    super(`${configPath}: the routing config has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${p.message}`).join('\n')}`);
    this.problems = problems;
  }
}

/**
 * Loads the routing config with the core, as the worker will: throws ConfigProblems when it does
 * not load. Returns the environment-variable names it reads ({ keys, adminSecretEnv }) and its
 * lint warnings.
 */
export async function checkConfig(configPath, configText, pkgDir) {
  const { loadReroute } = await import(pathToFileURL(join(pkgDir, 'reroute.mjs')).href);
  const api = await loadReroute(readFileSync(join(pkgDir, 'reroute_core.wasm')));
  const loaded = api.createRouter(configText);
  if (!loaded.ok) throw new ConfigProblems(configPath, loaded.problems.filter((p) => p.severity === 'error'));
  const { credentialEnvs, adminSecretEnv } = loaded.router.limits();
  loaded.router.free();
  return { keys: credentialEnvs, adminSecretEnv, warnings: loaded.warnings };
}

// workerd's network permission: loopback and private upstreams only when the config opted in
// (the core's host policy has already refused private hosts that did not).
function allowsPrivateHosts(configText) {
  const doc = JSON.parse(configText);
  return doc.allow_private_hosts === true || (Array.isArray(doc.providers) && doc.providers.some((p) => p?.allow_private_hosts === true));
}

const capnpString = (s) => JSON.stringify(String(s));

// The composer as served at `/`: the build's site (web/ plus the module's runtime files, made by
// scripts/build --wasm), else web/ alone.
function defaultSiteDir() {
  const site = join(ROOT, 'build/wasm/site');
  return existsSync(join(site, 'reroute_core.wasm')) ? site : join(ROOT, 'web');
}

/**
 * Checks the routing config with the core (throws ConfigProblems), then writes
 * `<outDir>/workerd.capnp` and `<outDir>/config.json`. Resolves { path (of the capnp), envNames,
 * keys, adminSecretEnv, warnings }. `isolates`: how many gateway services (each its own isolate,
 * each with a socket named `http`, `http2`, …) share the health Durable Object namespace of the first.
 */
export async function generate({
  configPath, outDir = join(ROOT, 'build/edge'), isolates = 1, pkgDir = process.env.REROUTE_PKG ?? join(ROOT, 'build/wasm/pkg'),
  webDir = defaultSiteDir(), srcDir = join(ROOT, 'edge/src'), extraEnv = [], passThrough,
} = {}) {
  mkdirSync(outDir, { recursive: true });
  const configText = readFileSync(configPath, 'utf8');
  const { keys, adminSecretEnv, warnings } = await checkConfig(configPath, configText, pkgDir);
  const allowPrivate = allowsPrivateHosts(configText);
  writeFileSync(join(outDir, 'config.json'), configText);
  if (!existsSync(webDir)) {
    webDir = join(outDir, 'web-empty');
    mkdirSync(webDir, { recursive: true });
  }

  const rel = (p) => relative(outDir, p);
  const srcModules = readdirSync(srcDir).filter((f) => f.endsWith('.mjs') && f !== 'config-gen.mjs').sort();
  const modules = [
    `(name = "edge/src/worker.mjs", esModule = embed ${capnpString(rel(join(srcDir, 'worker.mjs')))})`,
    ...srcModules.filter((f) => f !== 'worker.mjs')
      .map((f) => `(name = "edge/src/${f}", esModule = embed ${capnpString(rel(join(srcDir, f)))})`),
    `(name = "build/wasm/pkg/reroute.mjs", esModule = embed ${capnpString(rel(join(pkgDir, 'reroute.mjs')))})`,
    `(name = "build/wasm/pkg/routing.mjs", esModule = embed ${capnpString(rel(join(pkgDir, 'routing.mjs')))})`,
    `(name = "build/wasm/pkg/reroute_core.mjs", esModule = embed ${capnpString(rel(join(pkgDir, 'reroute_core.mjs')))})`,
    `(name = "build/wasm/pkg/reroute_core.wasm", wasm = embed ${capnpString(rel(join(pkgDir, 'reroute_core.wasm')))})`,
  ];
  const envNames = [...new Set([...keys, ...(adminSecretEnv ? [adminSecretEnv] : []), ...extraEnv])];

  const workerBlock = (index) => {
    const health = index === 0
      ? '(name = "HEALTH", durableObjectNamespace = "HealthStore")'
      : '(name = "HEALTH", durableObjectNamespace = (className = "HealthStore", serviceName = "gateway"))';
    const bindings = [
      `(name = "REROUTE_CONFIG", text = embed "config.json")`,
      `(name = "REROUTE_ISOLATE", text = ${capnpString(index === 0 ? 'gateway' : `gateway${index + 1}`)})`,
      ...(adminSecretEnv ? [`(name = "REROUTE_ADMIN_SECRET_ENV", text = ${capnpString(adminSecretEnv)})`] : []),
      ...envNames.map((n) => `(name = ${capnpString(n)}, fromEnvironment = ${capnpString(n)})`),
      health,
      '(name = "ASSETS", service = "assets")',
    ];
    return `(
  modules = [
    ${modules.join(',\n    ')},
  ],
  bindings = [
    ${bindings.join(',\n    ')},
  ],
  compatibilityDate = "${COMPATIBILITY_DATE}",
  compatibilityFlags = [${COMPATIBILITY_FLAGS.map(capnpString).join(', ')}],
  globalOutbound = "upstream",${index === 0 ? `
  durableObjectNamespaces = [(className = "HealthStore", uniqueKey = "reroute-health", preventEviction = true)],
  durableObjectStorage = (inMemory = void),` : ''}
)`;
  };

  const services = [];
  const sockets = [];
  for (let i = 0; i < isolates; i++) {
    const name = i === 0 ? 'gateway' : `gateway${i + 1}`;
    services.push(`(name = "${name}", worker = ${workerBlock(i)})`);
    sockets.push(`(name = "${i === 0 ? 'http' : `http${i + 1}`}", address = "127.0.0.1:8787", http = (), service = "${name}")`);
  }
  if (passThrough) {
    // A bare pass-through worker beside the gateway (bench/): socket `bare`, upstream from a text binding.
    services.push(`(name = "bare", worker = (
  modules = [(name = "passthrough-worker.mjs", esModule = embed ${capnpString(rel(passThrough.module))})],
  bindings = [(name = "UPSTREAM", text = ${capnpString(passThrough.upstream)})],
  compatibilityDate = "${COMPATIBILITY_DATE}",
  globalOutbound = "upstream",
))`);
    sockets.push('(name = "bare", address = "127.0.0.1:8788", http = (), service = "bare")');
  }
  const allow = allowPrivate || passThrough ? '["public", "local", "private"]' : '["public"]';
  services.push(`(name = "upstream", network = (allow = ${allow}, tlsOptions = (trustBrowserCas = true)))`);
  services.push(`(name = "assets", disk = (path = ${capnpString(resolve(webDir))}, writable = false))`);

  const text = `# Generated by edge/src/config-gen.mjs from ${relative(ROOT, resolve(configPath))}: do not edit.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    ${services.join(',\n    ')},
  ],
  sockets = [
    ${sockets.join(',\n    ')},
  ],
);
`;
  const out = join(outDir, 'workerd.capnp');
  writeFileSync(out, text);
  return { path: out, envNames, keys, adminSecretEnv, warnings };
}

/**
 * Refuses an admin secret that equals a provider key (failover.md II.13). Returns an error
 * message, or null when the environment is acceptable.
 */
export function checkAdminSecret({ keys, adminSecretEnv }, env = process.env) {
  if (!adminSecretEnv) return null;
  const secret = (env[adminSecretEnv] ?? '').trim();
  if (!secret) return null;
  for (const k of keys) {
    if ((env[k] ?? '').trim() === secret) return `the admin secret (${adminSecretEnv}) equals the provider key in ${k}: refusing to start`;
  }
  return null;
}

/**
 * Generates the config and starts workerd on 127.0.0.1 (one port per isolate). Resolves once every
 * socket answers /healthz: { urls, child, stop() }. `env`: the child's environment (provider keys).
 */
export async function startEdge({
  configPath, port = 8787, ports, isolates = 1, outDir, env = process.env, stdio = 'inherit', readyMs = 20000, verbose = false, webDir,
  passThrough, extraSockets = {}, srcDir,
} = {}) {
  ports ??= Array.from({ length: isolates }, (_, i) => (i === 0 ? port : 0));
  const gen = await generate({ configPath, outDir, isolates: ports.length, passThrough, ...(webDir ? { webDir } : {}), ...(srcDir ? { srcDir } : {}) });
  const refused = checkAdminSecret(gen, env);
  if (refused) throw new Error(refused);
  const { spawn } = await import('node:child_process');
  const { createServer } = await import('node:net');
  const free = () => new Promise((res, rej) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = srv.address().port;
      srv.close(() => res(p));
    });
    srv.on('error', rej);
  });
  for (let i = 0; i < ports.length; i++) if (!ports[i]) ports[i] = await free();
  for (const name of Object.keys(extraSockets)) if (!extraSockets[name]) extraSockets[name] = await free();
  const args = ['serve', gen.path, ...ports.flatMap((p, i) => ['--socket-addr', `${i === 0 ? 'http' : `http${i + 1}`}=127.0.0.1:${p}`]),
    ...Object.entries(extraSockets).flatMap(([name, p]) => ['--socket-addr', `${name}=127.0.0.1:${p}`])];
  if (verbose) args.push('--verbose');
  const bin = join(ROOT, 'node_modules/.bin/workerd');
  const child = spawn(bin, args, { env, stdio: stdio === 'inherit' ? ['ignore', 'inherit', 'inherit'] : stdio });
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  let exited = null;
  // Never leave workerd behind, even when the parent exits without stopping it.
  const killOnExit = () => { if (!exited) child.kill('SIGKILL'); };
  process.once('exit', killOnExit);
  const exitPromise = new Promise((r) => child.on('exit', (code, signal) => {
    exited = { code, signal };
    process.removeListener('exit', killOnExit);
    r(exited);
  }));
  const stop = async () => {
    if (exited) return exited;
    child.kill('SIGTERM');
    const timer = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, 3000);
    const r = await exitPromise;
    clearTimeout(timer);
    return r;
  };
  const t0 = Date.now();
  for (const url of urls) {
    for (;;) {
      if (exited) throw new Error(`workerd exited (${exited.code ?? exited.signal}) before it was ready`);
      if (Date.now() - t0 > readyMs) {
        await stop();
        throw new Error('workerd did not become ready in time');
      }
      try {
        const res = await fetch(`${url}/healthz`);
        await res.arrayBuffer();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
  return { urls, url: urls[0], ports, extraSockets, child, stop, exited: exitPromise, generated: gen };
}

// CLI
//   node edge/src/config-gen.mjs --config FILE [--out DIR] [--isolates N]      writes the config
//   node edge/src/config-gen.mjs serve --config FILE --port N [--isolates N]    runs workerd
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const serve = args[0] === 'serve';
  const opt = (name, dflt) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const configPath = opt('config');
  if (!configPath) {
    console.error('usage: scripts/edge --config FILE --port N [--isolates N]');
    process.exit(2);
  }
  if (!serve) {
    try {
      const { path, warnings } = await generate({ configPath, outDir: resolve(opt('out', join(ROOT, 'build/edge'))), isolates: Number(opt('isolates', '1')) });
      for (const w of warnings) console.error(`${configPath}: ${w.message}`);
      console.log(path);
    } catch (err) {
      console.error(err.message);
      process.exit(err instanceof ConfigProblems ? 2 : 1);
    }
  } else {
    const port = Number(opt('port', process.env.PORT ?? '8787'));
    const isolates = Number(opt('isolates', '1'));
    let edge;
    const shutdown = async (sig) => {
      if (edge) await edge.stop();
      process.exit(sig === 'SIGINT' ? 130 : 0);
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    try {
      edge = await startEdge({ configPath, port, isolates, outDir: resolve(opt('out', join(ROOT, 'build/edge'))) });
    } catch (err) {
      console.error(err instanceof ConfigProblems ? err.message : `scripts/edge: ${err.message}`);
      process.exit(err instanceof ConfigProblems ? 2 : 1);
    }
    for (const w of edge.generated.warnings) console.error(`${configPath}: ${w.message}`);
    console.log(`reroute edge listening on ${edge.urls.join(', ')}`);
    const r = await edge.exited;
    process.exit(r.code ?? 1);
  }
}
