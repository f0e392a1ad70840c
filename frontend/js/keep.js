// Nothing is lost, everything can leave: the Trash view, the Undo toast of "Move to
// trash", the backups of the Database view and the Export dialog.
// Stored text (tasks, paths) only ever becomes text nodes (el's `text`).
import { $, el, setChildren, relativeTime, formatDateTime, formatBytes } from './dom.js';
import { call, withButton, toast, whileLoading, addToast, showError, setBusy } from './feedback.js';
import { invoke } from './invoke.js';
import { confirmDialog } from './dialog.js';

/** A toast with an Undo button; `onUndo` runs once if it is pressed before it fades. */
export function undoToast(text, onUndo, ms = 8000) {
  const button = el('button', { class: 'btn btn-ghost toast-action', attrs: { type: 'button' }, text: 'Undo' });
  const node = el('div', { class: ['toast', 'toast-ok', 'toast-undo'], attrs: { role: 'status' } },
    el('span', { text }), button);
  const leave = () => {
    node.classList.add('leaving');
    setTimeout(() => node.remove(), 400);
  };
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await onUndo();
    } finally {
      leave();
    }
  }, { once: true });
  addToast(node);
  setTimeout(leave, ms);
  return node;
}

/** The Trash view: what was deleted, restore one, purge what is shown. */
export class TrashView {
  constructor({ getWorkspace, onRestored }) {
    this.getWorkspace = getWorkspace;
    this.onRestored = onRestored;
    this.items = [];
    $('trash-refresh').addEventListener('click', () => withButton($('trash-refresh'), () => this.load()));
    $('trash-all').addEventListener('change', () => this.load());
    $('trash-purge').addEventListener('click', () => this.purge());
    $('trash-body').addEventListener('click', (event) => {
      const target = event.target instanceof Element ? event.target : null;
      const restore = target ? target.closest('button[data-restore]') : null;
      if (restore) this.restore(Number(restore.dataset.restore), restore);
      const purge = target ? target.closest('button[data-purge]') : null;
      if (purge) this.purgeOne(Number(purge.dataset.purge), purge);
    });
  }

  scope() {
    return $('trash-all').checked ? null : this.getWorkspace();
  }

  async load() {
    const view = $('view-trash');
    await whileLoading(view, async () => {
      this.items = await call('list_trash', { workspacePath: this.scope() }, 'reading the trash');
      this.render();
      view.dataset.loaded = 'true';
      view.dataset.count = String(this.items.length);
    });
  }

  render() {
    // One row per trashed copy: an id deleted, reused and deleted again is two rows,
    // and each row's buttons act on its own copy (its trashId).
    setChildren($('trash-body'), this.items.map((t, k) => el('tr', { dataset: { sessionId: t.sessionId, trashId: String(t.trashId) } },
      el('td', { text: t.task }),
      el('td', { text: t.type }),
      el('td', { text: t.status }),
      el('td', { text: relativeTime(t.deletedAt), attrs: { title: formatDateTime(t.deletedAt) } }),
      el('td', { class: 'mono small', text: t.workspacePath || t.workspaceHash }),
      el('td', { class: 'row-actions' },
        el('button', { class: 'btn', attrs: { type: 'button' }, dataset: { restore: k }, text: 'Restore' }),
        el('button', { class: 'btn btn-ghost', attrs: { type: 'button', title: 'Delete this copy for good' }, dataset: { purge: k }, text: 'Delete for good…' })))));
    $('trash-empty').hidden = this.items.length > 0;
    $('trash-purge').disabled = this.items.length === 0;
  }

  async restore(k, button) {
    const t = this.items[k];
    if (!t) return;
    await withButton(button, async () => {
      try {
        await call('restore_session', { workspacePath: t.workspacePath, sessionId: t.sessionId, trashId: t.trashId },
          'restoring the session');
        toast(`Restored “${t.task}”`);
        this.onRestored(t);
      } catch {
        /* the banner says why (CONFLICT: a live session has the id) */
      }
      await this.load();
    });
  }

  /** Destroy this row's copy alone, after asking. */
  async purgeOne(k, button) {
    const t = this.items[k];
    if (!t) return;
    const ok = await confirmDialog({
      title: 'Delete this session for good?',
      text: `“${t.task}” (deleted ${formatDateTime(t.deletedAt)}) will be destroyed with its instances and chat. A backup of the database is taken first; nothing else can bring it back.`,
      confirm: 'Delete for good',
    });
    if (!ok) return;
    await withButton(button, async () => {
      try {
        await call('purge_trash', { workspacePath: t.workspacePath, sessionIds: [t.sessionId], trashIds: [t.trashId] },
          'deleting the session for good');
        toast(`Deleted “${t.task}” for good`);
      } catch {
        /* shown in the banner */
      }
      await this.load();
    });
  }

  async purge() {
    const items = this.items;
    if (!items.length) return;
    const names = items.slice(0, 8).map((t) => `“${t.task}”`).join(', ');
    const more = items.length > 8 ? ` and ${items.length - 8} more` : '';
    const ok = await confirmDialog({
      title: `Purge ${items.length} session${items.length === 1 ? '' : 's'} for good?`,
      text: `${names}${more} will be destroyed with their instances and chat. A backup of the database is taken first; nothing else can bring them back.`,
      confirm: 'Purge for good',
    });
    if (!ok) return;
    await withButton($('trash-purge'), async () => {
      try {
        // Exactly the copies shown and named (not a copy trashed since, under one of their ids);
        // their ids too, so a trashId SQLite gave again to another session is refused.
        const ids = [...new Set(items.map((t) => t.sessionId))];
        const done = await call('purge_trash', { workspacePath: this.scope(), sessionIds: ids, trashIds: items.map((t) => t.trashId) },
          'purging the trash');
        toast(`Purged ${done.purged} session${done.purged === 1 ? '' : 's'}`);
      } catch {
        /* shown in the banner */
      }
      await this.load();
    });
  }
}

/** The Backups panel of the Database view. */
export class BackupsPanel {
  constructor({ onRestored }) {
    this.onRestored = onRestored;
    this.items = [];
    $('backup-now').addEventListener('click', () => withButton($('backup-now'), () => this.backUp()));
    $('backups-body').addEventListener('click', (event) => {
      const button = event.target instanceof Element ? event.target.closest('button[data-restore]') : null;
      if (button) this.restore(Number(button.dataset.restore), button);
    });
  }

  async load() {
    const panel = $('backups-panel');
    await whileLoading(panel, async () => {
      this.items = await call('list_backups', {}, 'listing the backups');
      setChildren($('backups-body'), this.items.map((b, k) => el('tr', { dataset: { path: b.path, reason: b.reason || '' } },
        el('td', { text: relativeTime(b.createdAt), attrs: { title: formatDateTime(b.createdAt) } }),
        el('td', { text: b.reason === 'manual' ? 'Backed up by hand' : `Before ${b.reason || 'unknown'}` }),
        el('td', { class: 'num', text: formatBytes(b.sizeBytes) }),
        el('td', { class: 'mono small', text: b.path }),
        el('td', {}, el('button', { class: 'btn', attrs: { type: 'button' }, dataset: { restore: k }, text: 'Restore…' })))));
      $('backups-empty').hidden = this.items.length > 0;
      panel.dataset.loaded = 'true';
      panel.dataset.count = String(this.items.length);
    });
  }

  async backUp() {
    try {
      const made = await call('create_backup', { path: null }, 'backing up the database');
      toast(`Backed up (${formatBytes(made.sizeBytes)})`);
    } catch {
      /* shown in the banner */
    }
    await this.load();
  }

  async restore(k, button) {
    const b = this.items[k];
    if (!b) return;
    const ok = await confirmDialog({
      title: 'Restore this backup?',
      text: `The database will be replaced by the backup taken ${formatDateTime(b.createdAt)} (${b.path}). The database as it is now is backed up first, so this too can be undone.`,
      confirm: 'Restore backup',
    });
    if (!ok) return;
    await withButton(button, async () => {
      try {
        const stats = await call('restore_backup', { path: b.path }, 'restoring the backup');
        toast(`Restored: ${stats.sessionCount} sessions`);
        await this.onRestored(stats);
      } catch {
        /* shown in the banner; the database was left as it was */
      }
      await this.load();
    });
  }
}

/** Ask for a format and a file, then export `selection`; resolves to the result or null. */
export function exportDialog({ title, what, selection, name }) {
  const dialog = $('export-dialog');
  $('export-title').textContent = title;
  $('export-what').textContent = what;
  const extension = { json: 'json', markdown: 'md', html: 'html' };
  const suggest = () => {
    $('export-path').value = `~/${name}.${extension[$('export-format').value]}`;
  };
  suggest();
  return new Promise((resolve) => {
    const finish = (value) => {
      $('export-format').removeEventListener('change', suggest);
      $('export-form').removeEventListener('submit', onSubmit);
      $('export-cancel').removeEventListener('click', onCancel);
      dialog.close();
      resolve(value);
    };
    const onCancel = () => finish(null);
    const onSubmit = async (event) => {
      event.preventDefault();
      const format = $('export-format').value;
      const path = $('export-path').value.trim();
      await withButton($('export-ok'), async () => {
        try {
          const out = await exportAsking(selection, format, path);
          if (!out) return; // the person chose not to replace the file: the dialog stays
          toast(`Exported ${out.sessions} session${out.sessions === 1 ? '' : 's'} to ${out.path}`);
          finish(out);
        } catch (error) {
          showError(error, 'exporting'); /* the dialog stays open to fix the path */
        }
      });
    };
    $('export-format').addEventListener('change', suggest);
    $('export-form').addEventListener('submit', onSubmit);
    $('export-cancel').addEventListener('click', onCancel);
    dialog.showModal();
  });
}

/**
 * Export without replacing a file unasked: first with ``{replace: false}``; when the
 * file exists (CONFLICT) ask, then again with ``{replace: true}``. Resolves to the
 * result, or null when the person kept the file.
 */
export async function exportAsking(selection, format, path) {
  const attempt = async (options) => {
    setBusy(+1);
    try {
      return await invoke('export_sessions', { selection, format, path, options });
    } finally {
      setBusy(-1);
    }
  };
  try {
    return await attempt({ replace: false });
  } catch (error) {
    if (error.name === 'ConflictError' || error.code === 'CONFLICT') {
      const replace = await confirmDialog({
        title: 'Replace the file?',
        text: `${path} already exists. Replace it with this export? Its current content is lost.`,
        confirm: 'Replace',
      });
      return replace ? attempt({ replace: true }) : null;
    }
    throw error;
  }
}
