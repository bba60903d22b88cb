// The composer's gateway client (web/api.mjs): its event-stream reader gives the same records
// however the network splits the bytes (a line ending, a UTF-8 sequence or a CRLF cut between
// two chunks).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { readEvents } from '../../web/api.mjs';

const encoder = new TextEncoder();

async function records(chunks) {
  const body = new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  const out = [];
  for await (const record of readEvents(body)) out.push(record);
  return out;
}

const STREAM = [
  ': keep-alive comment\r\n\r\n',
  'event: reroute.fallback\r\ndata: [MODEL_FALLBACK] from=a to=b reason=x\r\n\r\n',
  'data: {"choices":[{"delta":{"content":"é😀"}}]}\n\n',
  'data: first line\rdata: second line\r\r',
  'data\n\n',
  'id: 7\nretry: 10\ndata:no space\nunknown: field\n\n',
  'data: [DONE]\n\n',
  'data: a record the stream never finished',
].join('');

const EXPECTED = [
  { event: 'reroute.fallback', data: '[MODEL_FALLBACK] from=a to=b reason=x' },
  { event: 'message', data: '{"choices":[{"delta":{"content":"é😀"}}]}' },
  { event: 'message', data: 'first line\nsecond line' },
  { event: 'message', data: '' },
  { event: 'message', data: 'no space' },
  { event: 'message', data: '[DONE]' },
];

test('records follow the event-stream rules: any line ending, joined data lines, comments and unknown fields ignored', async () => {
  assert.deepEqual(await records([encoder.encode(STREAM)]), EXPECTED);
});

test('the same records wherever the bytes are cut in two', async () => {
  const bytes = encoder.encode(STREAM);
  for (let at = 0; at <= bytes.length; at++) {
    assert.deepEqual(await records([bytes.subarray(0, at), bytes.subarray(at)]), EXPECTED, `cut at byte ${at}`);
  }
});

test('the same records when every byte arrives on its own', async () => {
  const bytes = encoder.encode(STREAM);
  assert.deepEqual(await records(Array.from(bytes, (b) => Uint8Array.of(b))), EXPECTED);
});
