// The database panel: stats, optimize and verify integrity, per-command metrics.
import { $, el, setChildren, formatBytes, formatNumber } from './dom.js';
import { call, withButton, toast, whileLoading } from './feedback.js';
import { invoke } from './invoke.js';

const MAIN_STATS = [
  ['sessionCount', 'Sessions', formatNumber],
  ['instanceCount', 'Instances', formatNumber],
  ['messageCount', 'Messages', formatNumber],
  ['databaseSizeBytes', 'Size on disk', formatBytes],
];

export class DatabasePanel {
  constructor() {
    this.stats = null;
    $('db-refresh').addEventListener('click', () => withButton($('db-refresh'), () => this.load()));
    $('db-optimize').addEventListener('click', () => withButton($('db-optimize'), () => this.optimize()));
    $('db-verify').addEventListener('click', () => withButton($('db-verify'), () => this.verify()));
    $('metrics-refresh').addEventListener('click',
      () => withButton($('metrics-refresh'), () => this.loadMetrics()));
  }

  async load() {
    const view = $('view-database');
    await whileLoading(view, async () => {
      this.stats = await call('get_database_stats', {}, 'reading the database stats');
      this.render();
      view.dataset.loaded = 'true';
    });
    await this.loadMetrics();
  }

  /** Counts changed elsewhere (an import in another process): redraw them quietly. */
  async refreshStats() {
    this.stats = await invoke('get_database_stats', {});
    this.render();
  }

  /** The bridge's per-command figures since it opened, as a table. */
  async loadMetrics() {
    const panel = $('metrics-panel');
    await whileLoading(panel, async () => {
      const metrics = await call('get_metrics', {}, 'reading the command metrics');
      renderMetrics(metrics && metrics.commands ? metrics.commands : {});
      panel.dataset.loaded = 'true';
    });
  }

  render() {
    const stats = this.stats || {};
    $('db-path').textContent = stats.databasePath || '';
    setChildren($('db-stats'), MAIN_STATS.map(([key, label, fmt]) => el('div', {
      class: 'stat-card', dataset: { stat: key },
    },
    el('div', { class: 'stat-card-value', text: key in stats ? fmt(stats[key]) : '—' }),
    el('div', { class: 'stat-card-label', text: label }))));

    const shown = new Set([...MAIN_STATS.map(([k]) => k), 'databasePath']);
    const extra = Object.entries(stats).filter(([k]) => !shown.has(k));
    setChildren($('db-extra'), extra.map(([key, value]) => el('div', { class: 'meta-item' },
      el('dt', { text: humanize(key) }),
      el('dd', { text: displayValue(key, value), dataset: { stat: key } }))));
  }

  async optimize() {
    const started = performance.now();
    try {
      await call('optimize_database', {}, 'optimizing the database');
      const ms = Math.round(performance.now() - started);
      this.showResult('ok', 'Optimized', `The database was optimized in ${formatNumber(ms)} ms.`);
      toast('Database optimized');
      await this.load();
    } catch (error) {
      this.showResult('bad', 'Optimize failed', error.message);
    }
  }

  async verify() {
    const started = performance.now();
    try {
      const sound = await call('verify_database_integrity', {}, 'verifying the database');
      const ms = Math.round(performance.now() - started);
      if (sound === true) {
        this.showResult('ok', 'Integrity check passed', `No problems found (${formatNumber(ms)} ms).`);
      } else {
        this.showResult('bad', 'Integrity check failed',
          'SQLite reported problems in this database. Make a copy of the file before changing anything.');
      }
    } catch (error) {
      this.showResult('bad', 'Integrity check could not run', error.message);
    }
  }

  showResult(kind, title, text) {
    const box = $('db-result');
    box.hidden = false;
    box.dataset.result = kind;
    setChildren(box,
      el('span', { class: ['result-icon', `result-${kind}`], attrs: { 'aria-hidden': 'true' }, text: kind === 'ok' ? '✓' : '!' }),
      el('div', {}, el('strong', { text: title }), el('div', { class: 'muted', text })));
  }
}

const LABELS = {
  workspaceCount: 'Workspaces',
  schemaVersion: 'Schema version',
  walSizeBytes: 'WAL size',
  pageSize: 'Page size',
  pageCount: 'Pages',
  freePages: 'Free pages',
};

function humanize(key) {
  if (LABELS[key]) return LABELS[key];
  return key.replace(/Bytes$/, '').replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/^wal\b/i, 'WAL').replace(/^./, (c) => c.toUpperCase());
}

function displayValue(key, value) {
  if (value === null || value === undefined) return '—';
  if (/bytes$/i.test(key) && typeof value === 'number') return formatBytes(value);
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function formatMs(ms) {
  if (ms === null || ms === undefined || Number.isNaN(Number(ms))) return '—';
  const n = Number(ms);
  if (n >= 100) return `${formatNumber(Math.round(n))} ms`;
  if (n >= 10) return `${n.toFixed(1)} ms`;
  return `${n.toFixed(2)} ms`;
}

function renderMetrics(commands) {
  const rows = Object.entries(commands)
    .sort(([a, x], [b, y]) => (y.count - x.count) || a.localeCompare(b));
  $('metrics-empty').hidden = rows.length > 0;
  setChildren($('metrics-body'), rows.map(([name, m]) => {
    const errors = Object.entries(m.errors || {}).filter(([, n]) => n > 0);
    const errorCount = errors.reduce((sum, [, n]) => sum + n, 0);
    return el('tr', { dataset: { command: name, count: m.count, errors: errorCount } },
      el('td', { class: 'mono', text: name }),
      el('td', { class: 'num', text: formatNumber(m.count) }),
      el('td', { class: 'metric-errors' }, errors.length
        ? errors.map(([code, n]) => el('span', { class: 'error-chip', dataset: { code }, text: `${code} ×${formatNumber(n)}` }))
        : el('span', { class: 'muted', text: '—' })),
      el('td', { class: 'num', text: formatMs(m.p50Ms) }),
      el('td', { class: 'num', text: formatMs(m.p95Ms) }),
      el('td', { class: 'num', text: formatMs(m.p99Ms) }));
  }));
}
