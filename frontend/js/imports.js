// The "Import & storage" view: the storage mode (json | dual | sqlite), the legacy
// JSON import with a live progress view and its summary, and the consistency report.
// Everything stored or returned is shown through text nodes (el/textContent) only.
import { invoke } from './invoke.js';
import { $, sleep, el, setChildren, formatNumber, formatDuration } from './dom.js';
import { call, withButton, toast, showError, whileLoading } from './feedback.js';
import { confirmDialog } from './dialog.js';
import { suggestStorageMode } from './storage_suggest.js';

/** How often a running import is asked where it is (about 5 times a second). */
const POLL_MS = 200;
/** Lines of a long list shown before "and N more". */
const MAX_LISTED = 50;

const MODE_NAMES = Object.freeze({ json: 'JSON', dual: 'Dual', sqlite: 'SQLite' });
const MODE_EFFECT = Object.freeze({
  json: 'The shell\'s commands will read and write the legacy JSON files only; the database is not written.',
  dual: 'The shell\'s commands will write both the JSON files and the database and read the database; differences and one-sided failures are recorded.',
  sqlite: 'The shell\'s commands will use the database only; the legacy JSON files stop being updated.',
});
const COUNT_KEYS = ['sessions', 'instances', 'messages'];

function plural(n, one, many = `${one}s`) {
  return `${formatNumber(n)} ${Number(n) === 1 ? one : many}`;
}

/** A JSON value as text (strings as they are). */
function shown(value) {
  if (value === null) return 'null';
  if (value === undefined) return '(absent)';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function resultBox(kind, title, ...lines) {
  return el('div', { class: 'db-result', dataset: { result: kind } },
    el('span', {
      class: ['result-icon', `result-${kind}`], attrs: { 'aria-hidden': 'true' }, text: kind === 'ok' ? '✓' : '!',
    }),
    el('div', { class: 'result-body' },
      el('strong', { class: 'result-title', text: title }),
      lines.filter(Boolean).map((line) => el('div', { class: 'muted', text: line }))));
}

/** "… and 12 more" under a capped list. */
function more(total, listed) {
  return total > listed ? el('li', { class: 'more muted', text: `… and ${formatNumber(total - listed)} more` }) : null;
}

function formatElapsed(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  return seconds < 1 ? `${Math.round(seconds * 1000)} ms` : formatDuration(seconds);
}

function jobError(error) {
  const e = new Error((error && error.message) || 'The import failed.');
  e.name = (error && error.name) || 'SessionError';
  e.code = (error && error.code) || 'INTERNAL';
  e.command = 'start_import';
  return e;
}

export class ImportView {
  constructor() {
    this.mode = null;
    this.jobId = null;
    this.cancelling = false;
    this.polls = 0;

    for (const option of document.querySelectorAll('#storage-modes .mode-option')) {
      option.addEventListener('click', () => withButton(option, () => this.chooseMode(option.dataset.mode)));
    }
    $('import-form').addEventListener('submit', (event) => {
      event.preventDefault();
      withButton($('import-start'), () => this.start());
    });
    $('import-cancel').addEventListener('click', () => this.cancel());
    $('consistency-check').addEventListener('click',
      () => withButton($('consistency-check'), () => this.checkConsistency()));
  }

  /** Shown: read the storage mode (the import and the report are started by hand). */
  async load() {
    const view = $('view-import');
    await whileLoading(view, async () => {
      this.showMode(await call('get_storage_mode', {}, 'reading the storage mode'));
      await this.refreshCounts();
      view.dataset.loaded = 'true';
    });
  }

  /** What the database holds now; kept current while an import runs anywhere. */
  async refreshCounts() {
    const stats = await invoke('get_database_stats', {});
    $('import-db-counts').textContent = `The database holds ${formatNumber(stats.sessionCount)} sessions, `
      + `${formatNumber(stats.instanceCount)} instances and ${formatNumber(stats.messageCount)} messages.`;
    $('import-db-counts').dataset.sessions = String(stats.sessionCount);
  }

  // -- storage mode ---------------------------------------------------------

  showMode(info) {
    this.mode = info.mode;
    const panel = $('storage-panel');
    panel.dataset.mode = info.mode;
    $('storage-current').textContent = MODE_NAMES[info.mode] || info.mode;
    $('storage-current').dataset.mode = info.mode;
    $('storage-dir').textContent = info.sessionsDir ? `Legacy files: ${info.sessionsDir}` : '';
    $('storage-dir').title = info.sessionsDir || '';
    $('import-dir').placeholder = info.sessionsDir
      ? `${info.sessionsDir} (default)` : '~/.ait42/sessions (default)';
    for (const option of document.querySelectorAll('#storage-modes .mode-option')) {
      option.setAttribute('aria-checked', String(option.dataset.mode === info.mode));
    }
  }

  async chooseMode(mode) {
    if (!mode || mode === this.mode) return;
    const from = MODE_NAMES[this.mode] || this.mode || 'the current mode';
    const ok = await confirmDialog({
      title: `Switch storage to ${MODE_NAMES[mode]}?`,
      text: `From ${from} to ${MODE_NAMES[mode]}. ${MODE_EFFECT[mode]}`,
      confirm: `Switch to ${MODE_NAMES[mode]}`,
      danger: false,
    });
    if (!ok) return;
    try {
      const result = await call('set_storage_mode', { mode }, 'switching the storage mode');
      this.showMode(result);
      toast(`Storage mode: ${MODE_NAMES[result.mode]} (was ${MODE_NAMES[result.previous] || result.previous})`);
    } catch {
      /* shown in the banner; the mode shown stays the stored one */
    }
  }

  // -- import ----------------------------------------------------------------

  /** The form as start_import's arguments. */
  request() {
    const dir = $('import-dir').value.trim() || null;
    const options = {
      dryRun: $('import-dry-run').checked,
      overwrite: $('import-overwrite').checked,
      noBackup: $('import-no-backup').checked,
    };
    const workspaces = $('import-workspaces').value.split('\n').map((s) => s.trim()).filter(Boolean);
    if (workspaces.length) options.workspaces = workspaces;
    const mapping = $('import-mapping').value.trim();
    if (mapping) options.mapping = mapping;
    return { dir, options };
  }

  async start() {
    if (this.jobId) return;
    const { dir, options } = this.request();
    const panel = $('import-panel');
    panel.dataset.state = 'starting';
    delete panel.dataset.polls;
    $('import-summary').hidden = true;
    $('import-summary').replaceChildren();
    let started;
    try {
      started = await call('start_import', { sourceDir: dir, options }, 'starting the import');
    } catch {
      panel.dataset.state = 'refused';
      return; /* shown in the banner (a CONFLICT when another import runs) */
    }
    this.jobId = started.jobId;
    this.cancelling = false;
    this.polls = 0;
    panel.dataset.jobId = started.jobId;
    panel.dataset.dryRun = String(options.dryRun);
    $('import-progress').hidden = false;
    $('import-spinner').hidden = false;
    $('import-cancel').hidden = false;
    $('import-cancel').disabled = false;
    this.setFormEnabled(false);
    this.renderStatus({
      state: 'running', dryRun: options.dryRun, filesDone: 0, filesTotal: null, sessionsDone: 0,
      sessionsTotal: null, rate: null, etaSeconds: null, elapsedSeconds: 0, currentFile: null,
    });
    await this.follow(started.jobId);
  }

  setFormEnabled(enabled) {
    for (const control of $('import-form').querySelectorAll('input, textarea, button')) {
      control.disabled = !enabled;
    }
  }

  /** Poll the job until it is no longer running. */
  async follow(jobId) {
    let failures = 0;
    for (;;) {
      let status;
      try {
        status = await invoke('get_import_status', { jobId });
        failures = 0;
      } catch (error) {
        showError(error, 'following the import');
        failures += 1;
        if (failures >= 3 || error.code === 'NOT_FOUND' || error.code === 'BRIDGE') {
          this.finish(null);
          return;
        }
        await sleep(1000);
        continue;
      }
      this.polls += 1;
      $('import-panel').dataset.polls = String(this.polls);
      this.renderStatus(status);
      if (status.state !== 'running') {
        this.finish(status);
        return;
      }
      await sleep(POLL_MS);
    }
  }

  renderStatus(status) {
    const panel = $('import-panel');
    panel.dataset.state = status.state;
    const running = status.state === 'running';
    const dry = status.dryRun ? 'Dry run' : 'Import';
    let label = `${dry} running…`;
    if (running && this.cancelling) label = 'Cancelling after the current file…';
    else if (status.state === 'done') label = status.dryRun ? 'Dry run finished' : 'Import finished';
    else if (status.state === 'failed') {
      label = status.error && status.error.code === 'CANCELLED' ? 'Import cancelled' : 'Import failed';
    }
    $('import-state-label').textContent = label;
    $('import-current').textContent = running && status.currentFile ? status.currentFile : '';

    const filesTotal = status.filesTotal;
    $('import-files').textContent = filesTotal === null || filesTotal === undefined
      ? formatNumber(status.filesDone || 0)
      : `${formatNumber(status.filesDone)} / ${formatNumber(filesTotal)}`;
    let sessions = formatNumber(status.sessionsDone || 0);
    if (status.sessionsTotal !== null && status.sessionsTotal !== undefined) {
      sessions += status.sessionsTotalExact ? ` / ${formatNumber(status.sessionsTotal)}`
        : ` / ~${formatNumber(status.sessionsTotal)}`;
    }
    $('import-sessions').textContent = sessions;
    $('import-rate').textContent = status.rate === null || status.rate === undefined
      ? '—' : `${formatNumber(Math.round(status.rate))} sessions/s`;
    let eta = '—';
    if (!running) eta = 'done';
    else if (status.etaSeconds !== null && status.etaSeconds !== undefined) {
      eta = status.etaSeconds < 1 ? 'under 1s' : formatDuration(status.etaSeconds);
    }
    $('import-eta').textContent = eta;
    $('import-elapsed').textContent = formatElapsed(status.elapsedSeconds);

    let fraction = 0;
    if (status.state === 'done') fraction = 1;
    else if (status.bytesTotal) fraction = status.bytesDone / status.bytesTotal;
    else if (filesTotal) fraction = status.filesDone / filesTotal;
    const percent = Math.max(0, Math.min(100, Math.round(fraction * 100)));
    $('import-meter-fill').style.width = `${percent}%`;
    $('import-meter').setAttribute('aria-valuenow', String(percent));
    $('import-meter').dataset.state = status.state;
    panel.dataset.percent = String(percent);
    panel.dataset.filesDone = String(status.filesDone || 0);
    panel.dataset.sessionsDone = String(status.sessionsDone || 0);
  }

  async cancel() {
    if (!this.jobId || this.cancelling) return;
    this.cancelling = true;
    $('import-cancel').disabled = true;
    $('import-state-label').textContent = 'Cancelling after the current file…';
    try {
      await call('cancel_import', { jobId: this.jobId }, 'cancelling the import');
    } catch {
      this.cancelling = false;
      $('import-cancel').disabled = false;
    }
  }

  finish(status) {
    this.jobId = null;
    this.cancelling = false;
    $('import-spinner').hidden = true;
    $('import-cancel').hidden = true;
    this.setFormEnabled(true);
    const box = $('import-summary');
    box.hidden = false;
    if (!status) {
      $('import-panel').dataset.state = 'lost';
      setChildren(box, resultBox('bad', 'Lost track of the import',
        'Its status could not be read. It may still be running: check the database panel.'));
      return;
    }
    if (status.state === 'done' && status.summary) {
      setChildren(box, renderSummary(status.summary));
      toast(status.summary.dryRun ? 'Dry run finished' : 'Import finished');
      const written = status.summary.totals ? status.summary.totals.written.sessions : 0;
      if (!status.summary.dryRun && written > 0) {
        suggestStorageMode({ imported: written }).then((result) => { if (result) this.showMode(result); });
      }
      return;
    }
    const error = status.error || {};
    if (error.code === 'CANCELLED') {
      const cancelled = resultBox('bad', 'Import cancelled',
        `${plural(status.filesDone, 'file')} of ${formatNumber(status.filesTotal)} were done; what was imported stays imported.`);
      setChildren(box, cancelled, status.summary ? renderSummary(status.summary) : null);
      return;
    }
    showError(jobError(error), 'importing legacy sessions');
    setChildren(box, resultBox('bad', 'Import failed', `${error.code || 'INTERNAL'}: ${error.message || ''}`));
  }

  // -- consistency -----------------------------------------------------------

  async checkConsistency() {
    const panel = $('consistency-panel');
    await whileLoading(panel, async () => {
      const report = await call('check_consistency', {}, 'checking consistency');
      $('consistency-intro').hidden = true;
      const host = $('consistency-report');
      host.hidden = false;
      setChildren(host, renderConsistency(report));
      panel.dataset.ok = String(Boolean(report.ok));
      panel.dataset.checkedAt = report.checkedAt || '';
    });
  }
}

// -- the import summary --------------------------------------------------------

function totalsTable(totals) {
  const columns = [['read', 'Read'], ['written', 'Written'], ['unchanged', 'Unchanged'], ['skipped', 'Skipped']];
  return el('table', { class: 'data-table totals-table', id: 'import-totals' },
    el('thead', {}, el('tr', {}, el('th', { attrs: { scope: 'col' } }),
      columns.map(([, label]) => el('th', { class: 'num', attrs: { scope: 'col' }, text: label })))),
    el('tbody', {}, COUNT_KEYS.map((key) => el('tr', { dataset: { count: key } },
      el('th', { attrs: { scope: 'row' }, text: key[0].toUpperCase() + key.slice(1) }),
      columns.map(([column]) => el('td', {
        class: ['num', column === 'skipped' && totals[column] && totals[column][key] ? 'warn' : null],
        dataset: { column },
        text: formatNumber(totals[column] ? totals[column][key] : 0),
      }))))));
}

function readVsWritten(ws, key) {
  const read = ws.read[key];
  const written = ws.written[key];
  const unchanged = ws.unchanged[key];
  const skipped = ws.skipped[key];
  const extra = [];
  if (unchanged) extra.push(`${formatNumber(unchanged)} unchanged`);
  if (skipped) extra.push(`${formatNumber(skipped)} skipped`);
  return el('td', {
    class: ['num', skipped ? 'warn' : null],
    dataset: { key, read, written, unchanged, skipped },
  },
  el('span', { class: 'rw', text: `${formatNumber(read)} → ${formatNumber(written)}` }),
  extra.length ? el('div', { class: 'muted small', text: extra.join(', ') }) : null);
}

function workspacesTable(workspaces) {
  return el('table', { class: 'data-table workspaces-table', id: 'import-workspaces-table' },
    el('thead', {}, el('tr', {},
      el('th', { attrs: { scope: 'col' }, text: 'Workspace' }),
      el('th', { attrs: { scope: 'col' }, text: 'Result' }),
      el('th', { class: 'num', attrs: { scope: 'col' }, text: 'Sessions' }),
      el('th', { class: 'num', attrs: { scope: 'col' }, text: 'Instances' }),
      el('th', { class: 'num', attrs: { scope: 'col' }, text: 'Messages' }),
      el('th', { class: 'num', attrs: { scope: 'col' }, text: 'Verified' }))),
    el('tbody', {}, workspaces.map((ws) => el('tr', {
      class: 'import-ws', dataset: { file: ws.file, hash: ws.workspaceHash, status: ws.status },
    },
    el('td', { class: 'ws-cell' },
      el('div', { class: 'mono ws-path', text: ws.path || `${ws.workspaceHash} (path unknown)`, title: ws.path || '' }),
      el('div', { class: 'muted small mono', text: ws.pathSource ? `${ws.file} · path from ${ws.pathSource}` : ws.file }),
      ws.fileError ? el('div', { class: 'issue-reason small', text: ws.fileError }) : null),
    el('td', {}, el('span', { class: ['result-pill', `result-${ws.status}`], text: ws.status })),
    readVsWritten(ws, 'sessions'),
    readVsWritten(ws, 'instances'),
    readVsWritten(ws, 'messages'),
    el('td', { class: 'num', text: formatNumber(ws.verified) })))));
}

function fieldsTable(fields, total) {
  if (!fields || !fields.length) return null;
  return el('table', { class: 'data-table diff-table' },
    el('thead', {}, el('tr', {},
      el('th', { attrs: { scope: 'col' }, text: 'Field' }),
      el('th', { attrs: { scope: 'col' }, text: 'JSON' }),
      el('th', { attrs: { scope: 'col' }, text: 'Database' }))),
    el('tbody', {}, fields.map((f) => el('tr', { dataset: { field: f.field } },
      el('td', { class: 'mono', text: f.field }),
      el('td', { class: 'mono value', text: shown(f.json) }),
      el('td', { class: 'mono value', text: shown(f.database) })))),
    total && total > fields.length
      ? el('caption', { class: 'muted small', text: `${formatNumber(total - fields.length)} more field(s) differ` })
      : null);
}

function issuesList(issues, total) {
  return el('ol', { class: 'issues', id: 'import-issues' },
    issues.map((issue) => el('li', {
      class: 'issue', dataset: { kind: issue.kind, file: issue.file, sessionId: issue.sessionId ?? undefined },
    },
    el('div', { class: 'issue-head' },
      el('span', { class: 'issue-kind', text: issue.kind }),
      el('span', { class: 'mono issue-file', text: issue.file }),
      issue.sessionId ? el('span', { class: 'mono issue-session', text: issue.sessionId }) : null,
      issue.index !== null && issue.index !== undefined
        ? el('span', { class: 'muted small', text: `#${issue.index}` }) : null),
    el('div', { class: 'issue-reason', text: issue.reason }),
    fieldsTable(issue.fields))),
    more(total, issues.length));
}

function renderSummary(summary) {
  const files = summary.files || {};
  const totals = summary.totals || {};
  const issues = summary.issues || [];
  const issueCount = summary.issueCount ?? issues.length;
  let title;
  if (summary.dryRun) title = summary.ok ? 'Dry run: everything would import; nothing was written' : 'Dry run: nothing was written';
  else title = summary.ok ? 'Import complete: every session arrived' : 'Import finished with problems';
  if (!summary.ok) title += ` (${plural(issueCount, 'issue')})`;
  const fileLine = `${plural(files.found || 0, 'file')} found: ${formatNumber(files.imported || 0)} imported, `
    + `${formatNumber(files.unchanged || 0)} unchanged, ${formatNumber(files.empty || 0)} empty, `
    + `${formatNumber(files.skipped || 0)} skipped.`;
  const checkLine = `${plural(summary.verified || 0, 'session')} read back equal to their JSON; `
    + `counts read vs written ${summary.countsMatch ? 'match' : 'DO NOT match'}`
    + (summary.elapsedSeconds !== undefined ? ` · took ${formatElapsed(summary.elapsedSeconds)}` : '');
  const backupLine = summary.backupPath ? `Backup of the folder: ${summary.backupPath}` : null;

  const parts = [
    resultBox(summary.ok ? 'ok' : 'bad', title, fileLine, checkLine, backupLine),
    el('section', { class: 'summary-block totals-block' }, el('h3', { text: 'Totals' }), totalsTable(totals)),
    el('section', { class: 'summary-block' },
      el('h3', { text: `Workspaces (${formatNumber((summary.workspaces || []).length)}): read → written` }),
      el('div', { class: 'table-wrap' }, workspacesTable(summary.workspaces || []))),
  ];
  const unmapped = summary.unmapped || [];
  if (unmapped.length) {
    parts.push(el('section', { class: 'summary-block', id: 'import-unmapped' },
      el('h3', { text: `Imported under their hash (${formatNumber(unmapped.length)})` }),
      el('p', { class: 'muted small', text: 'Their workspace path is not known yet. Give it with: ait42-session workspace bind HASH PATH' }),
      el('ul', { class: 'plain-list mono' }, unmapped.slice(0, MAX_LISTED).map(
        (u) => el('li', { dataset: { hash: u.workspaceHash }, text: `${u.workspaceHash}  (${u.file})` })),
      more(unmapped.length, Math.min(unmapped.length, MAX_LISTED)))));
  }
  parts.push(el('section', { class: 'summary-block' },
    el('h3', { text: `Issues (${formatNumber(issueCount)})` }),
    issues.length ? issuesList(issues, issueCount)
      : el('p', { class: 'muted', text: 'No issues: nothing was skipped.' })));
  return el('div', { class: 'summary', dataset: { ok: String(Boolean(summary.ok)) } }, parts);
}

// -- the consistency report ----------------------------------------------------

function capped(items, render, className) {
  const listed = items.slice(0, MAX_LISTED);
  return el('ul', { class: ['plain-list', className] }, listed.map(render), more(items.length, listed.length));
}

function workspaceReport(ws, open) {
  const blocks = [];
  if (ws.fileError) blocks.push(el('div', { class: 'cons-block', dataset: { part: 'fileError' } },
    el('h4', { text: 'The JSON file could not be read' }), el('div', { class: 'issue-reason', text: ws.fileError })));
  if (ws.invalidInJson.length) {
    blocks.push(el('div', { class: 'cons-block', dataset: { part: 'invalid' } },
      el('h4', { text: `Invalid in JSON (${formatNumber(ws.invalidInJson.length)})` }),
      capped(ws.invalidInJson, (i) => el('li', {},
        el('span', { class: 'mono', text: i.sessionId || `#${i.index}` }), ' ', el('span', { class: 'muted', text: i.reason })))));
  }
  if (ws.different.length) {
    blocks.push(el('div', { class: 'cons-block', dataset: { part: 'different' } },
      el('h4', { text: `Different (${formatNumber(ws.different.length)})` }),
      ws.different.slice(0, MAX_LISTED).map((d) => el('div', { class: 'diff', dataset: { sessionId: d.sessionId } },
        el('div', { class: 'diff-head' }, el('span', { class: 'mono', text: d.sessionId }),
          el('span', { class: 'muted small', text: ` ${plural(d.fieldCount, 'field')} differ${d.fieldCount === 1 ? 's' : ''}` })),
        fieldsTable(d.fields, d.fieldCount))),
      ws.different.length > MAX_LISTED
        ? el('p', { class: 'muted small', text: `… and ${formatNumber(ws.different.length - MAX_LISTED)} more` }) : null));
  }
  if (ws.missingInDatabase.length) {
    blocks.push(el('div', { class: 'cons-block', dataset: { part: 'missingInDatabase' } },
      el('h4', { text: `Missing in the database (${formatNumber(ws.missingInDatabase.length)})` }),
      capped(ws.missingInDatabase, (m) => el('li', { dataset: { sessionId: m.sessionId } },
        el('span', { class: 'mono', text: m.sessionId }),
        m.inDatabaseUnderWorkspace
          ? el('span', { class: 'muted', text: ` (in the database under workspace ${m.inDatabaseUnderWorkspace})` }) : null),
      'missing-list')));
  }
  if (ws.missingInJson.length) {
    blocks.push(el('div', { class: 'cons-block', dataset: { part: 'missingInJson' } },
      el('h4', { text: `Missing in the JSON file (${formatNumber(ws.missingInJson.length)})` }),
      capped(ws.missingInJson, (sid) => el('li', { class: 'mono', dataset: { sessionId: sid }, text: sid }), 'missing-list')));
  }
  const chips = [
    ws.fileError ? 'file unreadable' : null,
    ws.invalidInJson.length ? `${formatNumber(ws.invalidInJson.length)} invalid` : null,
    ws.different.length ? `${formatNumber(ws.different.length)} different` : null,
    ws.missingInDatabase.length ? `${formatNumber(ws.missingInDatabase.length)} missing in database` : null,
    ws.missingInJson.length ? `${formatNumber(ws.missingInJson.length)} missing in JSON` : null,
  ].filter(Boolean);
  return el('details', {
    class: 'cons-ws', open, dataset: { hash: ws.workspaceHash, ok: String(ws.ok), severity: severity(ws) },
  },
  el('summary', { class: 'cons-ws-head' },
    el('span', { class: 'mono ws-path', text: ws.path || `${ws.workspaceHash} (path unknown)`, title: ws.jsonFile || '' }),
    el('span', { class: 'problems' }, chips.map((text) => el('span', { class: 'problem-chip', text }))),
    el('span', { class: 'muted small', text: `${formatNumber(ws.sessionsInJson)} in JSON · ${formatNumber(ws.sessionsInDatabase)} in the database · ${formatNumber(ws.same)} same` })),
  el('div', { class: 'cons-ws-body' }, blocks));
}

/** Workspaces whose JSON and database disagree on content come first, open. */
function severity(ws) {
  if (ws.different.length || ws.fileError || ws.invalidInJson.length) return 'different';
  if (ws.missingInDatabase.length) return 'missingInDatabase';
  return 'missingInJson';
}
const SEVERITY_ORDER = { different: 0, missingInDatabase: 1, missingInJson: 2 };

function eventsTable(events) {
  return el('table', { class: 'data-table events-table', id: 'dual-events' },
    el('thead', {}, el('tr', {}, ['When', 'Command', 'Session', 'Kind', 'Database', 'JSON', 'Detail']
      .map((h) => el('th', { attrs: { scope: 'col' }, text: h })))),
    el('tbody', {}, events.map((e) => el('tr', { dataset: { eventId: e.id, kind: e.kind } },
      el('td', { class: 'small', text: e.at }),
      el('td', { class: 'mono', text: e.command }),
      el('td', { class: 'mono', text: e.sessionId || '—' }),
      el('td', { text: e.kind }),
      el('td', { text: e.databaseOutcome }),
      el('td', { text: e.jsonOutcome }),
      el('td', { class: 'mono value small', text: eventDetail(e.detail) })))));
}

/** A dual-write event's detail: the differing fields by name, else the JSON. */
function eventDetail(detail) {
  if (detail === null || detail === undefined) return '';
  if (detail && Array.isArray(detail.fields)) {
    const names = detail.fields.map((f) => f.field);
    const count = detail.fieldCount ?? names.length;
    return `${names.slice(0, 6).join(', ')}${count > 6 ? ` … (${formatNumber(count)} fields)` : ''}`;
  }
  return shown(detail);
}

function renderConsistency(report) {
  const t = report.totals || {};
  const figures = [
    ['workspaces', 'Workspaces'], ['sessionsInJson', 'In JSON'], ['sessionsInDatabase', 'In the database'],
    ['same', 'Same'], ['missingInDatabase', 'Missing in database'], ['missingInJson', 'Missing in JSON'],
    ['different', 'Different'], ['invalidInJson', 'Invalid in JSON'],
  ];
  const workspaces = report.workspaces || [];
  const bad = workspaces.filter((ws) => !ws.ok)
    .sort((x, y) => SEVERITY_ORDER[severity(x)] - SEVERITY_ORDER[severity(y)]);
  const agreeing = workspaces.length - bad.length;
  const events = report.dualWriteEvents || { total: 0, events: [], fallbackLogs: [] };
  const logs = (events.fallbackLogs || []).filter((l) => l.entries > 0);
  return el('div', { class: 'consistency', dataset: { ok: String(Boolean(report.ok)) } },
    resultBox(report.ok ? 'ok' : 'bad',
      report.ok ? 'The JSON files and the database agree' : 'The JSON files and the database do not agree',
      `Checked ${report.sessionsDir || ''} at ${report.checkedAt || ''}`),
    el('dl', { class: 'figures', id: 'consistency-totals' }, figures.map(([key, label]) => el('div', {
      class: ['figure', ['missingInDatabase', 'missingInJson', 'different', 'invalidInJson'].includes(key) && t[key] ? 'warn' : null],
      dataset: { total: key },
    }, el('dt', { text: label }), el('dd', { text: formatNumber(t[key] ?? 0) })))),
    bad.length ? el('div', { class: 'cons-list', id: 'consistency-workspaces' },
      bad.map((ws) => workspaceReport(ws, bad.length <= 3 || severity(ws) !== 'missingInJson'))) : null,
    agreeing ? el('p', { class: 'muted small', text: `${plural(agreeing, 'workspace')} agree${agreeing === 1 ? 's' : ''} entirely.` }) : null,
    el('section', { class: 'summary-block', id: 'dual-events-block' },
      el('h3', { text: `Dual-write events (${formatNumber(events.total || 0)})` }),
      (events.events || []).length ? el('div', { class: 'table-wrap' }, eventsTable(events.events))
        : el('p', { class: 'muted small', text: 'None recorded.' }),
      events.total > (events.events || []).length
        ? el('p', { class: 'muted small', text: `Showing the latest ${formatNumber(events.events.length)}.` }) : null,
      logs.map((l) => el('p', { class: 'warn small', text: `${plural(l.entries, 'event')} the database could not record, in ${l.path}` }))));
}
