// The bare pass-through worker the edge bench compares reroute with: it forwards every request to
// the UPSTREAM base URL and streams the answer back, nothing else.
export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return fetch(`${env.UPSTREAM}${url.pathname}${url.search}`, { method: request.method, headers: request.headers, body: request.body });
  },
};
