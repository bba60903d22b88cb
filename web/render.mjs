// Message views. Provider text only ever becomes text nodes (h() never parses HTML).
import { h, icon } from './dom.mjs';

/**
 * Builds the element of one message.
 * ctx: { locale, t(key, params), view (core.mjs), latestFailure, now, actions: { retry, continue, switchModel, newChat, openSettings } }
 */
export function renderMessage(msg, ctx) {
  if (msg.role === 'user') return renderUser(msg, ctx);
  if (msg.role === 'system') return renderNotice(msg, ctx);
  return renderAssistant(msg, ctx);
}

function renderUser(msg, ctx) {
  return h('article', { class: 'msg user', 'data-id': msg.id, 'aria-label': ctx.t('you') },
    h('div', { class: 'bubble' },
      msg.images?.length ? h('div', { class: 'msg-images' }, msg.images.map((img) =>
        h('figure', { class: 'msg-image' },
          h('img', { src: img.dataUrl, alt: ctx.t('imageAlt', { n: img.n }) }),
          h('figcaption', null, `[${img.n}]`)))) : null,
      h('p', { class: 'text' }, msg.text)));
}

function renderNotice(msg, ctx) {
  const text = ctx.view.noticeRow(msg.content, ctx.locale);
  if (text === null) return h('div', { hidden: true, 'data-id': msg.id });
  return h('div', { class: 'notice', role: 'note', 'data-id': msg.id },
    icon('warning'), h('span', { class: 'sr-only' }, `${ctx.t('notice')}: `), h('span', { class: 'notice-text', 'data-testid': 'fallback-notice' }, text));
}

function renderAssistant(msg, ctx) {
  const el = h('article', {
    class: `msg assistant status-${msg.status}`, 'data-id': msg.id, 'data-status': msg.status,
    'aria-label': ctx.t('assistant'), 'aria-busy': msg.status === 'pending' || msg.status === 'streaming' ? 'true' : null,
  });
  if (msg.status === 'failed') {
    el.append(renderCard(msg, ctx, { header: true }));
    return el;
  }
  const bubble = h('div', { class: 'bubble' });
  if (msg.status === 'pending') bubble.append(h('p', { class: 'thinking' }, h('span', { class: 'dots', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')), h('span', { class: 'sr-only' }, ctx.t('thinking'))));
  bubble.append(h('p', { class: 'text', 'data-testid': 'answer-text' }, msg.text));
  if (msg.status === 'incomplete') bubble.append(h('p', { class: 'badge badge-incomplete', 'data-testid': 'incomplete' }, ctx.t('incomplete')));
  if (msg.status === 'stopped') bubble.append(h('p', { class: 'badge' }, ctx.t('stopped')));
  if (msg.status === 'success' && msg.model) bubble.append(h('p', { class: 'meta' }, ctx.t('servedBy', { model: msg.model })));
  el.append(bubble);
  if (msg.status === 'incomplete') el.append(renderCard(msg, ctx, { header: false, canContinue: true }));
  if (msg.status === 'stopped' && msg.text) {
    el.append(h('div', { class: 'card-actions loose' },
      h('button', { type: 'button', class: 'btn', onclick: () => ctx.actions.continue(msg) }, icon('play'), ctx.t('continue'))));
  }
  return el;
}

function renderCard(msg, ctx, { header, canContinue = false }) {
  const failure = ctx.view.failure(msg.stored, ctx.locale);
  const titleId = `${msg.id}-title`;
  const card = h('section', {
    class: `card code-${failure.code}`, 'data-testid': 'error-card', 'data-code': failure.code,
    'aria-labelledby': header ? titleId : null, 'aria-label': header ? null : ctx.t('incomplete'),
  });
  if (header) card.append(h('h3', { class: 'card-title', id: titleId }, icon('alert'), h('span', null, ctx.view.text('errorGenerating', ctx.locale))));
  card.append(h('p', { class: 'card-hint', 'data-testid': 'error-hint' }, failure.hint));
  if (failure.triedCount !== undefined) {
    card.append(h('p', { class: 'card-tried', 'data-testid': 'error-tried' }, ctx.view.text('errorTriedModels', ctx.locale, { count: String(failure.triedCount) })));
  }
  if (failure.raw !== undefined) {
    const details = h('details', { class: 'card-details', open: failure.detailsOpen, 'data-testid': 'error-details' },
      h('summary', null, ctx.view.text('errorDetailsSummary', ctx.locale)),
      h('pre', { class: 'raw' }, failure.raw));
    // Keep the person's choice across re-renders (language switch, countdown).
    if (msg.detailsOpen !== undefined) details.open = msg.detailsOpen;
    details.addEventListener('toggle', () => { msg.detailsOpen = details.open; });
    card.append(details);
  }
  const actions = h('div', { class: 'card-actions' });
  if (canContinue) actions.append(h('button', { type: 'button', class: 'btn', 'data-action': 'continue', onclick: () => ctx.actions.continue(msg) }, icon('play'), ctx.t('continue')));
  if (failure.action === 'open_provider_settings') actions.append(h('button', { type: 'button', class: 'btn', 'data-action': 'settings', onclick: () => ctx.actions.openSettings() }, icon('key'), ctx.view.text('openProviderSettings', ctx.locale)));
  if (failure.action === 'new_chat') actions.append(h('button', { type: 'button', class: 'btn', 'data-action': 'new-chat', onclick: () => ctx.actions.newChat() }, icon('newChat'), ctx.t('startNewChat')));
  if (failure.action === 'switch_model') actions.append(h('button', { type: 'button', class: 'btn', 'data-action': 'switch-model', onclick: () => ctx.actions.switchModel() }, icon('switch'), ctx.t('switchModel')));
  if (ctx.latestFailure === msg) {
    const waitMs = retryWaitMs(msg, failure, ctx.now);
    const seconds = Math.ceil(waitMs / 1000);
    const countdownId = `${msg.id}-countdown`;
    const retry = h('button', {
      type: 'button', class: 'btn primary', 'data-action': 'retry', disabled: waitMs > 0,
      'aria-describedby': waitMs > 0 ? countdownId : null, onclick: () => ctx.actions.retry(msg),
    }, icon('retry'), ctx.view.text('retryGeneration', ctx.locale));
    actions.append(retry);
    if (waitMs > 0) actions.append(h('span', { class: 'countdown', id: countdownId, 'data-testid': 'countdown', 'data-seconds': seconds }, ctx.t('retryIn', { seconds })));
  }
  card.append(actions);
  return card;
}

/** Milliseconds left before "Try again" is enabled (the envelope's hint, else Retry-After). */
export function retryWaitMs(msg, failure, now) {
  const hint = failure.retryAfterMs ?? msg.retryAfterMs;
  if (hint === undefined || msg.failedAt === undefined) return 0;
  return Math.max(0, msg.failedAt + hint - now);
}
