// Small DOM helpers. Stored text (tasks, chat, agent output) only ever reaches the
// page through text nodes and textContent: nothing here parses a string as HTML.

/** The element with this id (the page's one `$`). */
export const $ = (id) => document.getElementById(id);

/** Resolves after `ms` milliseconds. */
export const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/**
 * Create an element.
 * @param {string} tag
 * @param {Object} [props] class, text, title, dataset, attrs ({name: value}), on ({event: fn})
 * @param {...(Node|string|number|null|undefined|false)} children strings become text nodes
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    switch (key) {
      case 'class':
        node.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
        break;
      case 'text':
        node.textContent = String(value);
        break;
      case 'dataset':
        for (const [k, v] of Object.entries(value)) {
          if (v !== undefined && v !== null) node.dataset[k] = String(v);
        }
        break;
      case 'attrs':
        for (const [k, v] of Object.entries(value)) {
          if (/^on/i.test(k)) throw new Error(`refusing inline handler attribute ${k}`);
          if (v === true) node.setAttribute(k, '');
          else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, String(v));
        }
        break;
      case 'on':
        for (const [event, fn] of Object.entries(value)) node.addEventListener(event, fn);
        break;
      default:
        if (/^on/i.test(key)) throw new Error(`refusing inline handler property ${key}`);
        node[key] = value;
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace all children of `node`. */
export function setChildren(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+[^\s<>"'`.,;:!?)\]}]/g;

/**
 * Text with its http(s) URLs made into links, as a fragment of text nodes and <a>
 * elements. Links open in the system browser (see installLinkGuard), never here.
 */
export function linkify(text) {
  const fragment = document.createDocumentFragment();
  const value = String(text ?? '');
  let last = 0;
  for (const match of value.matchAll(URL_RE)) {
    if (match.index > last) fragment.append(document.createTextNode(value.slice(last, match.index)));
    fragment.append(externalLink(match[0]));
    last = match.index + match[0].length;
  }
  if (last < value.length) fragment.append(document.createTextNode(value.slice(last)));
  return fragment;
}

/** An <a> to an outside page; clicking it hands the URL to the system browser. */
export function externalLink(href, label = href) {
  const a = document.createElement('a');
  a.className = 'external';
  a.textContent = label;
  try {
    const url = new URL(href);
    if (url.protocol === 'http:' || url.protocol === 'https:') {
      a.href = url.href;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      a.title = `Open ${url.href} in your browser`;
    }
  } catch {
    /* not a URL: stays plain text in an <a> without href */
  }
  return a;
}

/**
 * Keep the window on this page: any click on a link that leaves it is turned into a
 * new-window request, which the desktop shell hands to the system browser.
 */
export function installLinkGuard(doc = document) {
  doc.addEventListener('click', (event) => {
    const a = event.target instanceof Element ? event.target.closest('a[href]') : null;
    if (!a) return;
    const url = new URL(a.href, doc.baseURI);
    if (url.origin === window.location.origin && url.pathname === window.location.pathname) return;
    event.preventDefault();
    if (url.protocol === 'http:' || url.protocol === 'https:') {
      window.open(url.href, '_blank', 'noopener,noreferrer');
    }
  });
}

// Intl formatters are costly to build: one each, shared (the board formats 1,000s of cards).
const RELATIVE = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const DATE_TIME = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
});
const NUMBER = new Intl.NumberFormat();

/** "3 minutes ago" style, with the exact time as a fallback. */
export function relativeTime(iso, now = Date.now()) {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return String(iso);
  const seconds = Math.round((now - t) / 1000);
  const abs = Math.abs(seconds);
  const rtf = RELATIVE;
  const units = [
    ['year', 31536000], ['month', 2592000], ['week', 604800],
    ['day', 86400], ['hour', 3600], ['minute', 60],
  ];
  for (const [unit, size] of units) {
    if (abs >= size) return rtf.format(-Math.round(seconds / size), unit);
  }
  return abs < 10 ? 'just now' : rtf.format(-seconds, 'second');
}

export function formatDateTime(iso) {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return String(iso);
  return DATE_TIME.format(new Date(t));
}

export function formatDuration(seconds) {
  if (seconds === undefined || seconds === null || Number.isNaN(Number(seconds))) return '—';
  let s = Math.max(0, Math.round(Number(seconds)));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

export function formatBytes(bytes) {
  const n = Number(bytes);
  if (!Number.isFinite(n)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = n;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i += 1;
  }
  return `${value.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatNumber(n) {
  if (n === undefined || n === null) return '—';
  return NUMBER.format(Number(n));
}

/** Newly generated id for a chat message. */
export function newId(prefix) {
  const random = window.crypto && window.crypto.randomUUID
    ? window.crypto.randomUUID().replace(/-/g, '').slice(0, 16)
    : Math.random().toString(16).slice(2, 18);
  return `${prefix}_${Date.now().toString(36)}_${random}`;
}
