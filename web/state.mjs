// The conversation: the message list the page renders and the core's auto-switch reads.
import { messageContent } from './images.mjs';

let seq = 0;
const nextId = (prefix) => `${prefix}-${Date.now().toString(36)}-${(++seq).toString(36)}`;

/**
 * Messages:
 *   user      { id, role: 'user', text, images: [{ n, dataUrl }] }
 *   system    { id, role: 'system', content }           a [MODEL_FALLBACK] notice, as the gateway sent it
 *   assistant { id, role: 'assistant', text, status, model?, stored?, retryAfterMs?, failedAt? }
 *     status: 'pending' (no text yet) | 'streaming' | 'success' | 'failed' (no text) |
 *             'incomplete' (text, then an error) | 'stopped' (the user stopped it)
 */
export class Conversation {
  constructor() {
    this.id = nextId('chat');
    this.messages = [];
    /** Notice ids the auto-switch has acted on (chat-errors.md 11.5). */
    this.processed = [];
  }

  get empty() { return this.messages.length === 0; }

  addUser(text, images) {
    const msg = { id: nextId('u'), role: 'user', text, images };
    this.messages.push(msg);
    return msg;
  }

  addAssistant() {
    const msg = { id: nextId('a'), role: 'assistant', text: '', status: 'pending' };
    this.messages.push(msg);
    return msg;
  }

  /** Inserts a notice right before `assistant` (the turn it belongs to). */
  addNotice(content, assistant) {
    const msg = { id: nextId('n'), role: 'system', content };
    const at = this.messages.indexOf(assistant);
    this.messages.splice(at === -1 ? this.messages.length : at, 0, msg);
    return msg;
  }

  remove(msg) {
    this.messages = this.messages.filter((m) => m !== msg);
  }

  /** The last assistant message, when it failed (only that one offers "Try again"). */
  get latestFailure() {
    const last = [...this.messages].reverse().find((m) => m.role === 'assistant');
    return last && (last.status === 'failed' || last.status === 'incomplete') ? last : undefined;
  }

  /**
   * The OpenAI `messages` for a request answering `assistant`: every user turn before it and every
   * answered assistant turn; with `prefill`, the assistant's own text last (a continuation).
   */
  requestMessages(assistant, { prefill = false } = {}) {
    const out = [];
    for (const m of this.messages) {
      if (m === assistant) break;
      if (m.role === 'user') out.push({ role: 'user', content: messageContent(m.text, m.images) });
      else if (m.role === 'assistant' && m.status === 'success') out.push({ role: 'assistant', content: m.text });
    }
    if (prefill && assistant.text) out.push({ role: 'assistant', content: assistant.text });
    return out;
  }

  /** The list in the shape the core's autoSwitch reads. */
  forAutoSwitch() {
    return this.messages.map((m) => ({
      id: m.id,
      role: m.role,
      content: m.role === 'system' ? m.content : m.text ?? '',
      status: m.role !== 'assistant' ? undefined : m.status === 'success' ? 'success' : m.status === 'stopped' ? 'stopped' : m.status === 'pending' || m.status === 'streaming' ? 'pending' : 'error',
    }));
  }
}
