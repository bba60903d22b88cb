// Tiny DOM helpers. Text always goes in as text nodes: nothing here parses HTML.

/**
 * h('button', { class: 'btn', onclick }, 'Label', child) creates an element. Attribute values
 * that are null, undefined or false are skipped; `on*` functions become listeners; string and
 * number children become text nodes.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
      else if (name === 'dataset') Object.assign(el.dataset, value);
      else if (value === true) el.setAttribute(name, '');
      else el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

const SVG_NS = 'http://www.w3.org/2000/svg';

// 24x24 stroke icons (paths only; drawn with currentColor).
const ICONS = {
  logo: ['M5 5h9a3.5 3.5 0 0 1 0 7h-4a3.5 3.5 0 0 0 0 7h9', 'M3 5h.01', 'M21 19h.01'],
  newChat: ['M12 20h9', 'M16.5 3.5a2.12 2.12 0 0 1 3 3L7 19l-4 1 1-4Z'],
  key: ['M21 2l-2 2', 'M15.5 7.5l3 3L22 7l-3-3', 'M11.4 11.6a5.5 5.5 0 1 1-7.78 7.78 5.5 5.5 0 0 1 7.78-7.78ZM11.4 11.6 19 4'],
  send: ['M12 19V5', 'M5 12l7-7 7 7'],
  stop: ['M7 7h10v10H7Z'],
  close: ['M18 6 6 18', 'M6 6l12 12'],
  warning: ['M10.29 3.86 1.82 18a2 2 0 0 0 1.71 3h16.94a2 2 0 0 0 1.71-3L13.71 3.86a2 2 0 0 0-3.42 0Z', 'M12 9v4', 'M12 17h.01'],
  alert: ['M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20Z', 'M12 8v4', 'M12 16h.01'],
  switch: ['M16 3h5v5', 'M4 20 21 3', 'M21 16v5h-5', 'M15 15l6 6', 'M4 4l5 5'],
  retry: ['M21 12a9 9 0 1 1-3-6.7L21 8', 'M21 3v5h-5'],
  play: ['M6 4l14 8-14 8Z'],
  image: ['M5 3h14a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2Z', 'M8.5 10a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3Z', 'M21 15l-5-5L5 21'],
};

/** An inline SVG icon, hidden from assistive technology (its button carries the name). */
export function icon(name) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', `icon icon-${name}`);
  for (const d of ICONS[name] ?? []) {
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

/**
 * An icon-only button with an accessible name (`aria-label`) and a visual tooltip with the same
 * text that shows on hover and on keyboard focus. Returns the wrapper; the button is
 * `wrapper.button`; `wrapper.setLabel(text)` renames both.
 */
export function iconButton({ id, iconName, label, placement = 'top', className = '', onclick, type = 'button' }) {
  const tip = h('span', { class: 'tip', 'aria-hidden': 'true' }, label);
  const button = h('button', { id, type, class: `icon-btn ${className}`.trim(), 'aria-label': label, onclick }, icon(iconName));
  const wrapper = h('span', { class: `tip-wrap tip-${placement}` }, button, tip);
  wrapper.button = button;
  wrapper.setLabel = (text) => {
    tip.textContent = text;
    button.setAttribute('aria-label', text);
  };
  return wrapper;
}
