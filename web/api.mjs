// The gateway client: GET /v1/models and a streamed POST /v1/chat/completions read as a
// sequence of events (see issue 4's contract). Pure I/O: it decides nothing about errors.

/** The model ids the gateway offers, in its order. */
export async function fetchModels({ signal } = {}) {
  const res = await fetch('/v1/models', { signal, headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const body = await res.json();
  const list = Array.isArray(body?.data) ? body.data : [];
  return list.filter((m) => m && typeof m.id === 'string').map((m) => ({ id: m.id, kind: m.reroute?.kind === 'model' ? 'model' : 'route' }));
}

/**
 * Reads a `text/event-stream` body into `{ event, data }` records (WHATWG rules: any line ending,
 * `data` lines joined by LF, comments and unknown fields ignored, a record ends at a blank line).
 */
export async function* readEvents(body, signal) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = '';
  let data = [];
  let sawData = false;
  const onAbort = () => reader.cancel().catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let start = 0;
      for (;;) {
        const cr = buffer.indexOf('\r', start);
        const lf = buffer.indexOf('\n', start);
        let end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
        if (end === -1) break;
        // A CR at the very end may be the first half of CRLF: wait for the next chunk.
        if (end === cr && cr === buffer.length - 1) break;
        const line = buffer.slice(start, end);
        start = end + (end === cr && buffer[cr + 1] === '\n' ? 2 : 1);
        if (line === '') {
          if (sawData) yield { event: event || 'message', data: data.join('\n') };
          event = '';
          data = [];
          sawData = false;
          continue;
        }
        if (line[0] === ':') continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? '' : line.slice(colon + 1);
        if (value[0] === ' ') value = value.slice(1);
        if (field === 'data') { data.push(value); sawData = true; } else if (field === 'event') event = value;
      }
      buffer = buffer.slice(start);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    reader.releaseLock?.();
  }
}

/**
 * Sends one streamed turn. Yields, in order of arrival:
 *   { type: 'meta', servedBy }                      response headers of an accepted stream
 *   { type: 'fallback', notice }                    an `event: reroute.fallback` ([MODEL_FALLBACK] content)
 *   { type: 'restart' }                             the answer restarts on another target: drop the text so far
 *   { type: 'trail', trail }                        the attempt trail (parsed JSON, or the raw text)
 *   { type: 'delta', text, model }                  content
 *   { type: 'done' }                                `data: [DONE]`
 *   { type: 'error', envelope, status, message, headers?, partial }   (headers: of a final HTTP failure)
 * and ends. A stream that ends without `done` or `error` ends with { type: 'cut' }.
 * Network failures throw (an AbortError when `signal` aborts).
 */
export async function* streamChat({ model, messages, signal }) {
  const res = await fetch('/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ model, messages, stream: true }),
    signal,
  });
  if (!res.ok) {
    let body = null;
    try { body = await res.json(); } catch { /* not JSON */ }
    const error = body?.error ?? {};
    yield {
      type: 'error', status: res.status, envelope: typeof error.envelope === 'string' ? error.envelope : undefined,
      message: typeof error.message === 'string' ? error.message : '', headers: res.headers, partial: false,
    };
    return;
  }
  yield { type: 'meta', servedBy: res.headers.get('x-reroute-served-by') ?? undefined };
  if (!res.body) { yield { type: 'cut' }; return; }
  for await (const { event, data } of readEvents(res.body, signal)) {
    if (event === 'reroute.fallback') { yield { type: 'fallback', notice: data }; continue; }
    if (event === 'reroute.restart') { yield { type: 'restart' }; continue; }
    if (event === 'reroute.trail') {
      let trail = data;
      try { trail = JSON.parse(data); } catch { /* keep the text */ }
      yield { type: 'trail', trail };
      continue;
    }
    if (event !== 'message' && event !== 'error') continue;
    if (data === '[DONE]') { yield { type: 'done' }; return; }
    let frame;
    try { frame = JSON.parse(data); } catch { continue; }
    if (frame && typeof frame.error === 'object' && frame.error !== null) {
      const error = frame.error;
      yield {
        type: 'error', status: res.status, envelope: typeof error.envelope === 'string' ? error.envelope : undefined,
        message: typeof error.message === 'string' ? error.message : '', partial: error.partial === true,
      };
      return;
    }
    const choice = Array.isArray(frame?.choices) ? frame.choices[0] : undefined;
    const text = choice?.delta?.content;
    if (typeof text === 'string' && text !== '') {
      yield { type: 'delta', text, model: typeof frame.model === 'string' ? frame.model : undefined };
    }
  }
  yield { type: 'cut' };
}
