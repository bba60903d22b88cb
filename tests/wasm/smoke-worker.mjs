// A minimal worker proving the module loads in workerd: it decodes the envelope it is sent.
import wasmModule from './reroute_core.wasm';
import { loadReroute } from './reroute.mjs';

const reroute = loadReroute(wasmModule);

export default {
  async fetch(request) {
    const api = await reroute;
    const stored = await request.text();
    return Response.json({ decoded: api.decodeEnvelope(stored), sanitized: api.sanitize(stored) });
  },
};
