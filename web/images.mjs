// Pasted images: each becomes an inline `[n]` reference token in the message text with a
// thumbnail beside the composer. The text is the source of truth: an image stays attached only
// while its token is still in the text.

const tokenOf = (n) => `[${n}]`;

export class Attachments {
  constructor() {
    /** @type {{ n: number, file: Blob, url: string }[]} */
    this.items = [];
  }

  get size() { return this.items.length; }

  /** Adds an image and returns the token to insert for it. */
  add(file) {
    const n = this.items.reduce((max, item) => Math.max(max, item.n), 0) + 1;
    this.items.push({ n, file, url: URL.createObjectURL(file) });
    return tokenOf(n);
  }

  /** Drops every image whose token is no longer in `text`; returns the dropped numbers. */
  sync(text) {
    const dropped = this.items.filter((item) => !text.includes(tokenOf(item.n)));
    for (const item of dropped) this.#release(item);
    return dropped.map((item) => item.n);
  }

  /** Removes image `n` and returns `text` without its tokens. */
  remove(n, text) {
    const item = this.items.find((i) => i.n === n);
    if (item) this.#release(item);
    return text.split(tokenOf(n)).join('').replace(/ {2,}/g, ' ');
  }

  /** Forgets every image (after a send, or for a new chat). */
  clear() {
    for (const item of [...this.items]) this.#release(item);
  }

  /**
   * The images referenced in `text`, in token order, as `{ n, dataUrl }` (the form a message
   * keeps and sends). Removes nothing.
   */
  async snapshot(text) {
    const used = this.items.filter((item) => text.includes(tokenOf(item.n)));
    used.sort((a, b) => text.indexOf(tokenOf(a.n)) - text.indexOf(tokenOf(b.n)));
    return Promise.all(used.map(async (item) => ({ n: item.n, dataUrl: await dataUrlOf(item.file) })));
  }

  #release(item) {
    URL.revokeObjectURL(item.url);
    this.items = this.items.filter((i) => i !== item);
  }
}

function dataUrlOf(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

/** The image files of a paste event, in order. */
export function pastedImages(event) {
  const items = event.clipboardData?.items ?? [];
  const files = [];
  for (const item of items) {
    if (item.kind === 'file' && item.type.startsWith('image/')) {
      const file = item.getAsFile();
      if (file) files.push(file);
    }
  }
  return files;
}

/** Inserts `token` at the textarea's caret (with a space on either side where needed). */
export function insertToken(textarea, token) {
  const { selectionStart: start, selectionEnd: end, value } = textarea;
  const before = value.slice(0, start);
  const after = value.slice(end);
  const lead = before === '' || /\s$/.test(before) ? '' : ' ';
  const trail = /^\s/.test(after) ? '' : ' ';
  const insert = `${lead}${token}${trail}`;
  textarea.value = before + insert + after;
  const caret = before.length + insert.length;
  textarea.setSelectionRange(caret, caret);
}

/** The OpenAI content of a user message: the text alone, or text and image parts. */
export function messageContent(text, images) {
  if (!images?.length) return text;
  return [{ type: 'text', text }, ...images.map((img) => ({ type: 'image_url', image_url: { url: img.dataUrl } }))];
}
