// The composer (web/) in Chromium against the real gateway (`scripts/edge`) and the
// fault-injecting mock provider. Expected hint, card and notice texts come from the same WASM
// core the page uses; the page must show exactly them.
import { expect, test } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHROME_TABLES } from '../../web/i18n.mjs';
import { KEYS, ROOT, servePackageIfMissing, startStack } from './fixtures/stack.mjs';

const SHOTS = join(ROOT, 'build/test-results/screenshots');
mkdirSync(SHOTS, { recursive: true });

const { loadReroute } = await import(pathToFileURL(join(ROOT, 'build/wasm/pkg/reroute.mjs')).href);
const core = await loadReroute(pathToFileURL(join(ROOT, 'build/wasm/pkg/reroute_core.wasm')));
const hint = (code, provider, locale = 'en') => core.hint({ code, provider, locale }).text;

let stack;
test.beforeAll(async () => {
  test.setTimeout(60_000);
  stack = await startStack();
});
test.afterAll(async () => stack?.stop());

test.beforeEach(async ({ context, page }) => {
  await servePackageIfMissing(context, stack.url);
  await context.addInitScript(() => window.localStorage.clear());
  await page.goto(`${stack.url}/`);
  await expect(page.locator('html')).toHaveAttribute('data-ready', 'true');
  await expect(page.locator('html')).toHaveAttribute('data-models', 'ready');
});

// Whatever a test did: no envelope header and no key is ever visible, even with every
// "Technical details" section opened.
test.afterEach(async ({ page }) => {
  await page.evaluate(() => { for (const d of document.querySelectorAll('details')) d.open = true; });
  const text = await page.evaluate(() => document.body.innerText);
  expect(text).not.toContain('TALE_ERR1');
  expect(text).not.toMatch(/%7B%22code/i);
  for (const key of Object.values(KEYS)) expect(text).not.toContain(key);
  expect(text).not.toMatch(/Bearer\s+\S/);
});

const shot = (page, name) => page.screenshot({ path: join(SHOTS, `${name}.png`) });

async function ask(page, model, text = 'Hello composer') {
  await page.locator('#model').selectOption(model);
  await page.locator('#input').fill(text);
  await page.locator('#input').press('Enter');
}

const idle = (page) => expect(page.locator('html')).toHaveAttribute('data-busy', 'false');
const lastAssistant = (page) => page.locator('article.msg.assistant').last();
const card = (page) => page.getByTestId('error-card').last();

test('a streamed answer arrives as text', async ({ page }) => {
  await ask(page, 'chat', 'Hello composer');
  await idle(page);
  const answer = lastAssistant(page);
  await expect(answer).toHaveAttribute('data-status', 'success');
  await expect(answer.getByTestId('answer-text')).toHaveText(/^Mock answer for a 2-word message: alpha bravo/);
  // Text only: the reply is one text node, never parsed markup.
  expect(await answer.getByTestId('answer-text').evaluate((el) => el.children.length)).toBe(0);
  await expect(page.locator('article.msg.user .text')).toHaveText('Hello composer');
  await shot(page, 'answer');
});

test('the stop button ends a stream and keeps what arrived', async ({ page }) => {
  await ask(page, 'chat-slow', 'Tell me a long story');
  const text = lastAssistant(page).getByTestId('answer-text');
  await expect(text).toHaveText(/Mock answer for a 5-word/);  // streamed: visible before the end
  await expect(page.locator('#stop')).toBeVisible();
  await page.locator('#stop').click();
  await idle(page);
  await expect(lastAssistant(page)).toHaveAttribute('data-status', 'stopped');
  await expect(page.locator('#send')).toBeVisible();
  expect((await text.textContent()).length).toBeLessThan('Mock answer for a 5-word message:'.length + 40 * 8);
});

test('a fallback shows the notice and switches the picker once', async ({ page }) => {
  await ask(page, 'fallback', 'Hello there');
  await idle(page);
  const notice = page.getByTestId('fallback-notice');
  await expect(notice).toHaveText(core.noticeText({ from: 'flaky:503', to: 'backup:gpt-mock', locale: 'en' }));
  await expect(notice).toHaveText('503 was unavailable — switched to gpt-mock.');
  await expect(page.locator('#live-polite')).toHaveText('503 was unavailable — switched to gpt-mock.');
  await expect(page.locator('#model')).toHaveValue('backup:gpt-mock');
  await expect(lastAssistant(page)).toHaveAttribute('data-status', 'success');
  await shot(page, 'fallback');
  // The person picks another model: the consumed notice never switches it back.
  await ask(page, 'chat', 'And again');
  await idle(page);
  await expect(page.locator('#model')).toHaveValue('chat');
});

test('credit_exhausted: named hint, tried count, closed details, switch model', async ({ page }) => {
  await ask(page, 'credit');
  await idle(page);
  const c = card(page);
  await expect(c).toHaveAttribute('data-code', 'credit_exhausted');
  await expect(c.locator('.card-title')).toHaveText('Something went wrong');
  await expect(c.getByTestId('error-hint')).toHaveText(hint('credit_exhausted', 'together'));
  await expect(c.getByTestId('error-hint')).toHaveText('together is out of credits. Contact your administrator to add credits or switch providers.');
  await expect(c.getByTestId('error-tried')).toHaveText('Tried 2 models before giving up.');
  // The raw text names a URL: the core drops it, so there are no details to show.
  await expect(c.getByTestId('error-details')).toHaveCount(0);
  await expect(page.locator('#live-alert')).toContainText(hint('credit_exhausted', 'together'));
  await shot(page, 'card-credit-exhausted');
  await c.locator('[data-action="switch-model"]').click();
  await expect(page.locator('#model')).toBeFocused();
});

test('auth_error: the named hint, one model tried', async ({ page }) => {
  await ask(page, 'auth');
  await idle(page);
  const c = card(page);
  await expect(c).toHaveAttribute('data-code', 'auth_error');
  await expect(c.getByTestId('error-hint')).toHaveText(hint('auth_error', 'openai'));
  await expect(c.getByTestId('error-tried')).toHaveCount(0);
  await expect(c.locator('[data-action="switch-model"]')).toBeVisible();
  await shot(page, 'card-auth-error');
});

test('rate_limited: "Try again" waits for the retry hint', async ({ page }) => {
  await ask(page, 'rate');
  await idle(page);
  const c = card(page);
  await expect(c).toHaveAttribute('data-code', 'rate_limited');
  await expect(c.getByTestId('error-hint')).toHaveText(hint('rate_limited', 'anthropic'));
  const retry = c.locator('[data-action="retry"]');
  await expect(retry).toBeDisabled();
  await expect(c.getByTestId('countdown')).toHaveText(/^available in [23] s$/);
  await shot(page, 'card-rate-limited');
  await expect(retry).toBeEnabled({ timeout: 5000 });
  await expect(c.getByTestId('countdown')).toHaveCount(0);
  await retry.click();
  await idle(page);
  // Still limited: a fresh card with a fresh countdown, the old one gone.
  await expect(page.getByTestId('error-card')).toHaveCount(1);
  await expect(card(page).locator('[data-action="retry"]')).toBeDisabled();
});

test('context_length: the fix is a new chat', async ({ page }) => {
  await ask(page, 'context');
  await idle(page);
  const c = card(page);
  await expect(c).toHaveAttribute('data-code', 'context_length');
  await expect(c.getByTestId('error-hint')).toHaveText(hint('context_length', 'mistral'));
  await expect(c.locator('[data-action="switch-model"]')).toHaveCount(0);
  await shot(page, 'card-context-length');
  await c.locator('[data-action="new-chat"]').click();
  await expect(page.locator('article.msg')).toHaveCount(0);
  await expect(page.locator('#empty')).toBeVisible();
  await expect(page.locator('#input')).toBeFocused();
});

test('generic: technical details open by default', async ({ page }) => {
  await ask(page, 'generic');
  await idle(page);
  const c = card(page);
  await expect(c).toHaveAttribute('data-code', 'generic');
  await expect(c.getByTestId('error-hint')).toHaveText('There was an error generating a response. Please try again.');
  await expect(c.getByTestId('error-details')).toHaveAttribute('open', '');
  await expect(c.getByTestId('error-details').locator('.raw')).toHaveText('Upstream returned an empty answer.');
  await shot(page, 'card-generic');
});

test('missing_api_key: the fix opens the provider settings', async ({ page }) => {
  await ask(page, 'nokey');
  await idle(page);
  const c = card(page);
  await expect(c).toHaveAttribute('data-code', 'missing_api_key');
  await expect(c.getByTestId('error-hint')).toHaveText(hint('missing_api_key'));
  await c.locator('[data-action="settings"]').click();
  await expect(page.locator('#settings')).toBeVisible();
  await expect(page.locator('#settings-models')).toContainText('mock:healthy');
  await page.keyboard.press('Escape');
  await expect(page.locator('#settings')).toBeHidden();
});

test('a stream cut after some text keeps it, marked incomplete, with Continue and Try again', async ({ page }) => {
  await ask(page, 'partial', 'Hello composer');
  await idle(page);
  const answer = lastAssistant(page);
  await expect(answer).toHaveAttribute('data-status', 'incomplete');
  const text = answer.getByTestId('answer-text');
  await expect(text).toHaveText('Mock answer for a 2-word message:');
  await expect(answer.getByTestId('incomplete')).toHaveText('Incomplete answer');
  await expect(answer.getByTestId('error-hint')).toHaveText(hint('provider_error', 'mock'));
  await expect(answer.locator('[data-action="continue"]')).toBeVisible();
  await expect(answer.locator('[data-action="retry"]')).toBeEnabled();
  await expect(page.locator('#live-alert')).toContainText('Incomplete answer');
  await shot(page, 'partial');
  // Continue sends the text so far as a prefill: the mock carries on exactly after it.
  await answer.locator('[data-action="continue"]').click();
  await idle(page);
  await expect(lastAssistant(page).getByTestId('answer-text')).toHaveText(/^Mock answer for a 2-word message: alpha bravo charlie delta echo foxtrot/);
});

test('language switch: every visible string in en, de and fr', async ({ page }) => {
  await ask(page, 'fallback-again', 'Hello there');
  await idle(page);
  await ask(page, 'context', 'Too long');
  await idle(page);
  const notice = page.getByTestId('fallback-notice');
  const visible = () => page.evaluate(() => document.body.innerText);
  const englishOnly = Object.entries(CHROME_TABLES.en)
    .filter(([key, text]) => CHROME_TABLES.de[key] !== text && CHROME_TABLES.fr[key] !== text)
    .map(([, text]) => text).filter((text) => !text.includes('{'));
  for (const locale of ['de', 'fr', 'en']) {
    await page.locator('#language').selectOption(locale);
    await expect(page.locator('html')).toHaveAttribute('lang', locale);
    await expect(notice).toHaveText(core.noticeText({ from: 'flaky2:google-unavailable', to: 'backup:gpt-mock', locale }));
    const c = card(page);
    await expect(c.getByTestId('error-hint')).toHaveText(hint('context_length', 'mistral', locale));
    await expect(c.locator('.card-title')).toHaveText({ en: 'Something went wrong', de: 'Etwas ist schiefgelaufen', fr: 'Une erreur s\'est produite' }[locale]);
    await expect(c.getByTestId('error-details').locator('summary')).toHaveText({ en: 'Technical details', de: 'Technische Details', fr: 'Détails techniques' }[locale]);
    await expect(c.locator('[data-action="retry"]')).toHaveText({ en: 'Try again', de: 'Erneut versuchen', fr: 'Réessayer' }[locale]);
    await expect(c.locator('[data-action="new-chat"]')).toHaveText(CHROME_TABLES[locale].startNewChat);
    await expect(page.locator('#input')).toHaveAttribute('placeholder', CHROME_TABLES[locale].placeholder);
    await expect(page.locator('#new-chat')).toHaveAccessibleName(CHROME_TABLES[locale].newChat);
    await expect(page.locator('#send')).toHaveAccessibleName(CHROME_TABLES[locale].send);
    await expect(page.locator('label[for="model"]')).toHaveText(CHROME_TABLES[locale].model);
    const text = await visible();
    if (locale !== 'en') {
      for (const english of englishOnly) {
        const word = new RegExp(`(^|[^\\p{L}])${english.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}])`, 'u');
        expect(text, `"${english}" left in ${locale}`).not.toMatch(word);
      }
    }
    await shot(page, `language-${locale}`);
  }
});

async function pasteImage(page, color) {
  await page.locator('#input').focus();
  await page.evaluate(async (fill) => {
    const canvas = document.createElement('canvas');
    canvas.width = 32;
    canvas.height = 32;
    const g = canvas.getContext('2d');
    g.fillStyle = fill;
    g.fillRect(0, 0, 32, 32);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
    const data = new DataTransfer();
    data.items.add(new File([blob], 'pasted.png', { type: 'image/png' }));
    document.getElementById('input').dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, color);
}

test('pasted images become [n] tokens with thumbnails; deleting a token removes its image', async ({ page }) => {
  const input = page.locator('#input');
  await input.fill('Compare ');
  await pasteImage(page, '#e11d48');
  await input.pressSequentially('with ');
  await pasteImage(page, '#2563eb');
  await expect(input).toHaveValue('Compare [1] with [2] ');
  await expect(page.getByTestId('thumb')).toHaveCount(2);
  await expect(page.getByRole('img', { name: 'Pasted image 1' })).toBeVisible();
  await shot(page, 'images');
  // Deleting token [1] with the keyboard drops image 1.
  await page.evaluate(() => {
    const el = document.getElementById('input');
    const at = el.value.indexOf('[1]');
    el.focus();
    el.setSelectionRange(at + 3, at + 3);
  });
  for (let i = 0; i < 3; i++) await input.press('Backspace');
  await expect(page.getByTestId('thumb')).toHaveCount(1);
  await expect(page.getByTestId('thumb')).toHaveAttribute('data-n', '2');
  // The thumbnail's remove button drops the image and its token.
  await page.getByRole('button', { name: 'Remove image 2' }).click();
  await expect(page.getByTestId('thumb')).toHaveCount(0);
  await expect(input).not.toHaveValue(/\[2\]/);
  // A pasted image goes out with the message.
  await input.fill('Describe ');
  await pasteImage(page, '#16a34a');
  await input.press('Enter');
  await idle(page);
  await expect(page.locator('article.msg.user img')).toHaveCount(1);
  await expect(page.locator('article.msg.user .text')).toHaveText('Describe [1]');
  await expect(lastAssistant(page)).toHaveAttribute('data-status', 'success');
  await expect(page.getByTestId('thumb')).toHaveCount(0);
});

test('keyboard only: send, newline, stop, dialog, new chat', async ({ page }) => {
  await page.keyboard.press('Tab');
  await expect(page.locator('#new-chat')).toBeFocused();
  await expect(page.locator('#new-chat + .tip')).toBeVisible();  // tooltip on keyboard focus
  await page.keyboard.press('Tab');
  await expect(page.locator('#open-settings')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('#settings')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.locator('#settings')).toBeHidden();
  await expect(page.locator('#open-settings')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.locator('#model')).toBeFocused();
  await page.keyboard.press('ArrowDown');  // chat -> chat-slow
  await expect(page.locator('#model')).toHaveValue('chat-slow');
  await page.keyboard.press('Tab');
  await expect(page.locator('#language')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.locator('#input')).toBeFocused();
  await page.keyboard.type('first line');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('second line');
  await expect(page.locator('#input')).toHaveValue('first line\nsecond line');
  await page.keyboard.press('Enter');
  await expect(page.locator('article.msg.user .text')).toHaveText('first line\nsecond line');
  await expect(lastAssistant(page).getByTestId('answer-text')).toHaveText(/Mock answer/);
  await page.keyboard.press('Escape');  // stops the stream from the composer
  await idle(page);
  await expect(lastAssistant(page)).toHaveAttribute('data-status', 'stopped');
  await expect(page.locator('#input')).toBeFocused();
  // Continue is reachable by Tab order from the composer backwards.
  await page.keyboard.press('Shift+Tab');
  await expect(lastAssistant(page).getByRole('button', { name: 'Continue' })).toBeFocused();
  // New chat from the rail, by keyboard.
  await page.locator('#new-chat').focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('article.msg')).toHaveCount(0);
  await expect(page.locator('#input')).toBeFocused();
  await shot(page, 'empty');
});

test('every button has an accessible name; icon-only buttons have tooltips', async ({ page }) => {
  // A page with as many kinds of button as possible: a failure card, a stopped answer, thumbnails, the dialog.
  await ask(page, 'context');
  await idle(page);
  await pasteImage(page, '#f59e0b');
  await page.locator('#open-settings').click();
  await expect(page.locator('#settings')).toBeVisible();
  const buttons = page.locator('button');
  const count = await buttons.count();
  expect(count).toBeGreaterThan(6);
  for (let i = 0; i < count; i++) {
    const button = buttons.nth(i);
    if (await button.isVisible()) {
      await expect(button).toHaveAccessibleName(/\S/);
    } else {
      // Hidden now (the stop button between streams): it must still carry a name for when it shows.
      expect(await button.evaluate((el) => (el.getAttribute('aria-label') ?? el.textContent).trim())).not.toBe('');
    }
  }
  await page.keyboard.press('Escape');
  // Icon-only: no visible text of their own; their tooltip shows on hover and on keyboard focus.
  const iconOnly = page.locator('button.icon-btn:visible');
  const n = await iconOnly.count();
  expect(n).toBeGreaterThanOrEqual(4);
  for (let i = 0; i < n; i++) {
    const button = iconOnly.nth(i);
    const tip = button.locator('xpath=following-sibling::*[contains(@class, "tip")]');
    expect(await button.evaluate((el) => el.innerText.trim())).toBe('');
    await page.mouse.move(0, 0);
    await button.hover();
    await expect(tip).toBeVisible();
    await expect(button).toHaveAccessibleName(await tip.textContent());
    await page.mouse.move(0, 0);
    await button.focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    await expect(tip).toBeVisible();
  }
});
