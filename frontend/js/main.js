// Wires the page together: workspace picker, board, session detail, database panel,
// import & storage.
import { invoke, whenReady } from './invoke.js';
import { $, installLinkGuard } from './dom.js';
import { installGlobalErrorHandlers, showError } from './feedback.js';
import { prefs } from './prefs.js';
import { Board } from './board.js';
import { Detail } from './detail.js';
import { DatabasePanel } from './database.js';
import { ImportView } from './imports.js';
import { WorkspacePicker } from './workspace.js';
import { CompareView } from './compare.js';
import { InsightsView } from './insights.js';
import { follow, keepAgesFresh, restartFollowing, throttle } from './live.js';
import { SearchView } from './search.js';
import { TrashView, BackupsPanel } from './keep.js';
import { Welcome } from './welcome.js';
import { suggestStorageMode } from './storage_suggest.js';
import { installSample, readPlace } from './sample.js';

function applyTheme(theme) {
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
  $('theme-select').value = theme;
}

const app = {
  view: 'board',
  // The chosen workspace lives on the page (<html data-workspace>), where tests read it.
  get workspace() { return document.documentElement.dataset.workspace || null; },
  set workspace(path) {
    if (path) document.documentElement.dataset.workspace = path;
    else delete document.documentElement.dataset.workspace;
  },
};

function showView(view) {
  app.view = view;
  for (const section of document.querySelectorAll('main > .view')) {
    section.hidden = section.dataset.view !== view;
  }
  // Where the person is: the search results (and a session or comparison opened from
  // them, which Esc leads back to) are the search field's, not the Sessions tab's.
  const inSearch = view === 'search' || (['detail', 'compare'].includes(view)
    && app.detailFrom === 'search' && $('search-input').value.trim() !== '');
  for (const tab of document.querySelectorAll('.tab')) {
    const current = tab.dataset.view === view
      || (!inSearch && ['detail', 'compare'].includes(view) && tab.dataset.view === 'board');
    if (current) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
  }
  const search = document.querySelector('.global-search');
  if (inSearch) search.setAttribute('aria-current', 'page');
  else search.removeAttribute('aria-current');
  document.documentElement.dataset.view = view;
  window.scrollTo(0, 0);
  $('main').scrollTop = 0;
}

/**
 * Switch to a view and load what it shows (the board, the database panel, the trash,
 * import, insights). Every switch goes through here; detail, search, compare and
 * welcome are filled by whoever opens them.
 */
function switchView(view) {
  showView(view);
  switch (view) {
    case 'database': return Promise.all([database.load(), backups.load()]);
    case 'trash': return trash.load();
    case 'import': return imports.load();
    case 'insights': return insights.load();
    case 'board': return board.reload();
    default: return undefined;
  }
}

/** Put the keyboard on a view's heading (after opening it), without scrolling. */
function focusHeading(node) {
  if (!node) return;
  if (!node.hasAttribute('tabindex')) node.setAttribute('tabindex', '-1');
  node.focus({ preventScroll: true });
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
let welcome;

/** Open a session; ``from`` ('board' or 'search') is where Esc and "back" return to. */
async function openSession(sessionId, focus = null, from = 'board') {
  app.detailFrom = from;
  app.lastOpened = sessionId;
  $('detail-back').textContent = from === 'search' ? 'Search results' : 'Sessions';
  showView('detail');
  focusHeading($('detail-task'));
  const ok = await detail.open(sessionId, focus);
  if (app.view === 'detail' && !focus && document.activeElement === document.body) focusHeading($('detail-task'));
  return ok;
}

/** Leave a session: back to the search results it was opened from, else the board. */
async function backFromDetail() {
  if (app.detailFrom === 'search' && $('search-input').value.trim()) {
    showView('search');
    searchView.focusActive();
    return;
  }
  await switchView('board');
  if (!board.focusCard(app.lastOpened)) $('filter-text').focus();
}

/** Open a search hit in its own workspace, at the match (chat message, output line). */
async function openHit(hit, match) {
  if (!hit.workspacePath) {
    // Imported from a legacy file whose folder is unknown: ask for it, then open.
    await picker.promptBind(hit.workspaceHash, async (path) => {
      app.workspace = path;
      await openSession(hit.sessionId, match, 'search');
    });
    return;
  }
  if (hit.workspacePath !== app.workspace) {
    app.workspace = hit.workspacePath;
    picker.set(hit.workspacePath);
  }
  await openSession(hit.sessionId, match, 'search');
}

/** Keys that work wherever nothing typed into has the focus: j/k, arrows, Enter, Esc. */
function onGlobalKey(event) {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  if (document.querySelector('dialog[open]') || !$('workspace-menu').hidden) return;
  const target = event.target instanceof HTMLElement ? event.target : null;
  const typing = target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
  if (typing) return;
  const key = event.key;
  if (key === 'Escape') {
    if (app.view === 'detail') {
      event.preventDefault();
      backFromDetail();
    } else if (app.view === 'compare') {
      event.preventDefault();
      $('view-compare').querySelector('.back, [data-action="back"]')?.click();
    }
    return;
  }
  const down = key === 'j' || key === 'ArrowDown';
  const up = key === 'k' || key === 'ArrowUp';
  if (app.view === 'board' && (down || up) && !(target && target.closest('.card, .column-cards'))) {
    if (board.focusCard()) event.preventDefault();
  } else if (app.view === 'search' && (down || up)) {
    event.preventDefault();
    searchView.move(down ? 1 : -1);
  } else if (app.view === 'search' && key === 'Enter' && target && target.closest('#search-results')) {
    event.preventDefault();
    searchView.openActive();
  }
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
  return switchView('board');
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
      switchView('board');
    },
  });
  board = new Board({ getWorkspace: () => app.workspace, onOpen: openSession });
  detail = new Detail({
    getWorkspace: () => app.workspace,
    onBack: () => backFromDetail(),
    onDeleted: (sessionId) => {
      board.remove(sessionId);
      switchView('board');
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
  welcome = new Welcome({
    onImported: async (summary) => {
      await picker.loadKnown();
      const path = picker.mostActive();
      if (path) picker.choose(path);
      else showView('board');
      const written = summary && summary.totals ? summary.totals.written.sessions : 0;
      if (written > 0) suggestStorageMode({ imported: written });
    },
    onOptions: () => switchView('import'),
  });
  installSample(startOver);
  document.addEventListener('keydown', onGlobalKey);

  for (const tab of document.querySelectorAll('.tab')) {
    tab.addEventListener('click', () => switchView(tab.dataset.view));
  }
  showView('board');

  try {
    await whenReady();
    performance.mark('ait42-bridge-ready'); // start-up steps, for the window benchmark
  } catch (error) {
    showError(error, 'starting');
    document.documentElement.dataset.ready = 'error';
    return;
  }
  await enter();
  performance.mark('ait42-board-shown');
  document.documentElement.dataset.ready = 'true';
  keepAgesFresh();
  follow({ onChanges: applyChanges, onReset: reloadShown });
  searchView.buildIndex(); // an older database's history, in the background
}

/** Show the database the bridge serves now: the welcome when it is empty, else the
 *  board of the workspace last used with it (the sample's are remembered apart). */
async function enter() {
  await readPlace(); // the sample history's banner, and its own remembered workspaces
  let empty = false;
  try {
    empty = await Welcome.isEmpty();
  } catch (error) {
    showError(error, 'reading the database');
  }
  app.workspace = await picker.initial();
  picker.set(app.workspace);
  if (empty) {
    showView('welcome');
    focusHeading($('welcome-title'));
    welcome.scan();
  } else {
    showView('board');
  }
  await board.reload();
}

/** After a switch between the person's database and the sample history: nothing of
 *  the other one stays (filters, the search, its workspace, the live token). */
async function startOver() {
  document.documentElement.dataset.ready = 'switching';
  let token = null; // null: the next wait only takes the token (an older bridge)
  try {
    ({ token } = await invoke('changes_since', { token: null, waitMs: 0 }));
  } catch {
    /* the live view starts from whatever is current when it next asks */
  }
  restartFollowing(token);
  $('errors').replaceChildren();
  $('search-input').value = '';
  await searchView.run(false); // an empty query: no results, an answer on its way dropped
  for (const id of ['filter-text', 'filter-type', 'filter-status']) $(id).value = '';
  $('filter-archived').value = 'exclude';
  board.setFigure(null);
  await enter();
  searchView.buildIndex();
  if (!document.querySelector('#view-welcome:not([hidden])')) $('tab-board').focus();
  document.documentElement.dataset.ready = 'true';
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
    if (mine.length) jobs.push(detail.refreshFromElsewhere(mine[mine.length - 1]));
  }
  if (app.view === 'compare' && compare.session) {
    const mine = changes.filter((c) => c.sessionId === compare.session.id);
    if (mine.length) jobs.push(compare.refreshFromElsewhere(mine[mine.length - 1]));
  }
  refreshCounts();
  await Promise.all(jobs);
}

/** Too much changed (or another database): load what is shown again. */
async function reloadShown() {
  await board.reload();
  if (app.view === 'detail' && detail.session) await detail.refreshFromElsewhere({ kind: 'upserted' });
  if (app.view === 'compare' && compare.session) await compare.refreshFromElsewhere({ kind: 'upserted' });
  refreshCounts();
}

start();
