// The composer page: wiring between the DOM, the gateway client and the core.
import { fetchModels, streamChat } from './api.mjs';
import { loadCore } from './core.mjs';
import { h, iconButton } from './dom.mjs';
import { chrome, initialLocale, LOCALE_NAMES, LOCALES } from './i18n.mjs';
import { Attachments, insertToken, pastedImages } from './images.mjs';
import { renderMessage, retryWaitMs } from './render.mjs';
import { Conversation } from './state.mjs';

const $ = (id) => document.getElementById(id);
const store = (() => { try { return window.localStorage; } catch { return undefined; } })();

const ui = {
  log: $('log'),
  messages: $('messages'),
  empty: $('empty'),
  form: $('composer'),
  input: $('input'),
  attachments: $('attachments'),
  model: $('model'),
  language: $('language'),
  settings: $('settings'),
  settingsModels: $('settings-models'),
  livePolite: $('live-polite'),
  liveAlert: $('live-alert'),
};

const app = {
  view: null,
  locale: initialLocale(store?.getItem('reroute.locale'), navigator.languages ?? []),
  conversation: new Conversation(),
  attachments: new Attachments(),
  models: [],
  modelsState: 'loading',
  loading: false,
  controller: null,
  nodes: new Map(),
};

const t = (key, params) => chrome(app.locale, key, params);

// ---- static chrome ----

const buttons = {
  newChat: iconButton({ id: 'new-chat', iconName: 'newChat', label: '', placement: 'right', onclick: () => newChat() }),
  settings: iconButton({ id: 'open-settings', iconName: 'key', label: '', placement: 'right', onclick: () => openSettings() }),
  send: iconButton({ id: 'send', iconName: 'send', label: '', type: 'submit', className: 'primary' }),
  stop: iconButton({ id: 'stop', iconName: 'stop', label: '', className: 'danger', onclick: () => stop() }),
  closeSettings: iconButton({ id: 'close-settings', iconName: 'close', label: '', placement: 'left', onclick: () => ui.settings.close() }),
};
$('rail-actions').append(buttons.newChat, buttons.settings);
$('composer-actions').append(buttons.send, buttons.stop);
$('settings-head').append(buttons.closeSettings);
buttons.send.button.disabled = true;
buttons.stop.hidden = true;

for (const locale of LOCALES) ui.language.append(h('option', { value: locale, lang: locale }, LOCALE_NAMES[locale]));
ui.language.value = app.locale;

function applyChrome() {
  document.documentElement.lang = app.locale;
  document.title = t('appName');
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  ui.input.placeholder = t('placeholder');
  buttons.newChat.setLabel(t('newChat'));
  buttons.settings.setLabel(t('providerSettings'));
  buttons.send.setLabel(t('send'));
  buttons.stop.setLabel(t('stop'));
  buttons.closeSettings.setLabel(t('close'));
  renderModels();
  renderAttachments();
}

// ---- models ----

function renderModels() {
  const current = ui.model.value || store?.getItem('reroute.model') || '';
  ui.model.replaceChildren();
  if (app.modelsState !== 'ready' || app.models.length === 0) {
    ui.model.append(h('option', { value: '' }, t(app.modelsState === 'loading' ? 'modelsLoading' : 'modelsUnavailable')));
    ui.model.disabled = app.modelsState === 'loading';
  } else {
    ui.model.disabled = false;
    const option = (m) => h('option', { value: m.id }, m.id);
    const routes = app.models.filter((m) => m.kind !== 'model');
    const refs = app.models.filter((m) => m.kind === 'model');
    if (routes.length && refs.length) {
      ui.model.append(h('optgroup', { label: t('routes') }, routes.map(option)), h('optgroup', { label: t('models') }, refs.map(option)));
    } else {
      ui.model.append(...app.models.map(option));
    }
    ui.model.value = app.models.some((m) => m.id === current) ? current : app.models[0].id;
  }
  ui.settingsModels.replaceChildren(...app.models.map((m) => h('li', null, h('code', null, m.id))));
}

async function loadModels() {
  try {
    app.models = await fetchModels();
    app.modelsState = 'ready';
  } catch {
    app.models = [];
    app.modelsState = 'failed';
  }
  renderModels();
  document.documentElement.dataset.models = app.modelsState;
}

/** Puts `id` into the picker (adding it when /v1/models did not list it). */
function selectModel(id) {
  if (![...ui.model.options].some((o) => o.value === id)) {
    app.models.push({ id, kind: 'model' });
    renderModels();
  }
  ui.model.value = id;
  store?.setItem('reroute.model', id);
  ui.model.classList.remove('switched');
  void ui.model.offsetWidth;  // restart the highlight animation
  ui.model.classList.add('switched');
}

// ---- rendering the conversation ----

function ctx() {
  return {
    locale: app.locale, t, view: app.view, latestFailure: app.conversation.latestFailure, now: Date.now(),
    actions: { retry, continue: continueTurn, switchModel, newChat, openSettings },
  };
}

function renderAll() {
  app.nodes.clear();
  const c = ctx();
  const nodes = app.conversation.messages.map((m) => {
    const node = renderMessage(m, c);
    app.nodes.set(m, node);
    return node;
  });
  ui.messages.replaceChildren(...nodes);
  ui.empty.hidden = !app.conversation.empty;
  scheduleCountdown();
}

/** Re-renders one message in place (or inserts it at its position). */
function renderOne(msg) {
  const node = renderMessage(msg, ctx());
  const old = app.nodes.get(msg);
  if (old) old.replaceWith(node);
  else {
    const index = app.conversation.messages.indexOf(msg);
    const next = app.conversation.messages.slice(index + 1).map((m) => app.nodes.get(m)).find(Boolean);
    ui.messages.insertBefore(node, next ?? null);
  }
  app.nodes.set(msg, node);
  ui.empty.hidden = !app.conversation.empty;
  return node;
}

function removeNode(msg) {
  app.nodes.get(msg)?.remove();
  app.nodes.delete(msg);
}

/** Appends streamed text without rebuilding the message. */
function updateText(msg) {
  const node = app.nodes.get(msg);
  const text = node?.querySelector('.text');
  if (!text || msg.status !== 'streaming' || node.dataset.status !== 'streaming') return void renderOne(msg);
  text.textContent = msg.text;
  stickToBottom();
}

function stickToBottom() {
  const log = ui.log;
  if (log.scrollHeight - log.scrollTop - log.clientHeight < 160) log.scrollTop = log.scrollHeight;
}

// The "Try again" countdown ticks in place, so focus stays where it is.
let countdownTimer = 0;
function scheduleCountdown() {
  clearInterval(countdownTimer);
  const msg = app.conversation.latestFailure;
  if (!msg) return;
  const tick = () => {
    const node = app.nodes.get(msg);
    const button = node?.querySelector('[data-action="retry"]');
    const label = node?.querySelector('[data-testid="countdown"]');
    if (!button || !label) return void clearInterval(countdownTimer);
    const wait = retryWaitMs(msg, app.view.failure(msg.stored, app.locale), Date.now());
    if (wait <= 0) {
      clearInterval(countdownTimer);
      button.disabled = false;
      button.removeAttribute('aria-describedby');
      label.remove();
      return;
    }
    const seconds = Math.ceil(wait / 1000);
    if (label.dataset.seconds !== String(seconds)) {
      label.dataset.seconds = String(seconds);
      label.textContent = t('retryIn', { seconds });
    }
  };
  countdownTimer = setInterval(tick, 200);
}

// ---- live regions ----

function announce(text, { alert = false } = {}) {
  const region = alert ? ui.liveAlert : ui.livePolite;
  region.textContent = '';
  requestAnimationFrame(() => { region.textContent = text; });
}

function announceFailure(msg) {
  const failure = app.view.failure(msg.stored, app.locale);
  const head = msg.status === 'incomplete' ? t('incomplete') : app.view.text('errorGenerating', app.locale);
  announce(`${head}. ${failure.hint}`, { alert: true });
}

// ---- turns ----

function setLoading(loading) {
  app.loading = loading;
  // The stop button takes the send button's place (and its keyboard focus), and back.
  const hadFocus = document.activeElement === buttons.send.button || document.activeElement === buttons.stop.button;
  buttons.send.hidden = loading;
  buttons.stop.hidden = !loading;
  document.documentElement.dataset.busy = loading ? 'true' : 'false';
  if (loading && hadFocus) buttons.stop.button.focus();
  else if (!loading && (hadFocus || document.activeElement === document.body)) ui.input.focus();
}

/** The core's auto-switch (11.5), asked after every change of the message list. */
function maybeSwitchModel() {
  const conv = app.conversation;
  const decision = app.view.autoSwitch({
    messages: conv.forAutoSwitch(), loading: app.loading, current: ui.model.value || null, processed: conv.processed,
  });
  conv.processed = decision.processed;
  if (decision.switchTo !== null && decision.switchTo !== undefined) selectModel(decision.switchTo);
}

async function send() {
  if (app.loading || !app.view) return;
  const text = ui.input.value.trim();
  if (text === '' && app.attachments.size === 0) return;
  const images = await app.attachments.snapshot(text);
  const conv = app.conversation;
  conv.addUser(text, images);
  ui.input.value = '';
  app.attachments.clear();
  renderAttachments();
  autoGrow();
  const assistant = conv.addAssistant();
  renderAll();
  await runTurn(assistant, { prefill: false });
}

async function runTurn(assistant, { prefill }) {
  const conv = app.conversation;
  const controller = new AbortController();
  app.controller = controller;
  setLoading(true);
  const base = prefill ? assistant.text : '';
  assistant.text = base;
  assistant.status = base ? 'streaming' : 'pending';
  delete assistant.stored;
  delete assistant.retryAfterMs;
  delete assistant.failedAt;
  delete assistant.detailsOpen;
  renderOne(assistant);
  maybeSwitchModel();
  let ended = false;
  const fail = (stored, retryAfterMs) => {
    assistant.stored = stored;
    assistant.retryAfterMs = retryAfterMs;
    assistant.failedAt = Date.now();
    assistant.status = assistant.text ? 'incomplete' : 'failed';
    ended = true;
  };
  try {
    const events = streamChat({ model: ui.model.value, messages: conv.requestMessages(assistant, { prefill }), signal: controller.signal });
    for await (const ev of events) {
      if (ev.type === 'fallback') {
        const notice = conv.addNotice(ev.notice, assistant);
        renderOne(notice);
        const row = app.view.noticeRow(ev.notice, app.locale);
        if (row) announce(row);
      } else if (ev.type === 'restart') {
        assistant.text = base;
        updateText(assistant);
      } else if (ev.type === 'delta') {
        assistant.text += ev.text;
        if (ev.model) assistant.model = ev.model;
        if (assistant.status === 'pending') { assistant.status = 'streaming'; renderOne(assistant); stickToBottom(); } else updateText(assistant);
      } else if (ev.type === 'done') {
        assistant.status = 'success';
        ended = true;
      } else if (ev.type === 'error') {
        const stored = ev.envelope ?? app.view.localFailure({ status: ev.status, message: ev.message }, ev.message);
        fail(stored, app.view.retryAfterMs(ev.headers));
      } else if (ev.type === 'cut' && !controller.signal.aborted) {
        // The connection to the gateway ended without an ending: never a silent truncation.
        fail(app.view.localFailure({ message: 'network error: the stream ended before it was complete' }, ''), undefined);
      }
      if (ended) break;
    }
  } catch (error) {
    if (controller.signal.aborted && !ended) {
      assistant.status = 'stopped';
    } else {
      fail(app.view.localFailure({ name: error?.name, message: String(error?.message ?? '') }, String(error?.message ?? '')), undefined);
    }
  }
  if (!ended && controller.signal.aborted) assistant.status = 'stopped';
  if (!ended && !controller.signal.aborted && assistant.status !== 'stopped') {
    fail(app.view.localFailure({ message: 'network error: the stream ended before it was complete' }, ''), undefined);
  }
  if (app.controller === controller) app.controller = null;
  if (app.conversation !== conv) return;  // a new chat replaced this one meanwhile
  if (assistant.status === 'stopped' && !assistant.text) conv.remove(assistant);
  setLoading(false);
  renderAll();
  if (assistant.status === 'failed' || assistant.status === 'incomplete') announceFailure(assistant);
  maybeSwitchModel();
  stickToBottom();
}

function stop() {
  app.controller?.abort();
}

async function retry(msg) {
  if (app.loading) return;
  const conv = app.conversation;
  // The failed bubble is replaced by a fresh attempt at the same turn.
  if (!conv.messages.includes(msg)) return;
  conv.remove(msg);
  const fresh = conv.addAssistant();
  renderAll();
  focusComposerSoon();
  await runTurn(fresh, { prefill: false });
}

async function continueTurn(msg) {
  if (app.loading || !msg.text) return;
  focusComposerSoon();
  await runTurn(msg, { prefill: true });
}

function focusComposerSoon() {
  // The pressed button disappears; keep keyboard users in the composer.
  queueMicrotask(() => ui.input.focus());
}

function newChat() {
  app.controller?.abort();
  app.conversation = new Conversation();
  app.attachments.clear();
  ui.input.value = '';
  setLoading(false);
  renderAttachments();
  autoGrow();
  renderAll();
  ui.input.focus();
}

function switchModel() {
  ui.model.focus();
  try { ui.model.showPicker?.(); } catch { /* needs a user gesture in some browsers */ }
}

function openSettings() {
  ui.settings.showModal();
}

// ---- composer ----

function autoGrow() {
  ui.input.style.height = 'auto';
  ui.input.style.height = `${Math.min(ui.input.scrollHeight, window.innerHeight * 0.4)}px`;
}

function renderAttachments() {
  const items = app.attachments.items;
  ui.attachments.hidden = items.length === 0;
  ui.attachments.setAttribute('aria-label', t('attachments'));
  ui.attachments.replaceChildren(...items.map((item) => {
    const remove = iconButton({
      iconName: 'close', label: t('removeImage', { n: item.n }), placement: 'top', className: 'small',
      onclick: () => {
        ui.input.value = app.attachments.remove(item.n, ui.input.value);
        renderAttachments();
        ui.input.focus();
      },
    });
    remove.button.dataset.image = String(item.n);
    return h('li', { class: 'thumb', 'data-testid': 'thumb', 'data-n': item.n },
      h('img', { src: item.url, alt: t('imageAlt', { n: item.n }) }),
      h('span', { class: 'thumb-token', 'aria-hidden': 'true' }, `[${item.n}]`),
      remove);
  }));
}

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  send();
});

ui.input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && !event.altKey && !event.ctrlKey && !event.metaKey) {
    event.preventDefault();
    send();
  } else if (event.key === 'Escape' && app.loading) {
    event.preventDefault();
    stop();
  }
});

ui.input.addEventListener('input', () => {
  autoGrow();
  if (app.attachments.size && app.attachments.sync(ui.input.value).length) renderAttachments();
});

ui.input.addEventListener('paste', (event) => {
  const files = pastedImages(event);
  if (files.length === 0) return;
  event.preventDefault();
  for (const file of files) insertToken(ui.input, app.attachments.add(file));
  renderAttachments();
  autoGrow();
});

ui.model.addEventListener('change', () => store?.setItem('reroute.model', ui.model.value));

ui.language.addEventListener('change', () => {
  app.locale = LOCALES.includes(ui.language.value) ? ui.language.value : 'en';
  store?.setItem('reroute.locale', app.locale);
  // Announcements belong to the moment they were made; the page re-renders in the new language.
  ui.livePolite.textContent = '';
  ui.liveAlert.textContent = '';
  applyChrome();
  if (app.view) renderAll();
});

// Escape hides a tooltip that is showing (WCAG 1.4.13) until the pointer or focus moves on.
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') document.body.classList.add('tips-off');
});
for (const type of ['pointermove', 'focusin']) {
  document.addEventListener(type, () => document.body.classList.remove('tips-off'), { passive: true });
}

// ---- start ----

applyChrome();
loadModels();
loadCore().then((view) => {
  app.view = view;
  buttons.send.button.disabled = false;
  renderAll();
  document.documentElement.dataset.ready = 'true';
  performance.mark('reroute:ready');
  window.dispatchEvent(new Event('reroute:ready'));
}, (error) => {
  document.documentElement.dataset.ready = 'failed';
  console.error('reroute: the core did not load', error);
});
