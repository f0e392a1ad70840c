// After an import, while the shell still keeps its sessions in its JSON files (storage
// mode JSON), say what that means and offer Dual or SQLite. Nothing switches without
// the person's click: Esc, "Keep JSON for now" and closing the dialog change nothing.
import { call, toast } from './feedback.js';
import { invoke } from './invoke.js';
import { $, formatNumber } from './dom.js';

const NAMES = Object.freeze({ json: 'JSON', dual: 'Dual', sqlite: 'SQLite' });

/**
 * Ask, when the storage mode is JSON. Resolves to set_storage_mode's answer when the
 * person switched, else null (another mode already, kept, or the switch failed).
 * @param {{imported?: number}} what the import wrote (for the dialog's text)
 */
export async function suggestStorageMode({ imported = 0 } = {}) {
  let info;
  try {
    info = await invoke('get_storage_mode', {});
  } catch {
    return null; // the import's own report stands; the mode can be chosen in Import & storage
  }
  if (!info || info.mode !== 'json') return null;
  const dialog = $('storage-dialog');
  const what = imported
    ? `${formatNumber(imported)} session${imported === 1 ? ' is' : 's are'} in the database now, but the shell`
    : 'The shell';
  $('storage-dialog-text').textContent = `${what} still keeps its sessions in its JSON files only `
    + '(storage mode JSON): what it runs from now on shows here only after another import.';
  const choices = [...dialog.querySelectorAll('.storage-choice')];
  return new Promise((resolve) => {
    let busy = false;
    const done = (value) => {
      for (const b of choices) b.removeEventListener('click', onChoice);
      $('storage-keep').removeEventListener('click', onKeep);
      dialog.removeEventListener('cancel', onCancel);
      for (const b of choices) b.disabled = false;
      if (dialog.open) dialog.close();
      resolve(value);
    };
    const onKeep = () => { if (!busy) done(null); };
    const onCancel = (event) => {
      event.preventDefault();
      onKeep();
    };
    async function onChoice(event) {
      if (busy) return;
      busy = true;
      for (const b of choices) b.disabled = true;
      const mode = event.currentTarget.dataset.mode;
      let result = null;
      try {
        result = await call('set_storage_mode', { mode }, 'switching the storage mode');
        toast(`Storage mode: ${NAMES[result.mode] || result.mode} (was ${NAMES[result.previous] || result.previous})`);
      } catch {
        /* shown in the banner; the mode stays JSON */
      }
      done(result);
    }
    for (const b of choices) b.addEventListener('click', onChoice);
    $('storage-keep').addEventListener('click', onKeep);
    dialog.addEventListener('cancel', onCancel);
    dialog.showModal();
    $('storage-keep').focus();
  });
}
