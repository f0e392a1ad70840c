// Wires the page together: workspace picker, board, session detail, database panel,
// import & storage.
import { whenReady } from './invoke.js';
import { installLinkGuard } from './dom.js';
import { installGlobalErrorHandlers, showError, busyCount } from './feedback.js';
import { prefs } from './prefs.js';
import { Board } from './board.js';
import { Detail } from './detail.js';
import { DatabasePanel } from './database.js';
import { ImportView } from './imports.js';
import { WorkspacePicker } from './workspace.js';
import { CompareView } from './compare.js';
import { InsightsView } from './insights.js';
import { follow, keepAgesFresh, liveState, throttle } from './live.js';
import { SearchView } from './search.js';
import { TrashView, BackupsPanel } from './keep.js';

const $ = (id) => document.getElementById(id);

function applyTheme(theme) {
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
  $('theme-select').value = theme;
}

const app = {
  view: 'board',
  workspace: null,
  ready: false,
  // Wall-clock times (Date.now()) of the start-up steps, for the window benchmark.
  timings: { pageStart: Math.round(performance.timeOrigin) },
};

function showView(view) {
  app.view = view;
  for (const section of document.querySelectorAll('main > .view')) {
    section.hidden = section.dataset.view !== view;
  }
  for (const tab of document.querySelectorAll('.tab')) {
    const current = tab.dataset.view === view
      || (['detail', 'search', 'compare'].includes(view) && tab.dataset.view === 'board');
    if (current) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
  }
  document.documentElement.dataset.view = view;
  window.scrollTo(0, 0);
}

let board;
let detail;
let database;
let imports;
let picker;
let compare;
let insights;
let searchView;
let beforeSearch = 'board';
let trash;
let backups;

async function openSession(sessionId, focus = null) {
  showView('detail');
  await detail.open(sessionId, focus);
}

/** Open a search hit in its own workspace, at the match (chat message, output line). */
async function openHit(hit, match) {
  if (!hit.workspacePath) {
    showError(new Error(`the folder of workspace ${hit.workspaceHash} is unknown; `
      + 'bind it with `ait42-session workspace bind` to open its sessions'), 'opening a search hit');
    return;
  }
  if (hit.workspacePath !== app.workspace) {
    app.workspace = hit.workspacePath;
    picker.set(hit.workspacePath);
  }
  await openSession(hit.sessionId, match);
}

async function openCompare(sessionId, instanceIds, pair) {
  showView('compare');
  return compare.open(sessionId, instanceIds, pair);
}

/** The board with only the sessions behind an Insights figure. */
function openBoardFiltered(query, label) {
  for (const id of ['filter-text', 'filter-type', 'filter-status']) $(id).value = '';
  if (query.type) $('filter-type').value = query.type;
  const { type, ...rest } = query;
  board.setFigure(rest, label);
  showView('board');
  return board.reload();
}

async function start() {
  installGlobalErrorHandlers();
  installLinkGuard();
  applyTheme(prefs.theme);
  $('theme-select').addEventListener('change', () => {
    prefs.theme = $('theme-select').value;
    applyTheme(prefs.theme);
  });

  picker = new WorkspacePicker({
    onChange: (path) => {
      app.workspace = path;
      if (board) board.setFigure(null);
      showView('board');
      board.reload();
    },
  });
  board = new Board({ getWorkspace: () => app.workspace, onOpen: openSession });
  detail = new Detail({
    getWorkspace: () => app.workspace,
    onBack: () => {
      showView('board');
      board.reload();
    },
    onDeleted: (sessionId) => {
      board.remove(sessionId);
      showView('board');
      board.reload();
    },
    onChanged: () => {},
    onCompare: (sessionId, ids) => openCompare(sessionId, ids),
    onRestored: () => {
      if (app.view === 'board') board.reload();
      if (app.view === 'trash') trash.load();
    },
  });
  compare = new CompareView({
    getWorkspace: () => app.workspace,
    onBack: (session) => {
      showView('detail');
      if (session) detail.show(session);
    },
    onChanged: (session) => detail.show(session),
  });
  insights = new InsightsView({ getWorkspace: () => app.workspace, openBoard: openBoardFiltered });
  $('board-figure-clear').addEventListener('click', () => {
    board.setFigure(null);
    board.reload();
  });
  trash = new TrashView({ getWorkspace: () => app.workspace, onRestored: () => {} });
  backups = new BackupsPanel({
    onRestored: async () => {
      await database.load();
      await board.reload();
    },
  });
  searchView = new SearchView({
    getWorkspace: () => app.workspace,
    show: () => {
      if (app.view !== 'search') beforeSearch = app.view;
      if (app.view !== 'search') showView('search');
    },
    hide: () => { if (app.view === 'search') showView(beforeSearch); },
    openHit,
  });
  database = new DatabasePanel();
  imports = new ImportView();

  for (const tab of document.querySelectorAll('.tab')) {
    tab.addEventListener('click', () => {
      showView(tab.dataset.view);
      if (tab.dataset.view === 'database') {
        database.load();
        backups.load();
      }
      if (tab.dataset.view === 'trash') trash.load();
      if (tab.dataset.view === 'import') imports.load();
      if (tab.dataset.view === 'insights') insights.load();
      if (tab.dataset.view === 'board') board.reload();
    });
  }
  showView('board');

  try {
    await whenReady();
    app.timings.bridgeReady = Date.now();
  } catch (error) {
    showError(error, 'starting');
    document.documentElement.dataset.ready = 'error';
    return;
  }
  app.workspace = await picker.initial();
  picker.set(app.workspace);
  await board.reload();
  app.timings.boardShown = Date.now();
  app.ready = true;
  document.documentElement.dataset.ready = 'true';
  keepAgesFresh();
  follow({ onChanges: applyChanges, onReset: reloadShown });
  searchView.buildIndex(); // an older database's history, in the background
}

// Counts follow an import running anywhere, at most once a second.
const refreshCounts = throttle(async () => {
  if (app.view === 'database') await database.refreshStats();
  if (app.view === 'import') await imports.refreshCounts();
}, 1000);

/** Changes made elsewhere reach whatever is shown, in place. */
async function applyChanges(changes) {
  const jobs = [board.applyChanges(changes)];
  const open = detail.session;
  if (app.view === 'detail' && open) {
    const mine = changes.filter((c) => c.sessionId === open.id);
    if (mine.length) jobs.push(detail.refreshFromElsewhere(mine[mine.length - 1].kind));
  }
  if (app.view === 'compare' && compare.session) {
    const mine = changes.filter((c) => c.sessionId === compare.session.id);
    if (mine.length) jobs.push(compare.refreshFromElsewhere(mine[mine.length - 1].kind));
  }
  refreshCounts();
  await Promise.all(jobs);
}

/** Too much changed (or another database): load what is shown again. */
async function reloadShown() {
  await board.reload();
  if (app.view === 'detail' && detail.session) await detail.refreshFromElsewhere('upserted');
  if (app.view === 'compare' && compare.session) await compare.refreshFromElsewhere('upserted');
  refreshCounts();
}

// For tests and screenshots: a read-only look at where the page is.
window.ait42 = Object.freeze({
  get view() { return app.view; },
  get workspace() { return app.workspace; },
  get ready() { return app.ready; },
  get busy() { return busyCount(); },
  get timings() { return { ...app.timings }; },
  get live() { return { token: liveState.token, batches: liveState.batches, applied: Object.fromEntries(liveState.applied) }; },
  openSession: (id) => openSession(id),
  openCompare: (id, instanceIds, pair) => openCompare(id, instanceIds, pair),
  get compareTimings() { return { ...compare.timings }; },
  search: () => searchView.run(false),
  chooseWorkspace: (path) => picker.choose(path),
  showView: (view) => {
    showView(view);
    if (view === 'database') return Promise.all([database.load(), backups.load()]);
    if (view === 'trash') return trash.load();
    if (view === 'import') return imports.load();
    if (view === 'insights') return insights.load();
    if (view === 'board') return board.reload();
    return undefined;
  },
});

start();
