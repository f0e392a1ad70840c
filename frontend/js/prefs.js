// What the page remembers between runs (localStorage; the desktop window keeps it
// in its own profile next to the database).
const KEYS = {
  workspace: 'ait42.workspace',
  recent: 'ait42.recentWorkspaces',
  theme: 'ait42.theme',
  pageSize: 'ait42.pageSize',
  sort: 'ait42.sort',
};
const MAX_RECENT = 8;
// While the sample history is shown its workspaces are remembered apart, so the
// person's own recent workspaces never list a made-up one (and back again).
let scope = '';

/** Remember workspaces for the sample history (true) or the person's database. */
export function scopePrefs(sample) {
  scope = sample ? 'sample.' : '';
}

function scoped(key) {
  return key === KEYS.workspace || key === KEYS.recent ? key.replace('ait42.', `ait42.${scope}`) : key;
}

function read(key, fallback) {
  try {
    const raw = window.localStorage.getItem(scoped(key));
    return raw === null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

function write(key, value) {
  try {
    window.localStorage.setItem(scoped(key), JSON.stringify(value));
  } catch {
    /* storage full or disabled: remembering is a convenience only */
  }
}

export const prefs = {
  get workspace() {
    const value = read(KEYS.workspace, null);
    return typeof value === 'string' && value.trim() ? value : null;
  },
  set workspace(path) {
    write(KEYS.workspace, path);
  },
  get recent() {
    const list = read(KEYS.recent, []);
    return Array.isArray(list) ? list.filter((p) => typeof p === 'string' && p.trim()) : [];
  },
  remember(path) {
    const list = [path, ...this.recent.filter((p) => p !== path)].slice(0, MAX_RECENT);
    write(KEYS.recent, list);
    this.workspace = path;
  },
  forget(path) {
    write(KEYS.recent, this.recent.filter((p) => p !== path));
  },
  get theme() {
    const value = read(KEYS.theme, 'auto');
    return ['auto', 'light', 'dark'].includes(value) ? value : 'auto';
  },
  set theme(value) {
    write(KEYS.theme, value);
  },
  get pageSize() {
    const n = Number(read(KEYS.pageSize, 100));
    return Number.isInteger(n) && n >= 1 && n <= 500 ? n : 100;
  },
  set pageSize(n) {
    write(KEYS.pageSize, n);
  },
  get sort() {
    const value = read(KEYS.sort, 'updated');
    return ['updated', 'created', 'duration', 'filesChanged'].includes(value) ? value : 'updated';
  },
  set sort(value) {
    write(KEYS.sort, value);
  },
};
