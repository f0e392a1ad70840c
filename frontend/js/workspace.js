// The workspace picker: type a path, or pick one of the recent ones (remembered in
// localStorage) or one the database knows (list_workspaces, with session counts).
import { el, setChildren, relativeTime, formatNumber } from './dom.js';
import { call } from './feedback.js';
import { prefs } from './prefs.js';

const $ = (id) => document.getElementById(id);

export class WorkspacePicker {
  constructor({ onChange }) {
    this.onChange = onChange;
    this.current = null;
    this.known = [];
    $('workspace-button').addEventListener('click', () => this.toggle());
    $('workspace-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const path = $('workspace-input').value.trim();
      if (path) this.choose(path);
    });
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && !$('workspace-menu').hidden) this.close();
    });
    document.addEventListener('mousedown', (event) => {
      if (!$('workspace-menu').hidden && !$('workspace').contains(event.target)) this.close();
    });
  }

  /** The workspace to start with: the last one used, else the most recent in the database. */
  async initial() {
    await this.loadKnown();
    const remembered = prefs.workspace;
    if (remembered) return remembered;
    const first = this.known.find((w) => w.path);
    return first ? first.path : null;
  }

  async loadKnown() {
    try {
      this.known = await call('list_workspaces', {}, 'listing workspaces');
    } catch {
      this.known = [];
    }
    this.renderLists();
    return this.known;
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
    $('workspace-input').value = this.current || '';
    $('workspace-input').focus();
    $('workspace-input').select();
    this.loadKnown();
  }

  close() {
    $('workspace-menu').hidden = true;
    $('workspace-button').setAttribute('aria-expanded', 'false');
  }

  renderLists() {
    const countByPath = new Map(this.known.filter((w) => w.path).map((w) => [w.path, w]));
    const recent = prefs.recent;
    setChildren($('workspace-recent'), recent.length
      ? recent.map((path) => this.item(path, countByPath.get(path)))
      : el('li', { class: 'muted empty-item', text: 'Nothing yet' }));
    setChildren($('workspace-known'), this.known.length
      ? this.known.map((w) => this.item(w.path, w, w.workspaceHash))
      : el('li', { class: 'muted empty-item', text: 'The database has no workspaces yet' }));
  }

  item(path, info, hash) {
    const usable = Boolean(path);
    const button = el('button', {
      type: 'button',
      class: ['workspace-item', path === this.current && 'current'],
      disabled: !usable,
      title: usable ? path : `Workspace ${hash}: its path is not known (legacy data)`,
      dataset: { path: path || '' },
      on: { click: () => usable && this.choose(path) },
    },
    el('span', { class: 'workspace-item-path', text: path || `${hash} (path unknown)` }),
    info ? el('span', {
      class: 'workspace-item-meta',
      text: `${formatNumber(info.sessionCount)} session${info.sessionCount === 1 ? '' : 's'} · ${relativeTime(info.lastAccessed)}`,
    }) : null);
    return el('li', {}, button);
  }
}
