// The workspace picker: type a path, or pick one of the recent ones (remembered in
// localStorage) or one the database knows (list_workspaces, with session counts).
//
// The database's workspaces are sorted by last activity (their newest session's
// updatedAt) and filtered as you type. A workspace imported from a legacy file whose
// folder could not be found is known by its hash alone: its entry offers to bind a
// folder (bind_workspace), after which its sessions open like any other.
import { $, el, setChildren, relativeTime, formatNumber } from './dom.js';
import { call } from './feedback.js';
import { prefs } from './prefs.js';

export class WorkspacePicker {
  constructor({ onChange }) {
    this.onChange = onChange;
    this.current = null;
    this.known = [];
    this.activity = new Map(); // path -> newest session's updatedAt
    this.filter = '';
    this.pendingBind = null; // {hash, then(path)}: a search hit waiting for its folder
    $('workspace-button').addEventListener('click', () => this.toggle());
    $('workspace-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const typed = $('workspace-input').value.trim();
      if (!typed) return;
      // Not a path: the first workspace the filter shows.
      if (!/^[~/]/.test(typed) && !/^[A-Za-z]:[\\/]/.test(typed)) {
        const match = this.filtered().find((w) => w.path);
        if (match) this.choose(match.path);
        return;
      }
      this.choose(typed);
    });
    $('workspace-input').addEventListener('input', () => {
      this.filter = $('workspace-input').value.trim();
      this.renderLists();
    });
    $('workspace-input').addEventListener('keydown', (event) => {
      if (event.key === 'ArrowDown') {
        const first = $('workspace-menu').querySelector('.workspace-item:not(:disabled), .bind-form input');
        if (first) {
          event.preventDefault();
          first.focus();
        }
      }
    });
    $('workspace-menu').addEventListener('keydown', (event) => {
      const item = event.target instanceof Element ? event.target.closest('.workspace-item') : null;
      if (!item || (event.key !== 'ArrowDown' && event.key !== 'ArrowUp')) return;
      const items = [...$('workspace-menu').querySelectorAll('.workspace-item:not(:disabled)')];
      const at = items.indexOf(item) + (event.key === 'ArrowDown' ? 1 : -1);
      event.preventDefault();
      if (at < 0) $('workspace-input').focus();
      else if (items[at]) items[at].focus();
    });
    $('workspace-menu').addEventListener('submit', (event) => {
      const form = event.target instanceof Element ? event.target.closest('.bind-form') : null;
      if (!form) return;
      event.preventDefault();
      const path = form.querySelector('input').value.trim();
      if (path) this.bind(form.dataset.hash, path, form.querySelector('button'));
    });
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && !$('workspace-menu').hidden) {
        event.preventDefault();
        this.close();
        $('workspace-button').focus();
      }
    });
    document.addEventListener('mousedown', (event) => {
      if (!$('workspace-menu').hidden && !$('workspace').contains(event.target)) this.close();
    });
  }

  /** The workspace to start with: the last one used, else the most recently active one. */
  async initial() {
    await this.loadKnown();
    const remembered = prefs.workspace;
    if (remembered) return remembered;
    return this.mostActive();
  }

  /** The path of the workspace whose newest session is the newest of all (null: none). */
  mostActive() {
    const first = this.known.find((w) => w.path);
    return first ? first.path : null;
  }

  async loadKnown() {
    try {
      this.known = await call('list_workspaces', {}, 'listing workspaces');
    } catch {
      this.known = [];
    }
    this.sortByActivity();
    this.renderLists();
    return this.known;
  }

  /** Each workspace's last activity (list_workspaces' lastActivity: its newest session). */
  sortByActivity() {
    this.activity = new Map(this.known.filter((w) => w.path).map((w) => [w.path, w.lastActivity || null]));
    const time = (w) => {
      const at = w.path ? this.activity.get(w.path) : null;
      return at ? Date.parse(at) : -Infinity;
    };
    // Most recently active first; folders unknown after those with activity.
    this.known = [...this.known].sort((a, b) => time(b) - time(a)
      || (a.path ? 0 : 1) - (b.path ? 0 : 1));
  }

  set(path) {
    this.current = path;
    const label = $('workspace-current');
    setChildren(label, el('span', { text: path || 'Choose a workspace…' }));
    label.title = path || '';
    $('workspace').dataset.path = path || '';
    if (path) prefs.remember(path);
    this.renderLists();
  }

  choose(path) {
    this.close();
    if (path === this.current) return;
    this.set(path);
    this.onChange(path);
  }

  toggle() {
    if ($('workspace-menu').hidden) this.open();
    else this.close();
  }

  open() {
    $('workspace-menu').hidden = false;
    $('workspace-button').setAttribute('aria-expanded', 'true');
    $('workspace-input').value = '';
    this.filter = '';
    $('workspace-input').focus();
    this.loadKnown();
  }

  close() {
    $('workspace-menu').hidden = true;
    $('workspace-button').setAttribute('aria-expanded', 'false');
    $('workspace-note').hidden = true;
    this.pendingBind = null;
  }

  /**
   * A session of a workspace known by its hash alone was asked for: open the menu on
   * that workspace's "bind a folder" field; ``then(path)`` runs once it is bound.
   */
  async promptBind(hash, then) {
    $('workspace-menu').hidden = false;
    $('workspace-button').setAttribute('aria-expanded', 'true');
    this.filter = hash;
    $('workspace-input').value = hash;
    await this.loadKnown();
    this.pendingBind = { hash, then };
    const note = $('workspace-note');
    note.textContent = `These sessions were imported from the legacy file ${hash}.json, whose folder `
      + 'could not be found. Type the folder they were made in to open them.';
    note.hidden = false;
    const input = $('workspace-menu').querySelector(`.bind-form[data-hash="${CSS.escape(hash)}"] input`);
    if (input) input.focus();
  }

  async bind(hash, path, button) {
    if (button) button.disabled = true;
    try {
      const bound = await call('bind_workspace', { workspaceHash: hash, path }, 'binding the workspace to its folder');
      const then = this.pendingBind && this.pendingBind.hash === hash ? this.pendingBind.then : null;
      this.close();
      await this.loadKnown();
      this.set(bound.path);
      if (then) await then(bound.path);
      else this.onChange(bound.path);
    } catch {
      /* the banner says why (a folder of another hash, ...); the field keeps the text */
    } finally {
      if (button) button.disabled = false;
    }
  }

  filtered() {
    const needle = this.filter.toLowerCase();
    if (!needle) return this.known;
    return this.known.filter((w) => (w.path || '').toLowerCase().includes(needle)
      || w.workspaceHash.toLowerCase().includes(needle));
  }

  renderLists() {
    const countByPath = new Map(this.known.filter((w) => w.path).map((w) => [w.path, w]));
    const needle = this.filter.toLowerCase();
    const recent = prefs.recent.filter((p) => !needle || p.toLowerCase().includes(needle));
    setChildren($('workspace-recent'), recent.length
      ? recent.map((path) => this.item(path, countByPath.get(path)))
      : el('li', { class: 'muted empty-item', text: needle ? 'No recent workspace matches' : 'Nothing yet' }));
    const known = this.filtered();
    setChildren($('workspace-known'), known.length
      ? known.map((w) => (w.path ? this.item(w.path, w, w.workspaceHash) : this.unknownItem(w)))
      : el('li', { class: 'muted empty-item', text: this.known.length
        ? 'No workspace matches; press Enter to open the path typed'
        : 'The database has no workspaces yet' }));
    $('workspace-known').dataset.count = String(known.length);
  }

  item(path, info, hash) {
    const at = this.activity.get(path);
    const button = el('button', {
      type: 'button',
      class: ['workspace-item', path === this.current && 'current'],
      title: path,
      dataset: { path, hash: hash || '' },
      on: { click: () => this.choose(path) },
    },
    el('span', { class: 'workspace-item-path', text: path }),
    info ? el('span', {
      class: 'workspace-item-meta',
      text: `${formatNumber(info.sessionCount)} session${info.sessionCount === 1 ? '' : 's'}`
        + (at ? ` · ${relativeTime(at)}` : ''),
      title: at ? `Last session updated ${at}` : undefined,
    }) : null);
    return el('li', {}, button);
  }

  /** A workspace known by its hash alone: say so, and offer to bind its folder. */
  unknownItem(w) {
    return el('li', { class: 'workspace-unknown', dataset: { hash: w.workspaceHash } },
      el('div', { class: 'workspace-unknown-head' },
        el('span', { class: 'workspace-item-path', text: `${w.workspaceHash}.json` }),
        el('span', { class: 'workspace-item-meta',
          text: `${formatNumber(w.sessionCount)} session${w.sessionCount === 1 ? '' : 's'} · folder unknown` })),
      el('form', { class: 'bind-form', dataset: { hash: w.workspaceHash } },
        el('input', {
          type: 'text', placeholder: 'Its folder, e.g. /home/you/project',
          attrs: { 'aria-label': `Folder of workspace ${w.workspaceHash}`, spellcheck: 'false', autocomplete: 'off' },
        }),
        el('button', { type: 'submit', class: 'btn', text: 'Bind folder' })));
  }
}
