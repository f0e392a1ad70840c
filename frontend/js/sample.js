// The sample history: a made-up history in a database of its own (the backend's
// `use_sample_history`), for a first look before there is any history of one's own.
// While it is shown a banner says so on every view, with the way back. After each
// switch the page starts over in place (`onSwitched`: views, filters, workspaces and
// the live view's token), so nothing it shows mixes the two databases. (Not a
// reload: pywebview answers a call still waiting then into the new page, and its
// own scripts fail while it injects the bridge again, both as "Script error.".)
import { $ } from './dom.js';
import { call } from './feedback.js';
import { invoke } from './invoke.js';
import { scopePrefs } from './prefs.js';

/** Which database is shown; with the sample, the banner appears. Never throws. */
export async function readPlace() {
  let place = { sample: false };
  try {
    place = await invoke('use_sample_history', { sample: null });
  } catch {
    /* an older bridge without the command: it only has the person's database */
  }
  const sample = Boolean(place && place.sample);
  scopePrefs(sample);
  $('sample-banner').hidden = !sample;
  if (sample) {
    document.documentElement.dataset.sample = 'true';
    $('sample-path').textContent = place.path;
    $('sample-path').title = place.path;
  } else {
    delete document.documentElement.dataset.sample;
  }
  return place;
}

/** Switch to the sample history (true) or back to the person's database, then start over. */
async function switchPlace(sample, button, onSwitched) {
  button.disabled = true;
  try {
    await call('use_sample_history', { sample }, sample ? 'opening the sample history'
      : 'going back to your database');
  } catch {
    return; // call() has shown the error; this database is still the one shown
  } finally {
    button.disabled = false;
  }
  await onSwitched();
}

/** The banner's button, and the welcome's; ``onSwitched`` starts the page over. */
export function installSample(onSwitched) {
  $('sample-leave').addEventListener('click', (event) => switchPlace(false, event.currentTarget, onSwitched));
  $('welcome-sample').addEventListener('click', (event) => switchPlace(true, event.currentTarget, onSwitched));
}
