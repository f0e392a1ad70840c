// Which agent wins: get_insights for the workspace (or all of them) as charts and
// tables. Every figure opens the board filtered to the sessions behind it.
// The charts are Chart.js (frontend/vendor, loaded as a classic script), coloured
// from the page's own CSS variables so they follow the light and dark themes.
import { $, el, setChildren, formatDuration, formatNumber } from './dom.js';
import { call, withButton } from './feedback.js';

const TYPES = ['competition', 'ensemble', 'debate'];
const DIMENSIONS = [
  ['agents', 'agentName', 'Agent', 'agent'],
  ['runtimes', 'runtime', 'Runtime', 'runtime'],
  ['models', 'model', 'Model', 'model'],
];

/** A CSS colour of the page (light-dark() resolved), for the charts. */
function cssColour(expression) {
  const probe = document.createElement('span');
  probe.style.color = expression;
  probe.style.display = 'none';
  document.body.append(probe);
  const value = getComputedStyle(probe).color;
  probe.remove();
  return value;
}

const percent = (part, whole) => (whole ? `${Math.round((100 * part) / whole)}%` : '—');

/** Monday after `weekStart` + 7 days, as RFC 3339 (the board's createdBefore). */
function weekEnd(weekStart) {
  const d = new Date(`${weekStart}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 7);
  return d.toISOString();
}

export class InsightsView {
  constructor({ getWorkspace, openBoard }) {
    this.getWorkspace = getWorkspace;
    this.openBoard = openBoard;
    this.result = null;
    this.charts = [];
    this.seq = 0;
    this.build();
    const redraw = () => { if (this.result) this.renderCharts(); };
    $('theme-select').addEventListener('change', redraw);
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', redraw);
  }

  build() {
    this.scope = el('select', { id: 'insights-scope', on: { change: () => this.load() } },
      el('option', { value: 'workspace', text: 'This workspace' }),
      el('option', { value: 'all', text: 'All workspaces' }));
    this.type = el('select', { id: 'insights-type', on: { change: () => this.load() } },
      el('option', { value: '', text: 'All types' }), TYPES.map((t) => el('option', { value: t, text: t })));
    this.refresh = el('button', { type: 'button', class: 'btn btn-ghost', id: 'insights-refresh', text: 'Refresh', on: { click: () => withButton(this.refresh, () => this.load()) } });
    this.summary = el('div', { class: 'stats-grid insights-summary', id: 'insights-summary' });
    this.hint = el('p', { class: 'muted small', id: 'insights-hint' });
    this.winCanvas = el('canvas', { id: 'chart-winrate', attrs: { role: 'img', 'aria-label': 'Win rate by agent' } });
    this.weekCanvas = el('canvas', { id: 'chart-weeks', attrs: { role: 'img', 'aria-label': 'Sessions per week by type' } });
    this.tables = el('div', { class: 'insights-tables', id: 'insights-tables' });
    setChildren($('view-insights'),
      el('div', { class: 'toolbar' }, el('h1', { text: 'Which agent wins' }),
        el('label', { class: 'field' }, el('span', { text: 'Sessions of' }), this.scope),
        el('label', { class: 'field' }, el('span', { text: 'Type' }), this.type),
        el('div', { class: 'toolbar-end' }, this.refresh)),
      this.summary, this.hint,
      el('div', { class: 'insights-charts' },
        el('section', { class: 'panel chart-panel' },
          el('header', { class: 'panel-header' }, el('h2', { text: 'Win rate by agent' }),
            el('span', { class: 'muted small', text: 'among runs whose session has a winner' })),
          el('div', { class: 'chart-box' }, this.winCanvas)),
        el('section', { class: 'panel chart-panel' },
          el('header', { class: 'panel-header' }, el('h2', { text: 'Sessions per week' }),
            el('span', { class: 'muted small', text: 'by ISO week of creation (UTC)' })),
          el('div', { class: 'chart-box' }, this.weekCanvas))),
      this.tables);
  }

  linked() {
    return this.scope.value === 'workspace' && Boolean(this.getWorkspace());
  }

  async load() {
    const seq = ++this.seq;
    const view = $('view-insights');
    view.dataset.loaded = 'false';
    const options = {};
    if (this.scope.value === 'workspace') {
      if (!this.getWorkspace()) {
        this.scope.value = 'all';
      } else {
        options.workspacePath = this.getWorkspace();
      }
    }
    if (this.type.value) options.type = this.type.value;
    let result;
    try {
      result = await call('get_insights', { options }, 'computing the insights');
    } catch {
      return;
    }
    if (seq !== this.seq) return;
    this.result = result;
    this.render();
    view.dataset.loaded = 'true';
    view.dataset.scope = this.scope.value;
    view.dataset.sessions = String(result.sessions);
  }

  /** The board, filtered to the sessions behind a figure (this workspace only). */
  go(filter, label) {
    if (!this.linked()) return;
    const query = { ...filter };
    if (this.type.value && !query.type) query.type = this.type.value;
    this.openBoard(query, label);
  }

  figure(text, filter, label) {
    if (!this.linked() || !filter) return el('span', { text });
    return el('a', {
      href: '#', class: 'figure-link', text, title: `Show the sessions: ${label}`,
      dataset: { filter: JSON.stringify(filter) },
      on: { click: (event) => { event.preventDefault(); this.go(filter, label); } },
    });
  }

  render() {
    const r = this.result;
    const decided = r.agents.reduce((n, g) => n + g.decided, 0);
    const runs = r.agents.reduce((n, g) => n + g.instances, 0);
    setChildren(this.summary,
      [['Sessions', formatNumber(r.sessions)], ['Runs', formatNumber(runs)],
        ['Runs with a winner', `${formatNumber(decided)} (${percent(decided, runs)})`],
        ['Agents', formatNumber(r.agents.length)]]
        .map(([label, value]) => el('div', { class: 'stat-card' },
          el('div', { class: 'stat-card-value', text: value }), el('div', { class: 'stat-card-label', text: label }))));
    this.hint.textContent = this.linked() ? 'Each figure opens the board with the sessions behind it.'
      : 'Choose “This workspace” to open the sessions behind a figure.';
    setChildren(this.tables, DIMENSIONS.map(([name, key, title, param]) => this.table(r[name], key, title, param)));
    this.renderCharts();
  }

  table(groups, key, title, param) {
    const head = el('tr', {}, [title, 'Runs', 'Win rate', 'Completed', 'Failed', 'Median duration', 'Lines']
      .map((h, k) => el('th', { scope: 'col', class: k ? 'num' : null, text: h })));
    const rows = groups.map((g) => {
      const name = g[key];
      const base = { [param]: name };
      return el('tr', { dataset: { key: name } },
        el('th', { scope: 'row', text: name }),
        el('td', { class: 'num', dataset: { figure: 'runs' } }, this.figure(formatNumber(g.instances), base, `${title.toLowerCase()} ${name}`)),
        el('td', { class: 'num', dataset: { figure: 'wins' } },
          this.figure(percent(g.wins, g.decided), { ...base, won: true }, `${title.toLowerCase()} ${name} won`),
          el('span', { class: 'muted small', text: ` ${formatNumber(g.wins)}/${formatNumber(g.decided)}` })),
        el('td', { class: 'num', dataset: { figure: 'completed' } },
          this.figure(percent(g.completed, g.instances), { ...base, instanceStatus: 'completed' }, `${title.toLowerCase()} ${name} completed`)),
        el('td', { class: 'num', dataset: { figure: 'failed' } },
          this.figure(percent(g.failed, g.instances), { ...base, instanceStatus: 'failed' }, `${title.toLowerCase()} ${name} failed`)),
        el('td', { class: 'num', text: g.medianDurationSeconds === null ? '—' : formatDuration(g.medianDurationSeconds) }),
        el('td', { class: 'num' }, el('span', { class: 'lines' },
          el('span', { class: 'add', text: `+${formatNumber(g.linesAdded)}` }),
          el('span', { class: 'del', text: `−${formatNumber(g.linesDeleted)}` }))));
    });
    return el('section', { class: 'panel', dataset: { dimension: key } },
      el('header', { class: 'panel-header' }, el('h2', { text: `By ${title.toLowerCase()}` })),
      el('div', { class: 'table-wrap' }, el('table', { class: 'data-table insights-table', id: `insights-${key}` },
        el('thead', {}, head), el('tbody', {}, rows.length ? rows
          : el('tr', {}, el('td', { colSpan: 7, class: 'muted', text: 'No runs yet.' }))))));
  }

  renderCharts() {
    for (const chart of this.charts) chart.destroy();
    this.charts = [];
    const Chart = window.Chart;
    if (!Chart) return;
    const text = cssColour('var(--text-2)');
    const grid = cssColour('var(--border)');
    const accent = cssColour('var(--accent)');
    const font = { family: getComputedStyle(document.body).fontFamily, size: 12 };
    const common = {
      animation: false, responsive: true, maintainAspectRatio: false,
      plugins: { legend: { labels: { color: text, font } } },
    };
    const r = this.result;
    const agents = r.agents.filter((g) => g.decided > 0);
    this.charts.push(new Chart(this.winCanvas, {
      type: 'bar',
      data: {
        labels: agents.map((g) => g.agentName),
        datasets: [{ label: 'Win rate (%)', data: agents.map((g) => Math.round((1000 * g.wins) / g.decided) / 10), backgroundColor: accent, borderRadius: 4 }],
      },
      options: {
        ...common, indexAxis: 'y',
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (c) => `${c.parsed.x}% (${agents[c.dataIndex].wins} of ${agents[c.dataIndex].decided} decided runs)` } },
        },
        scales: {
          x: { min: 0, max: 100, ticks: { color: text, font, callback: (v) => `${v}%` }, grid: { color: grid } },
          y: { ticks: { color: text, font }, grid: { display: false } },
        },
        onClick: (_e, items) => {
          if (items.length) this.go({ agent: agents[items[0].index].agentName, won: true }, `agent ${agents[items[0].index].agentName} won`);
        },
      },
    }));
    const colours = TYPES.map((t) => cssColour(`var(--${t})`));
    this.charts.push(new Chart(this.weekCanvas, {
      type: 'bar',
      data: {
        labels: r.weeks.map((w) => w.weekStart),
        datasets: TYPES.map((t, k) => ({ label: t, data: r.weeks.map((w) => w[t]), backgroundColor: colours[k], stack: 'types' })),
      },
      options: {
        ...common,
        scales: {
          x: { stacked: true, ticks: { color: text, font }, grid: { display: false } },
          y: { stacked: true, beginAtZero: true, ticks: { color: text, font, precision: 0 }, grid: { color: grid } },
        },
        onClick: (_e, items) => {
          if (!items.length) return;
          const week = r.weeks[items[0].index];
          const type = TYPES[items[0].datasetIndex];
          this.go({ createdAfter: `${week.weekStart}T00:00:00Z`, createdBefore: weekEnd(week.weekStart), type },
            `${type} sessions of the week of ${week.weekStart}`);
        },
      },
    }));
    $('view-insights').dataset.charts = String(this.charts.length);
  }
}
