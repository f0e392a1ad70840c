// Live: follow the database's change log and hand each batch of changes to the page.
//
// One long poll at a time: changes_since answers at once when sessions changed after
// the token, else when one does (another window, the command line, the shell, an
// import), else after WAIT_MS with nothing. The call holds no database connection
// while it waits, and ends when the window closes (the bridge closes under it).
// Calls go straight through invoke: a background wait must not count as the page
// being busy, and a failure is retried quietly instead of filling the banner.
import { invoke } from './invoke.js';
import { sleep, relativeTime, formatDateTime } from './dom.js';

const WAIT_MS = 25000;
const RETRY_MS = 2000;
const AGES_MS = 30000;

/** Where the page is in the change log; published as <html data-live-token>, data-live-batches. */
const liveState = {
  token: null,
  batches: 0,
};

let generation = 0;

/**
 * Follow another database from now on: the window switched to it. An answer to a
 * wait begun before (on the other one) is dropped, and the next wait starts from
 * ``token``, that database's token taken before the page reloaded what it shows,
 * so no change made in between is missed.
 */
export function restartFollowing(token) {
  generation += 1;
  liveState.token = token;
}

/**
 * Follow changes until the page goes away (or ``stopFollowing``).
 * @param {{onChanges: (changes: object[]) => Promise<void>, onReset: () => Promise<void>}} handlers
 */
export async function follow({ onChanges, onReset }) {
  for (;;) {
    let answer;
    const asked = generation;
    try {
      answer = await invoke('changes_since',
        { token: liveState.token, waitMs: liveState.token === null ? 0 : WAIT_MS });
      if (asked !== generation) continue;
    } catch {
      await sleep(RETRY_MS); // the bridge closing, or a database error: try again later
      continue;
    }
    const first = liveState.token === null;
    liveState.token = answer.token;
    document.documentElement.dataset.liveToken = String(answer.token);
    try {
      if (answer.reset) await onReset();
      else if (!first && answer.changes.length) await onChanges(answer.changes);
    } catch {
      /* a view failed to update itself; the next change or Refresh brings it back */
    }
    if (answer.reset || answer.changes.length) {
      liveState.batches += 1;
      document.documentElement.dataset.liveBatches = String(liveState.batches);
    }
  }
}

/** Keep "3 min ago" true without reloading anything. */
export function keepAgesFresh(root = document) {
  setInterval(() => {
    for (const time of root.querySelectorAll('time.card-time[datetime]')) {
      const iso = time.getAttribute('datetime');
      time.textContent = relativeTime(iso);
      time.title = `Updated ${formatDateTime(iso)}`;
    }
  }, AGES_MS);
}

/** Run `fn` at most once per `ms`, the last call winning (counts during an import). */
export function throttle(fn, ms) {
  let timer = null;
  let again = false;
  const run = async () => {
    again = false;
    try {
      await fn();
    } finally {
      timer = setTimeout(() => {
        timer = null;
        if (again) run();
      }, ms);
    }
  };
  return () => {
    if (timer) again = true;
    else run();
  };
}
