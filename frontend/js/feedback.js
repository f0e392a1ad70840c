// Busy indicators, the error banner and toasts. Every bridge call of the page goes
// through call(): it shows that something is working, and a failed call always ends
// up as a visible banner with its error code, never only in the console.
import { invoke } from './invoke.js';
import { el } from './dom.js';

const TITLES = {
  VALIDATION: 'That was not accepted',
  NOT_FOUND: 'Not found',
  CONFLICT: 'Already exists',
  DATABASE: 'The database reported a problem',
  MIGRATION: 'The database version does not match',
  IO: 'A file could not be read or written',
  JSON: 'A legacy session file could not be read',
  CANCELLED: 'Cancelled',
  BRIDGE: 'Not connected to the session database',
  UNKNOWN_COMMAND: 'The page asked for something the app does not offer',
  INTERNAL: 'Something went wrong',
};

const MAX_BANNERS = 4;
let inFlight = 0;

export function setBusy(delta) {
  inFlight = Math.max(0, inFlight + delta);
  const busy = inFlight > 0;
  document.documentElement.dataset.busy = String(inFlight);
  document.getElementById('busy').hidden = !busy;
  document.getElementById('progress').classList.toggle('active', busy);
}

/**
 * Run a bridge command with the busy indicator on; a failure is shown in the banner
 * and rethrown so the caller can put its controls back.
 * @param {string} command
 * @param {object} args camelCase arguments
 * @param {string} what what the person was doing, for the banner ("loading sessions")
 */
export async function call(command, args, what) {
  setBusy(+1);
  try {
    return await invoke(command, args);
  } catch (error) {
    showError(error, what);
    throw error;
  } finally {
    setBusy(-1);
  }
}

/** Disable `button` and show a spinner on it while `fn` runs. */
export async function withButton(button, fn) {
  if (!button) return fn();
  const wasDisabled = button.disabled;
  button.disabled = true;
  button.classList.add('is-busy');
  button.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    button.disabled = wasDisabled;
    button.classList.remove('is-busy');
    button.removeAttribute('aria-busy');
  }
}

/**
 * Mark `node` busy while `fn` runs. A failed `call` inside has already shown
 * its error in the banner, so the failure stops here and the view stays usable.
 */
export async function whileLoading(node, fn) {
  node.setAttribute('aria-busy', 'true');
  try {
    await fn();
  } catch {
    /* shown in the banner */
  } finally {
    node.removeAttribute('aria-busy');
  }
}

/** Show an error in the banner. */
export function showError(error, what) {
  const code = (error && error.code) || 'INTERNAL';
  const message = (error && error.message) || String(error);
  const host = document.getElementById('errors');
  const key = `${code}\u0000${what || ''}\u0000${message}`;

  for (const existing of host.children) {
    if (existing.dataset.key === key) {
      const n = Number(existing.dataset.repeat || '1') + 1;
      existing.dataset.repeat = String(n);
      existing.querySelector('.error-repeat').textContent = `×${n}`;
      host.prepend(existing);
      return existing;
    }
  }

  const banner = el('div', {
    class: 'error-banner',
    attrs: { role: 'alert' },
    dataset: { code, key, command: (error && error.command) || '' },
  },
  el('span', { class: 'error-code', text: code }),
  el('div', { class: 'error-body' },
    el('strong', { class: 'error-title', text: TITLES[code] || TITLES.INTERNAL }),
    what ? el('span', { class: 'error-what', text: ` while ${what}` }) : null,
    el('div', { class: 'error-message', text: message })),
  el('span', { class: 'error-repeat' }),
  el('button', {
    type: 'button',
    class: 'error-close',
    title: 'Dismiss',
    attrs: { 'aria-label': 'Dismiss error' },
    text: '×',
    on: { click: () => banner.remove() },
  }));
  host.prepend(banner);
  while (host.children.length > MAX_BANNERS) host.lastElementChild.remove();
  return banner;
}

export function clearErrors() {
  document.getElementById('errors').replaceChildren();
}

/** A short confirmation that fades away. */
/** Put a toast up; at most two show at once (the oldest goes first). */
export function addToast(node) {
  const host = document.getElementById('toasts');
  const shown = [...host.children].filter((t) => !t.classList.contains('leaving'));
  for (const old of shown.slice(0, Math.max(0, shown.length - 1))) {
    // an Undo toast gives way only to another one: its action must not vanish under a notice
    if (old.classList.contains('toast-undo') && !node.classList.contains('toast-undo') && shown.length < 3) continue;
    old.remove();
  }
  host.append(node);
}

export function toast(text, kind = 'ok') {
  const node = el('div', { class: ['toast', `toast-${kind}`], attrs: { role: 'status' }, text });
  addToast(node);
  setTimeout(() => node.classList.add('leaving'), 2600);
  setTimeout(() => node.remove(), 3000);
  return node;
}

/** Nothing fails silently: errors outside call() reach the banner too. */
export function installGlobalErrorHandlers() {
  window.addEventListener('unhandledrejection', (event) => {
    const reason = event.reason;
    // call() already showed its failures; do not show them twice.
    if (reason && reason.code && reason.command) {
      event.preventDefault();
      return;
    }
    showError(reason instanceof Error ? reason : new Error(String(reason)), 'running the page');
  });
  window.addEventListener('error', (event) => {
    // Errors of resources (a missing image) have no message; scripts' errors do.
    if (!event.error && !event.message) return;
    showError(event.error || new Error(event.message), 'running the page');
  });
}
