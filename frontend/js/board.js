// The sessions board: one column per status, one card per session summary, loaded a
// page at a time through list_session_summaries (no agent output, no chat bodies).
import { $, el, setChildren, relativeTime, formatDateTime, formatDuration, formatNumber } from './dom.js';
import { call, withButton } from './feedback.js';
import { invoke } from './invoke.js';
import { prefs } from './prefs.js';
import { exportDialog } from './keep.js';
import { columnOf, roundLabel } from './status.js';

export { columnOf, roundLabel };

/** The most sessions one list_session_summaries call answers (the server's MAX_PAGE). */
const MAX_PAGE = 500;

export const STATUSES = ['running', 'completed', 'failed', 'paused'];
const STATUS_LABELS = { running: 'Running', completed: 'Completed', failed: 'Failed', paused: 'Paused' };

export class Board {
  constructor({ getWorkspace, onOpen }) {
    this.getWorkspace = getWorkspace;
    this.onOpen = onOpen;
    this.items = [];
    this.total = 0;
    this.nextCursor = null;
    this.seq = 0;
    this.loaded = false;
    this.columns = new Map();
    this.textTimer = null;
    this.figure = null; // {query, label}: the sessions behind an Insights figure

    $('sort').value = prefs.sort;
    $('filter-text').addEventListener('input', () => {
      clearTimeout(this.textTimer);
      this.textTimer = setTimeout(() => this.reload(), 250);
    });
    $('filter-text').addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        clearTimeout(this.textTimer);
        this.reload();
      }
    });
    $('board-export').addEventListener('click', () => this.exportShown());
    for (const id of ['filter-type', 'filter-status', 'filter-archived']) {
      $(id).addEventListener('change', () => this.reload());
    }
    $('sort').addEventListener('change', () => {
      prefs.sort = $('sort').value;
      this.reload();
    });
    $('refresh').addEventListener('click', () => withButton($('refresh'), () => this.reload()));
    $('load-more').addEventListener('click', () => withButton($('load-more'), () => this.loadMore()));
    $('board').addEventListener('click', (event) => {
      const card = event.target instanceof Element ? event.target.closest('.card') : null;
      if (card) this.onOpen(card.dataset.sessionId);
    });
    $('board').addEventListener('keydown', (event) => {
      const card = event.target instanceof Element ? event.target.closest('.card') : null;
      if (!card || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        this.onOpen(card.dataset.sessionId);
        return;
      }
      const next = this.neighbour(card, event.key);
      if (next) {
        event.preventDefault();
        next.focus();
        next.scrollIntoView({ block: 'nearest' });
      }
    });
  }

  /**
   * The card a key moves to from ``card``: j / ArrowDown and k / ArrowUp within its
   * column, h / ArrowLeft and l / ArrowRight to the same place in the next column
   * that has cards. Null when the key is not one of those or there is nowhere to go.
   */
  neighbour(card, key) {
    const cards = [...card.parentElement.children];
    const at = cards.indexOf(card);
    if (key === 'j' || key === 'ArrowDown') return cards[at + 1] || null;
    if (key === 'k' || key === 'ArrowUp') return cards[at - 1] || null;
    const step = key === 'l' || key === 'ArrowRight' ? 1 : key === 'h' || key === 'ArrowLeft' ? -1 : 0;
    if (!step) return null;
    const columns = [...$('board').querySelectorAll('.column-cards')];
    for (let c = columns.indexOf(card.parentElement) + step; c >= 0 && c < columns.length; c += step) {
      const other = columns[c].children;
      if (other.length) return other[Math.min(at, other.length - 1)];
    }
    return null;
  }

  /** Put the keyboard on a card: the given session's, else the first. */
  focusCard(sessionId = null) {
    const card = (sessionId && this.cardOf(sessionId)) || $('board').querySelector('.card');
    if (card) {
      card.focus({ preventScroll: true });
      card.scrollIntoView({ block: 'nearest' });
    }
    return Boolean(card);
  }

  /** Show only the sessions behind an Insights figure (null: all again). */
  setFigure(query, label) {
    this.figure = query ? { query: { ...query }, label } : null;
    const chip = $('board-figure');
    chip.hidden = !this.figure;
    $('board-figure-label').textContent = this.figure ? label : '';
    chip.dataset.filter = this.figure ? JSON.stringify(this.figure.query) : '';
  }

  query(cursor) {
    const query = { sort: $('sort').value, limit: prefs.pageSize, cursor: cursor || null,
      ...(this.figure ? this.figure.query : {}) };
    const type = $('filter-type').value;
    const status = $('filter-status').value;
    const text = $('filter-text').value.trim();
    if (type) query.type = type;
    if (status) query.status = status;
    if (text) query.text = text;
    query.archived = $('filter-archived').value || 'exclude';
    return query;
  }

  hasFilters() {
    return Boolean(this.figure || $('filter-type').value || $('filter-status').value || $('filter-text').value.trim()
      || $('filter-archived').value !== 'exclude');
  }

  /** Export every session the current filters show (all pages, not only those loaded). */
  async exportShown() {
    const workspacePath = this.getWorkspace();
    if (!workspacePath) return;
    await withButton($('board-export'), async () => {
      const ids = [];
      let cursor = null;
      try {
        do {
          const page = await call('list_session_summaries',
            { workspacePath, query: { ...this.query(cursor), limit: 500 } }, 'listing what to export');
          ids.push(...page.items.map((s) => s.id));
          cursor = page.nextCursor;
        } while (cursor);
      } catch {
        return;
      }
      if (!ids.length) return;
      await exportDialog({
        title: `Export ${ids.length} session${ids.length === 1 ? '' : 's'}`,
        what: this.hasFilters() ? 'The sessions the board’s filters show.' : 'Every session of the board.',
        selection: { workspacePath, sessionIds: ids, includeArchived: true },
        name: 'ait42-sessions',
      });
    });
  }

  /** Load the first page again with the current filters. */
  async reload() {
    const workspacePath = this.getWorkspace();
    const seq = ++this.seq;
    $('board').setAttribute('aria-busy', 'true');
    if (!workspacePath) {
      this.items = [];
      this.nextCursor = null;
      this.loaded = true;
      this.render();
      $('board').removeAttribute('aria-busy');
      return;
    }
    try {
      const page = await call('list_session_summaries',
        { workspacePath, query: this.query(null) }, 'loading sessions');
      if (seq !== this.seq) return; // a newer request is on its way
      this.items = page.items;
      this.total = Number.isInteger(page.total) ? page.total : page.items.length;
      this.nextCursor = page.nextCursor;
      this.loaded = true;
      this.render();
    } catch {
      if (seq !== this.seq) return;
      this.items = [];
      this.nextCursor = null;
      this.loaded = true;
      this.render('error');
    } finally {
      if (seq === this.seq) $('board').removeAttribute('aria-busy');
    }
  }

  async loadMore() {
    const workspacePath = this.getWorkspace();
    if (!workspacePath || !this.nextCursor) return;
    const seq = this.seq;
    const page = await call('list_session_summaries',
      { workspacePath, query: this.query(this.nextCursor) }, 'loading more sessions')
      .catch(() => null);
    if (!page || seq !== this.seq) return;
    this.items = this.items.concat(page.items);
    this.nextCursor = page.nextCursor;
    this.appendCards(page.items);
    this.updateCounts();
  }

  /** Forget a session that was just deleted, without a round trip. */
  remove(sessionId) {
    const before = this.items.length;
    this.items = this.items.filter((s) => s.id !== sessionId);
    if (this.items.length < before) this.total = Math.max(this.items.length, this.total - 1);
    const card = $('board').querySelector(`.card[data-session-id="${CSS.escape(sessionId)}"]`);
    if (card) card.remove();
    this.updateCounts();
  }

  /**
   * Sessions changed elsewhere: new ones appear in their column, changed ones are
   * redrawn (and move when their status or sort key did), gone ones leave. The order
   * is the server's: the loaded pages are asked for again (the same query, as many
   * sessions as are shown), and the cards follow that answer; only the changed
   * sessions' cards are drawn anew. Filters, scroll and keyboard focus stay.
   */
  async applyChanges(changes) {
    const workspacePath = this.getWorkspace();
    if (!workspacePath || !this.loaded) return;
    const seq = this.seq;
    const changed = new Set(changes.map((c) => c.sessionId));
    const ids = [...changed];
    const base = this.query(null);
    const list = (query) => invoke('list_session_summaries', { workspacePath, query: { ...base, ...query } });
    // Changed sessions that now sort past the loaded pages stay out: a later page has them.
    const past = new Set();
    if (this.nextCursor) {
      const beyond = await list({ limit: MAX_PAGE, cursor: this.nextCursor, sessionIds: ids });
      for (const s of beyond.items) past.add(s.id);
    }
    const kept = new Set(this.items.filter((s) => !changed.has(s.id)).map((s) => s.id));
    const want = kept.size + ids.length - past.size; // at most this many sessions are shown now
    const answer = [];
    let total = this.total;
    let cursor = null;
    while (answer.length < want) {
      const page = await list({ limit: Math.min(MAX_PAGE, want - answer.length), cursor });
      answer.push(...page.items);
      total = Number.isInteger(page.total) ? page.total : total;
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    if (seq !== this.seq) return; // the person reloaded meanwhile: that answer is newer
    // With pages still unloaded, only what was shown or changed before the boundary is
    // shown (a session made meanwhile comes with its own change).
    this.items = this.nextCursor
      ? answer.filter((s) => kept.has(s.id) || (changed.has(s.id) && !past.has(s.id)))
      : answer;
    this.total = total;
    const focused = document.activeElement instanceof Element
      ? document.activeElement.closest('.card') : null;
    const refocus = focused ? focused.dataset.sessionId : null;
    if (this.items.length === 0 || $('board').hidden) {
      this.render();
    } else {
      this.syncCards(changed);
      this.updateCounts();
    }
    if (refocus && !(document.activeElement instanceof Element && document.activeElement.closest('.card'))) {
      const card = this.cardOf(refocus);
      if (card) card.focus({ preventScroll: true });
    }
  }

  cardOf(sessionId) {
    return $('board').querySelector(`.card[data-session-id="${CSS.escape(sessionId)}"]`);
  }

  /**
   * Make the columns show ``this.items`` in its order: cards of unchanged sessions are
   * kept (and moved only when out of place), the ``changed`` ones are drawn anew.
   */
  syncCards(changed) {
    const existing = new Map([...$('board').querySelectorAll('.card')].map((c) => [c.dataset.sessionId, c]));
    const wanted = new Map([...this.columns.keys()].map((key) => [key, []]));
    for (const summary of this.items) {
      const cards = wanted.get(columnOf(summary.status));
      if (!cards) continue;
      const card = existing.get(summary.id);
      cards.push(card && !changed.has(summary.id) ? card : renderCard(summary));
    }
    for (const [key, cards] of wanted) {
      const column = this.columns.get(key).cards;
      let at = column.firstChild;
      for (const card of cards) {
        if (card === at) at = at.nextSibling;
        else column.insertBefore(card, at);
      }
      while (at) {
        const next = at.nextSibling;
        at.remove();
        at = next;
      }
    }
  }

  visibleStatuses() {
    const status = $('filter-status').value;
    return status ? [status] : STATUSES;
  }

  render(state) {
    const board = $('board');
    const empty = $('board-empty');
    this.columns.clear();
    board.replaceChildren();
    const workspace = this.getWorkspace();

    if (!workspace) {
      this.showEmpty('Choose a workspace',
        'Pick a workspace from the menu at the top, or type the path of a repository you ran agents in.');
    } else if (state === 'error') {
      this.showEmpty('Sessions could not be loaded', 'See the message above, then try Refresh.');
    } else if (this.items.length === 0) {
      if (this.hasFilters()) this.showEmpty('No sessions match', 'Try fewer filters or another search.');
      else this.showEmpty('No sessions yet', 'Sessions that agents run in this workspace appear here.');
    } else {
      empty.hidden = true;
    }
    board.hidden = !empty.hidden;
    board.dataset.columns = String(this.visibleStatuses().length);

    for (const status of this.visibleStatuses()) {
      const cards = el('div', { class: 'column-cards' });
      const count = el('span', { class: 'column-count', text: '0' });
      const column = el('section', { class: 'column', dataset: { status } },
        el('header', { class: 'column-header' },
          el('span', { class: ['status-dot', `status-${status}`], attrs: { 'aria-hidden': 'true' } }),
          el('h2', { text: STATUS_LABELS[status] }),
          count),
        cards);
      this.columns.set(status, { cards, count });
      board.append(column);
    }
    this.appendCards(this.items);
    this.updateCounts();
  }

  showEmpty(title, text) {
    const empty = $('board-empty');
    setChildren(empty, el('div', { class: 'empty-icon', attrs: { 'aria-hidden': 'true' } }),
      el('h2', { text: title }), el('p', { class: 'muted', text }));
    empty.hidden = false;
  }

  appendCards(items) {
    const fragments = new Map();
    for (const summary of items) {
      const key = columnOf(summary.status);
      const column = this.columns.get(key);
      if (!column) continue;
      if (!fragments.has(key)) fragments.set(key, document.createDocumentFragment());
      fragments.get(key).append(renderCard(summary));
    }
    for (const [status, fragment] of fragments) this.columns.get(status).cards.append(fragment);
  }

  updateCounts() {
    for (const [status, column] of this.columns) {
      column.count.textContent = String(column.cards.childElementCount);
      column.cards.parentElement.classList.toggle('is-empty', column.cards.childElementCount === 0);
    }
    const shown = this.items.length;
    const total = Math.max(this.total, shown);
    const showing = this.getWorkspace() && this.loaded && shown > 0;
    $('board-count').textContent = showing
      ? (this.nextCursor ? `${formatNumber(shown)} of ${formatNumber(total)}`
        : `${formatNumber(shown)} session${shown === 1 ? '' : 's'}`)
      : '';
    $('board-end').textContent = showing
      ? (this.nextCursor ? `Showing ${formatNumber(shown)} of ${formatNumber(total)} sessions`
        : `All ${formatNumber(shown)} session${shown === 1 ? '' : 's'} shown`)
      : '';
    $('board-footer').hidden = !showing;
    $('load-more').hidden = !this.nextCursor;
    if (this.nextCursor) $('load-more').textContent = `Load ${formatNumber(Math.min(prefs.pageSize, total - shown))} more`;
    const board = $('board');
    board.dataset.count = String(shown);
    board.dataset.total = String(total);
    board.dataset.more = this.nextCursor ? 'true' : 'false';
  }
}

export function renderCard(s) {
  const added = s.totalLinesAdded;
  const deleted = s.totalLinesDeleted;
  const hasLines = added !== undefined && added !== null || deleted !== undefined && deleted !== null;
  return el('article', {
    class: ['card', `card-${columnOf(s.status)}`, s.archivedAt ? 'card-archived' : null],
    dataset: { sessionId: s.id, status: s.status, type: s.type, archived: s.archivedAt ? 'true' : null },
    attrs: { tabindex: '0', role: 'button', 'aria-label': `Open session: ${s.task}` },
  },
  el('div', { class: 'card-top' },
    el('span', { class: ['badge', `type-${s.type}`], text: s.type }),
    roundLabel(s.status) ? el('span', { class: 'badge badge-round', text: roundLabel(s.status) }) : null,
    s.model ? el('span', { class: 'card-model', text: s.model }) : null,
    s.archivedAt ? el('span', { class: 'badge badge-archived', text: 'archived' }) : null,
    el('time', {
      class: 'card-time',
      attrs: { datetime: s.updatedAt, title: `Updated ${formatDateTime(s.updatedAt)}` },
      text: relativeTime(s.updatedAt),
    })),
  el('p', { class: 'card-task', text: s.task, title: s.task }),
  el('div', { class: 'card-stats' },
    el('span', { class: 'stat', title: 'Instances' },
      el('span', { class: 'stat-value', text: formatNumber(s.instanceCount) }),
      ` instance${s.instanceCount === 1 ? '' : 's'}`),
    el('span', { class: 'stat', title: 'Chat messages' },
      el('span', { class: 'stat-value', text: formatNumber(s.messageCount) }),
      ` message${s.messageCount === 1 ? '' : 's'}`),
    s.totalDuration !== undefined && s.totalDuration !== null
      ? el('span', { class: 'stat', title: 'Total duration', text: formatDuration(s.totalDuration) })
      : null),
  hasLines || (s.totalFilesChanged !== undefined && s.totalFilesChanged !== null)
    ? el('div', { class: 'card-foot' },
      hasLines ? el('span', { class: 'lines', title: 'Lines added / deleted' },
        el('span', { class: 'add', text: `+${formatNumber(added || 0)}` }),
        el('span', { class: 'del', text: `−${formatNumber(deleted || 0)}` })) : null,
      s.totalFilesChanged !== undefined && s.totalFilesChanged !== null
        ? el('span', { class: 'files', text: `${formatNumber(s.totalFilesChanged)} files` }) : null,
      s.winnerId !== undefined && s.winnerId !== null
        ? el('span', { class: 'card-winner', text: `winner #${s.winnerId}` }) : null)
    : null);
}
