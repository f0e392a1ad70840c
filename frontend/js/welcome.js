// First launch: on an empty database, say what this is and offer the shell's legacy
// history (~/.ait42/sessions): a dry run of the import finds how much is there
// (files, sessions, size) without writing anything; "Import" runs the real import
// with its progress, then the board opens on the most recently active workspace.
import { $, sleep, formatBytes, formatNumber } from './dom.js';
import { showError } from './feedback.js';
import { invoke } from './invoke.js';

/** Poll an import job until it ends; ``onProgress(status)`` after each answer. */
async function finish(jobId, onProgress = () => {}) {
  for (;;) {
    const status = await invoke('get_import_status', { jobId });
    onProgress(status);
    if (status.state !== 'running') return status;
    await sleep(200);
  }
}

export class Welcome {
  constructor({ onImported, onOptions }) {
    this.onImported = onImported;
    this.found = null; // the dry run's answer
    $('welcome-import').addEventListener('click', () => this.runImport());
    $('welcome-options').addEventListener('click', () => onOptions());
  }

  /** True when the database holds nothing at all (no session, none in the trash). */
  static async isEmpty() {
    const stats = await invoke('get_database_stats', {});
    return stats.sessionCount === 0 && !stats.trashedSessionCount;
  }

  setState(state, text) {
    $('welcome-legacy').dataset.state = state;
    $('welcome-legacy-text').textContent = text;
  }

  /** Look for the legacy history (a dry run of the import: nothing is written). */
  async scan() {
    // Checking from the first moment: a second scan (back from the sample history)
    // must not leave the last one's Import button to be pressed while it runs.
    $('welcome-legacy').dataset.state = 'checking';
    $('welcome-import').hidden = true;
    let dir = '~/.ait42/sessions';
    try {
      const mode = await invoke('get_storage_mode', {});
      if (mode && mode.sessionsDir) dir = mode.sessionsDir;
    } catch {
      /* the default folder's name is enough to say where we looked */
    }
    this.dir = dir;
    this.setState('checking', `Looking for the shell's sessions in ${dir}…`);
    $('welcome-import').hidden = true;
    try {
      const { jobId } = await invoke('start_import', { sourceDir: null, options: { dryRun: true } });
      const status = await finish(jobId);
      const summary = status.summary || {};
      const sessions = summary.totals ? summary.totals.read.sessions : 0;
      const files = summary.files ? summary.files.found : status.filesTotal;
      if (status.state !== 'done' || !sessions) {
        this.setState('none', `No legacy history was found in ${dir}. Sessions appear here as the `
          + 'shell runs agents; an export bundle or another folder can be imported from Import & storage.');
        return;
      }
      this.found = { sessions, files, bytes: status.bytesTotal || 0 };
      const bytes = status.bytesTotal ? ` (${formatBytes(status.bytesTotal)})` : '';
      this.setState('found', `Found ${formatNumber(sessions)} session${sessions === 1 ? '' : 's'} in `
        + `${formatNumber(files)} legacy file${files === 1 ? '' : 's'}${bytes} in ${dir}, `
        + 'written by the shell before this database existed.');
      const button = $('welcome-import');
      button.textContent = `Import ${formatNumber(sessions)} session${sessions === 1 ? '' : 's'}`;
      button.hidden = false;
      $('welcome-legacy').dataset.sessions = String(sessions);
      $('welcome-legacy').dataset.bytes = String(status.bytesTotal || 0);
    } catch (error) {
      this.setState('none', `No legacy history could be read in ${dir}: ${error.message}`);
    }
  }

  async runImport() {
    const button = $('welcome-import');
    button.disabled = true;
    const meter = $('welcome-meter');
    meter.hidden = false;
    this.setState('importing', 'Importing…');
    try {
      const { jobId } = await invoke('start_import', { sourceDir: null, options: {} });
      const status = await finish(jobId, (s) => {
        const percent = s.bytesTotal ? Math.round((100 * s.bytesDone) / s.bytesTotal) : 0;
        $('welcome-meter-fill').style.width = `${percent}%`;
        meter.setAttribute('aria-valuenow', String(percent));
        $('welcome-legacy-text').textContent = `Importing… ${formatNumber(s.sessionsDone)}`
          + `${s.sessionsTotal ? ` of ${s.sessionsTotalExact ? '' : '~'}${formatNumber(s.sessionsTotal)}` : ''} sessions,`
          + ` file ${formatNumber(s.filesDone)} of ${formatNumber(s.filesTotal)}`;
      });
      if (status.state !== 'done') {
        const error = new Error(status.error ? status.error.message || String(status.error) : 'the import did not finish');
        error.code = status.error && status.error.code;
        throw error;
      }
      const written = status.summary.totals.written.sessions;
      this.setState('done', `Imported ${formatNumber(written)} session${written === 1 ? '' : 's'}.`);
      await this.onImported(status.summary);
    } catch (error) {
      showError(error, 'importing the legacy history');
      this.setState('failed', 'The import did not finish: see the message above. Import & storage has every option.');
    } finally {
      button.disabled = false;
    }
  }
}
