// Search in every workspace: the header's field, results as you type, filter chips,
// keyboard (/ or Ctrl+K to focus, arrows through hits, Enter opens), and the first
// indexing of an older database's history with its progress.
//
// Stored text only becomes text nodes: an excerpt is split at its highlight ranges
// into text and <mark> nodes, never parsed as HTML.
import { invoke } from './invoke.js';
import { $, el, setChildren, relativeTime } from './dom.js';
import { showError } from './feedback.js';
import { statusPill } from './status.js';

const DEBOUNCE_MS = 180;
const PAGE = 30;
const FIELD_LABELS = { task: 'Task', output: 'Output', branch: 'Branch', agentName: 'Agent', chat: 'Chat' };
const FIELD_PLURALS = { task: 'tasks', output: 'outputs', branch: 'branches', agentName: 'agent names', chat: 'messages' };

// Filter chips: group -> [[value, label], ...]; the first value is "no filter".
const CHIPS = {
  scope: [['all', 'All workspaces'], ['current', 'This workspace']],
  type: [['', 'Any type'], ['competition', 'Competition'], ['ensemble', 'Ensemble'], ['debate', 'Debate']],
  status: [['', 'Any status'], ['running', 'Running'], ['completed', 'Completed'], ['failed', 'Failed'], ['paused', 'Paused']],
  archived: [['exclude', 'Not archived'], ['include', 'With archived'], ['only', 'Archived only']],
};

/** An excerpt as text and <mark> nodes, from its [start, end) highlight ranges. */
export function markedText(text, highlights) {
  const nodes = [];
  let at = 0;
  for (const [start, end] of highlights || []) {
    if (start < at || end <= start || end > text.length) continue;
    if (start > at) nodes.push(document.createTextNode(text.slice(at, start)));
    nodes.push(el('mark', { text: text.slice(start, end) }));
    at = end;
  }
  if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
  return nodes;
}

export class SearchView {
  /**
   * @param {object} hooks getWorkspace(), show() (switch to the results view),
   *   hide() (leave it), openHit(hit, match)
   */
  constructor(hooks) {
    this.hooks = hooks;
    this.seq = 0;          // the newest request; older answers are dropped
    this.timer = null;
    this.hits = [];
    this.active = -1;
    this.cursor = null;
    this.query = '';
    this.filters = { scope: 'all', type: '', status: '', archived: 'exclude' };
    const input = $('search-input');
    input.addEventListener('input', () => this.schedule());
    input.addEventListener('keydown', (event) => this.onKey(event));
    document.addEventListener('keydown', (event) => {
      const typing = event.target instanceof HTMLElement
        && (event.target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(event.target.tagName));
      if ((event.key === 'k' || event.key === 'K') && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.focus();
      } else if (event.key === '/' && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        this.focus();
      }
    });
    $('search-more').addEventListener('click', () => this.run(true));
    this.renderChips();
  }

  focus() {
    const input = $('search-input');
    input.focus();
    input.select();
    if (input.value.trim()) this.hooks.show();
  }

  /** Options as the command takes them. */
  options(cursor) {
    const f = this.filters;
    return {
      workspacePath: f.scope === 'current' ? (this.hooks.getWorkspace() || null) : null,
      type: f.type || null,
      status: f.status || null,
      archived: f.archived,
      limit: PAGE,
      cursor: cursor || null,
    };
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(false), DEBOUNCE_MS);
  }

  async run(more) {
    clearTimeout(this.timer);
    const query = $('search-input').value;
    const view = $('view-search');
    if (!query.trim()) {
      ++this.seq; // an answer still on its way is not wanted any more
      this.hits = [];
      view.dataset.state = 'idle';
      this.hooks.hide();
      return;
    }
    this.hooks.show();
    const seq = ++this.seq;
    view.dataset.state = 'searching';
    view.dataset.seq = String(seq);
    try {
      const result = await invoke('search_sessions', { query, options: this.options(more ? this.cursor : null) });
      if (seq !== this.seq) return; // a newer query was typed meanwhile
      this.query = query;
      this.cursor = result.nextCursor;
      this.hits = more ? this.hits.concat(result.items) : result.items;
      if (!more) this.active = this.hits.length ? 0 : -1;
      this.render();
      view.dataset.state = 'done';
      view.dataset.query = query;
      // Far behind (a bulk import or restore): the answer is from what is indexed
      // so far; say so, and follow the indexing with its progress.
      if (result.pending > 0 && !this.indexing) this.buildIndex();
    } catch (error) {
      if (seq !== this.seq) return;
      view.dataset.state = 'failed';
      if (error.code === 'VALIDATION') {
        setChildren($('search-results'));
        $('search-status').textContent = error.message;
      } else {
        showError(error, 'searching');
      }
    }
  }

  activeFilters() {
    return Object.entries(this.filters).filter(([group, value]) => value !== CHIPS[group][0][0]);
  }

  renderChips() {
    setChildren($('search-chips'), Object.entries(CHIPS).map(([group, choices]) => el('div', {
      class: 'chip-group', attrs: { role: 'group', 'aria-label': group },
    }, choices.map(([value, label]) => el('button', {
      type: 'button',
      class: ['chip', this.filters[group] === value ? 'on' : ''],
      text: label,
      dataset: { group, value },
      attrs: { 'aria-pressed': this.filters[group] === value ? 'true' : 'false' },
      on: { click: () => this.setFilter(group, value) },
    })))));
  }

  setFilter(group, value) {
    this.filters[group] = value;
    this.renderChips();
    this.run(false);
  }

  render() {
    const list = $('search-results');
    const n = this.hits.length;
    $('search-more').hidden = !this.cursor;
    if (!n) {
      const filters = this.activeFilters();
      $('search-status').textContent = '';
      setChildren(list, el('li', { class: 'search-empty' },
        el('p', { text: `No session matches “${this.query}”.` }),
        filters.length
          ? el('p', { class: 'muted' }, 'Try removing a filter: ',
            filters.map(([group]) => el('button', {
              type: 'button', class: 'chip on', text: `✕ ${CHIPS[group].find(([v]) => v === this.filters[group])[1]}`,
              dataset: { clear: group },
              on: { click: () => this.setFilter(group, CHIPS[group][0][0]) },
            })))
          : el('p', { class: 'muted', text: 'Fewer or shorter words find more; word* matches the beginning of words.' })));
      return;
    }
    $('search-status').textContent = `${n}${this.cursor ? '+' : ''} session${n === 1 ? '' : 's'}`;
    setChildren(list, this.hits.map((hit, index) => this.renderHit(hit, index)));
    this.highlightActive(false);
  }

  renderHit(hit, index) {
    const open = (match) => this.open(index, match);
    return el('li', {
      class: 'hit',
      id: `hit-${index}`,
      dataset: { sessionId: hit.sessionId, index },
      attrs: { role: 'option', tabindex: '-1' },
      on: { click: (event) => { if (!event.target.closest('.hit-match')) open(null); } },
    },
    el('div', { class: 'hit-head' },
      el('span', { class: ['badge', `type-${hit.type}`], text: hit.type }),
      statusPill(hit.status),
      el('span', { class: 'hit-task', text: hit.task }),
      el('span', { class: 'hit-age muted', text: relativeTime(hit.updatedAt), title: hit.updatedAt })),
    el('div', { class: 'hit-where muted', text: hit.workspacePath || `${hit.workspaceHash} (folder unknown)` }),
    el('ul', { class: 'hit-matches' }, hit.matches.map((m) => el('li', {
      class: 'hit-match',
      dataset: { field: m.field },
      on: { click: () => open(m) },
    },
    el('span', {
      class: 'hit-field',
      text: FIELD_LABELS[m.field] + (m.instanceId !== undefined ? ` #${m.instanceId}` : ''),
      title: m.count > 1 ? `The same text in ${m.count} ${FIELD_PLURALS[m.field]}` : null,
    }, m.count > 1 ? el('span', { class: 'hit-count', text: ` ×${m.count}` }) : null),
    el('span', { class: 'hit-text' }, markedText(m.text, m.highlights))))));
  }

  highlightActive(scroll) {
    for (const node of $('search-results').querySelectorAll('.hit')) {
      const on = Number(node.dataset.index) === this.active;
      node.classList.toggle('active', on);
      node.setAttribute('aria-selected', on ? 'true' : 'false');
      if (on && scroll) node.scrollIntoView({ block: 'nearest' });
    }
    $('search-input').setAttribute('aria-activedescendant', this.active >= 0 ? `hit-${this.active}` : '');
  }

  /** Move the active hit by ``step`` (j/k and arrows outside the field); focus it. */
  move(step) {
    if (!this.hits.length) return;
    this.active = Math.max(0, Math.min(this.hits.length - 1, this.active + step));
    this.highlightActive(true);
    this.focusActive();
  }

  /** Put the keyboard on the active hit (coming back from a session opened from it). */
  focusActive() {
    const node = $('search-results').querySelector(`.hit[data-index="${this.active}"]`)
      || $('search-results').querySelector('.hit');
    if (node) {
      node.tabIndex = -1;
      node.focus({ preventScroll: true });
      node.scrollIntoView({ block: 'nearest' });
    }
  }

  /** Open the active hit (Enter on the results). */
  openActive() {
    if (this.active >= 0) this.open(this.active, null);
  }

  onKey(event) {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      if (!this.hits.length) return;
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      this.active = Math.max(0, Math.min(this.hits.length - 1, this.active + step));
      this.highlightActive(true);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      if (this.timer) { // typed, not searched yet: search now, then open the best hit
        this.run(false).then(() => { if (this.active >= 0) this.open(this.active, null); });
      } else if (this.active >= 0) {
        this.open(this.active, null);
      }
    } else if (event.key === 'Escape') {
      $('search-input').value = '';
      this.run(false);
      $('search-input').blur();
    }
  }

  /** Open a hit: at the match clicked, else at its first output match (the line), else chat. */
  open(index, match) {
    const hit = this.hits[index];
    if (!hit) return;
    this.active = index;
    this.highlightActive(false);
    const target = match
      || hit.matches.find((m) => m.field === 'output')
      || hit.matches.find((m) => m.field === 'chat')
      || hit.matches[0] || null;
    this.hooks.openHit(hit, target);
  }

  /** Bring search up to date with what is stored (an older database's history,
   * an import just stored), a batch at a time, showing how many sessions wait. */
  async buildIndex() {
    if (this.indexing) return;
    this.indexing = true;
    const badge = $('search-indexing');
    try {
      let step = await invoke('build_search_index', { batch: 1 });
      const total = step.pending + step.indexed;
      let done = step.indexed;
      while (step.pending > 0) {
        badge.hidden = false;
        badge.textContent = `Indexing ${step.pending.toLocaleString()} sessions for search… ${Math.floor((100 * done) / Math.max(total, done + step.pending))}%`;
        badge.dataset.pending = String(step.pending);
        step = await invoke('build_search_index', { batch: 500 });
        done += step.indexed;
      }
    } catch (error) {
      showError(error, 'indexing the history for search');
    } finally {
      this.indexing = false;
      badge.hidden = true;
      badge.dataset.pending = '0';
    }
  }
}
