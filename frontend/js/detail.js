// One whole session: its instances (with a status control), an instance's output in
// a monospace viewer, the chat history with a box to add a message, and delete.
// Every change goes through the bridge and the view then shows what was stored.
//
// The instance cards are the tabs of the output panel (WAI-ARIA tabs, manual
// activation): one Tab stop on the selected card, arrow keys (and Home/End)
// move between cards, Enter or Space shows that card's output. Manual, not on
// focus: an output can be megabytes, too slow to render on every arrow press.
// The status control sits beside each tab, not in it (a tab's content is
// presentational to assistive technology, which would hide the control).
import { $, el, setChildren, linkify, relativeTime, formatDateTime, formatDuration, formatNumber, formatBytes, newId } from './dom.js';
import { call, withButton, toast } from './feedback.js';
import { invoke } from './invoke.js';
import { undoToast, exportDialog } from './keep.js';
import { parseAnsi, renderLine } from './ansi.js';
import { VirtualColumn } from './vlist.js';
import { withAppends } from './appends.js';
import { statusPill, statusTone } from './status.js';

export const INSTANCE_STATUSES = ['idle', 'running', 'completed', 'failed', 'paused', 'archived'];

export class Detail {
  constructor({ getWorkspace, onBack, onDeleted, onChanged, onCompare, onRestored = () => {} }) {
    this.onRestored = onRestored;
    this.getWorkspace = getWorkspace;
    this.onCompare = onCompare;
    this.picked = new Set(); // instances ticked for the compare view
    this.onBack = onBack;
    this.onDeleted = onDeleted;
    this.onChanged = onChanged;
    this.session = null;
    this.selectedInstance = null;
    this.seq = 0;

    $('detail-back').addEventListener('click', () => this.onBack());
    $('detail-reload').addEventListener('click', () => withButton($('detail-reload'), () => this.reload()));
    $('detail-delete').addEventListener('click', () => this.deleteSession());
    $('detail-archive').addEventListener('click', () => this.toggleArchive());
    $('detail-export').addEventListener('click', () => {
      const s = this.session;
      if (s) exportDialog({ title: 'Export this session', what: s.task, selection: { workspacePath: this.getWorkspace(), sessionIds: [s.id] }, name: `session-${s.id}`.replace(/[^\w.-]+/g, '_') });
    });
    $('chat-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.sendMessage();
    });
    $('chat-input').addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.sendMessage();
      }
    });
    $('compare-open').addEventListener('click', () => {
      if (this.session && this.picked.size >= 2) this.onCompare(this.session.id, [...this.picked]);
    });
    $('chat-new').addEventListener('click', () => {
      $('chat').scrollTop = $('chat').scrollHeight;
      this.hideNewMessages();
    });
    $('chat').addEventListener('scroll', () => {
      const chat = $('chat');
      if (chat.scrollHeight - chat.scrollTop - chat.clientHeight < 8) this.hideNewMessages();
    });
    $('instances').addEventListener('change', (event) => {
      const box = event.target;
      if (box instanceof HTMLInputElement && box.classList.contains('compare-pick')) {
        const id = Number(box.dataset.instanceId);
        if (box.checked) this.picked.add(id);
        else this.picked.delete(id);
        this.updateCompareButton();
        return;
      }
      const select = event.target;
      if (select instanceof HTMLSelectElement && select.classList.contains('instance-status')) {
        this.changeStatus(Number(select.dataset.instanceId), select.value, select);
      }
    });
    $('instances').addEventListener('click', (event) => {
      const target = event.target instanceof Element ? event.target : null;
      if (!target || target.closest('select, input, label')) return;
      const card = target.closest('.instance');
      if (card) this.selectInstance(Number(card.dataset.instanceId));
    });
    $('instances').addEventListener('keydown', (event) => this.onTabKey(event));
    // Put focus back where it was when a change re-renders the cards.
    this.refocus = null;
  }

  /** The tabs' keys; only when the tab itself has focus (not its status control). */
  onTabKey(event) {
    const tab = event.target instanceof Element && event.target.getAttribute('role') === 'tab'
      ? event.target : null;
    if (!tab || event.altKey || event.ctrlKey || event.metaKey) return;
    const tabs = [...$('instances').querySelectorAll('[role="tab"]')];
    const at = tabs.indexOf(tab);
    let next = null;
    switch (event.key) {
      case 'Enter':
      case ' ':
        event.preventDefault();
        this.selectInstance(Number(tab.dataset.instanceId));
        return;
      case 'ArrowRight':
      case 'ArrowDown':
        next = tabs[(at + 1) % tabs.length];
        break;
      case 'ArrowLeft':
      case 'ArrowUp':
        next = tabs[(at - 1 + tabs.length) % tabs.length];
        break;
      case 'Home':
        next = tabs[0];
        break;
      case 'End':
        next = tabs[tabs.length - 1];
        break;
      default:
        return;
    }
    event.preventDefault();
    next.focus();
  }

  /** Show the session with this id, loaded whole from the bridge. */
  /** Open a session; ``focus`` (a search match) is scrolled into view and marked. */
  async open(sessionId, focus = null) {
    const workspacePath = this.getWorkspace();
    const seq = ++this.seq;
    this.session = null;
    this.selectedInstance = null;
    this.markLine = null;
    const view = $('view-detail');
    if (view.dataset.sessionId !== sessionId) this.picked.clear();
    view.dataset.sessionId = sessionId;
    view.dataset.loaded = 'false';
    view.dataset.failed = 'false';
    view.dataset.gone = 'false';
    $('detail-gone').hidden = true;
    this.hideNewMessages();
    view.setAttribute('aria-busy', 'true');
    this.renderLoading(sessionId);
    try {
      const session = await call('get_session_sqlite', { workspacePath, sessionId }, 'opening the session');
      if (seq !== this.seq) return false;
      this.show(session);
      if (focus) this.reveal(focus);
      return true;
    } catch {
      if (seq === this.seq) this.renderFailed(sessionId);
      return false;
    } finally {
      if (seq === this.seq) view.removeAttribute('aria-busy');
    }
  }

  reload() {
    return this.session ? this.open(this.session.id) : Promise.resolve(false);
  }

  show(session) {
    const keep = this.selectedInstance;
    this.session = session;
    const instances = session.instances || [];
    if (keep === null || !instances.some((i) => i.instanceId === keep)) {
      this.selectedInstance = instances.length ? instances[0].instanceId : null;
    }
    this.render();
    const view = $('view-detail');
    view.dataset.sessionId = session.id;
    view.dataset.loaded = 'true';
    view.dataset.updatedAt = session.updatedAt;
    view.dataset.archived = session.archivedAt ? 'true' : 'false';
    $('detail-archive').textContent = session.archivedAt ? 'Unarchive' : 'Archive';
  }

  /**
   * The open session changed elsewhere: show it in place. What is typed in the chat
   * box stays; the chat follows new messages only if it was scrolled to the bottom
   * (else a marker offers them); the output keeps its scroll unless it was at the end.
   * Streamed output the change carries is appended without fetching the session.
   */
  async refreshFromElsewhere(change) {
    const s = this.session;
    if (!s) return;
    if (change.kind === 'deleted') {
      this.showGone();
      return;
    }
    const seq = this.seq;
    let session = withAppends(s, change);
    if (session) {
      $('view-detail').dataset.appendedInPlace = String(Number($('view-detail').dataset.appendedInPlace || '0') + 1);
    } else {
      try {
        session = await invoke('get_session_sqlite', { workspacePath: this.getWorkspace(), sessionId: s.id });
      } catch (error) {
        if (error.code === 'NOT_FOUND' && seq === this.seq) this.showGone();
        return;
      }
    }
    if (seq !== this.seq || !this.session || this.session.id !== session.id) return;
    const chat = $('chat');
    const out = $('output');
    const atEnd = (node) => node.scrollHeight - node.scrollTop - node.clientHeight < 8;
    const chatAtEnd = atEnd(chat);
    const chatTop = chat.scrollTop;
    const outAtEnd = atEnd(out);
    const outTop = out.scrollTop;
    const before = (this.session.chatHistory || []).length;
    const active = document.activeElement;
    const focusInstance = active instanceof Element && active.closest('#instances')
      ? { id: active.closest('.instance')?.dataset.instanceId, select: active.tagName === 'SELECT' } : null;
    this.show(session);
    const added = (session.chatHistory || []).length - before;
    if (chatAtEnd) chat.scrollTop = chat.scrollHeight;
    else {
      chat.scrollTop = chatTop;
      if (added > 0) this.showNewMessages(added);
    }
    out.scrollTop = outAtEnd ? out.scrollHeight : outTop;
    if (focusInstance && focusInstance.id !== undefined) {
      const card = $('instances').querySelector(`.instance[data-instance-id="${CSS.escape(focusInstance.id)}"]`);
      const target = card && focusInstance.select ? card.querySelector('select') : card;
      if (target) target.focus({ preventScroll: true });
    }
  }

  showNewMessages(count) {
    const marker = $('chat-new');
    const total = Number(marker.dataset.count || 0) + count;
    marker.dataset.count = String(total);
    marker.textContent = `${total} new message${total === 1 ? '' : 's'} ↓`;
    marker.hidden = false;
  }

  hideNewMessages() {
    const marker = $('chat-new');
    marker.hidden = true;
    marker.dataset.count = '0';
  }

  /** Deleted by another window or program: say so instead of failing on the next click. */
  showGone() {
    $('detail-gone').hidden = false;
    $('view-detail').dataset.gone = 'true';
    this.setEnabled(false);
  }

  renderLoading(sessionId) {
    setChildren($('detail-badges'));
    $('detail-task').textContent = 'Loading…';
    $('detail-id').textContent = sessionId;
    setChildren($('detail-meta'));
    setChildren($('instances'), el('p', { class: 'muted placeholder', text: 'Loading instances…' }));
    setChildren($('chat'));
    if (this.outputColumn) {
      this.outputColumn.destroy();
      this.outputColumn = null;
    }
    $('output').replaceChildren();
    $('output-title').textContent = '';
    $('output-size').textContent = '';
    $('instances-count').textContent = '';
    $('chat-count').textContent = '';
    this.setEnabled(false);
  }

  renderFailed(sessionId) {
    $('view-detail').dataset.failed = 'true';
    $('detail-task').textContent = 'This session could not be loaded';
    $('detail-id').textContent = sessionId;
    setChildren($('instances'), el('p', { class: 'muted placeholder', text: 'See the message above.' }));
    this.setEnabled(false);
    $('detail-reload').disabled = false;
  }

  setEnabled(enabled) {
    for (const id of ['detail-delete', 'detail-archive', 'detail-export', 'detail-reload', 'chat-send', 'chat-input', 'chat-role', 'chat-instance']) {
      $(id).disabled = !enabled;
    }
  }

  render() {
    const s = this.session;
    setChildren($('detail-badges'),
      el('span', { class: ['badge', `type-${s.type}`], text: s.type }),
      statusPill(s.status));
    $('detail-task').textContent = s.task;
    $('detail-id').textContent = s.id;

    const meta = [
      ['Created', formatDateTime(s.createdAt), s.createdAt],
      ['Updated', relativeTime(s.updatedAt), formatDateTime(s.updatedAt)],
      ['Completed', s.completedAt ? formatDateTime(s.completedAt) : '—', s.completedAt],
      ['Model', s.model || '—'],
      ['Duration', formatDuration(s.totalDuration)],
      ['Runtimes', Array.isArray(s.runtimeMix) && s.runtimeMix.length ? s.runtimeMix.join(', ') : '—'],
      ['Winner', s.winnerId !== undefined && s.winnerId !== null ? `#${s.winnerId}` : '—'],
      ['Changes', changesText(s.totalFilesChanged, s.totalLinesAdded, s.totalLinesDeleted)],
    ];
    setChildren($('detail-meta'), meta.map(([term, value, title]) => el('div', { class: 'meta-item' },
      el('dt', { text: term }),
      el('dd', { text: value, title: title || undefined }))));

    this.renderInstances();
    this.renderOutput();
    this.renderChat();
    this.setEnabled(true);
  }

  updateCompareButton() {
    const button = $('compare-open');
    button.disabled = this.picked.size < 2;
    button.textContent = this.picked.size >= 2 ? `Compare ${this.picked.size}` : 'Compare';
  }

  renderInstances() {
    const instances = this.session.instances || [];
    const ids = new Set(instances.map((i) => i.instanceId));
    for (const id of [...this.picked]) if (!ids.has(id)) this.picked.delete(id);
    this.updateCompareButton();
    $('instances-count').textContent = String(instances.length);
    const refocus = this.refocus || focusedPart($('instances'));
    this.refocus = null;
    if (!instances.length) {
      $('instances').removeAttribute('role');
      setChildren($('instances'), el('p', { class: 'muted placeholder', text: 'This session has no instances.' }));
    } else {
      $('instances').setAttribute('role', 'tablist');
      setChildren($('instances'), instances.map((inst) => this.renderInstance(inst)));
    }
    if (refocus) {
      const card = $('instances').querySelector(`.instance[data-instance-id="${refocus.instanceId}"]`);
      const target = card && card.querySelector(refocus.part === 'status' ? 'select' : '[role="tab"]');
      if (target) target.focus();
    }
    const select = $('chat-instance');
    const previous = select.value;
    setChildren(select, el('option', { value: '', text: 'None' }),
      instances.map((inst) => el('option', {
        value: String(inst.instanceId), text: `#${inst.instanceId} ${inst.agentName}`,
      })));
    if ([...select.options].some((o) => o.value === previous)) select.value = previous;
  }

  renderInstance(inst) {
    const isWinner = this.session.winnerId !== undefined && this.session.winnerId !== null
      && this.session.winnerId === inst.instanceId;
    const statusSelect = el('select', {
      class: 'instance-status',
      dataset: { instanceId: inst.instanceId },
      attrs: { 'aria-label': `Status of instance ${inst.instanceId}` },
    }, INSTANCE_STATUSES.map((st) => el('option', { value: st, text: st })));
    if (!INSTANCE_STATUSES.includes(inst.status)) {
      statusSelect.append(el('option', { value: inst.status, text: inst.status }));
    }
    statusSelect.value = inst.status;
    const selected = inst.instanceId === this.selectedInstance;
    return el('article', {
      class: ['instance', selected && 'selected', isWinner && 'winner'],
      dataset: { instanceId: inst.instanceId, status: inst.status },
      attrs: { role: 'presentation' },
    },
    el('div', {
      class: 'instance-tab',
      dataset: { instanceId: inst.instanceId },
      attrs: {
        role: 'tab', id: `instance-tab-${inst.instanceId}`, 'aria-controls': 'output',
        'aria-selected': String(selected), tabindex: selected ? '0' : '-1',
        title: 'Show this instance\'s output (Enter)',
      },
    },
    el('div', { class: 'instance-head' },
      el('span', { class: 'instance-num', text: `#${inst.instanceId}` }),
      el('span', { class: 'instance-agent', text: inst.agentName }),
      isWinner ? el('span', { class: 'winner-badge', text: 'winner' }) : null,
      el('span', { class: ['status-dot', `status-${statusTone(inst.status)}`], attrs: { 'aria-hidden': 'true' } })),
    el('div', { class: 'instance-meta' },
      metaChip('branch', inst.branch),
      inst.runtimeLabel || inst.runtime ? metaChip('runtime', inst.runtimeLabel || inst.runtime) : null,
      inst.model ? metaChip('model', inst.model) : null,
      metaChip('tmux', inst.tmuxSessionId)),
    el('div', { class: 'instance-foot' },
      el('span', { class: 'files', text: inst.filesChanged !== undefined && inst.filesChanged !== null ? `${formatNumber(inst.filesChanged)} files` : '— files' }),
      el('span', { class: 'lines' },
        el('span', { class: 'add', text: `+${formatNumber(inst.linesAdded || 0)}` }),
        el('span', { class: 'del', text: `−${formatNumber(inst.linesDeleted || 0)}` })),
      inst.startTime ? el('span', { class: 'muted', text: timeRange(inst.startTime, inst.endTime) }) : null)),
    statusSelect,
    // Outside the tab (a control in a tab would be lost to its keys): tick to compare.
    el('label', { class: 'compare-tick', title: 'Tick two or more to compare them' },
      el('input', {
        type: 'checkbox', class: 'compare-pick', checked: this.picked.has(inst.instanceId),
        dataset: { instanceId: inst.instanceId },
        attrs: { 'aria-label': `Compare instance ${inst.instanceId}` },
      }),
      el('span', { class: 'small muted', text: 'compare' })));
  }

  selectInstance(instanceId) {
    this.selectedInstance = instanceId;
    for (const card of $('instances').querySelectorAll('.instance')) {
      const selected = Number(card.dataset.instanceId) === instanceId;
      card.classList.toggle('selected', selected);
      const tab = card.querySelector('[role="tab"]');
      tab.setAttribute('aria-selected', String(selected));
      tab.tabIndex = selected ? 0 : -1;
    }
    this.renderOutput();
  }

  /**
   * The selected instance's output as a terminal showed it: colours as spans (ansi.js,
   * never HTML), every other escape removed, links clickable, and only the visible
   * lines in the DOM (vlist.js), so a 100,000-line output opens at once.
   */
  renderOutput() {
    const inst = (this.session.instances || []).find((i) => i.instanceId === this.selectedInstance);
    const out = $('output');
    if (this.outputColumn) {
      this.outputColumn.destroy();
      this.outputColumn = null;
    }
    if (inst) out.setAttribute('aria-labelledby', `instance-tab-${inst.instanceId}`);
    else out.removeAttribute('aria-labelledby');
    if (!inst) {
      $('output-title').textContent = '';
      $('output-size').textContent = '';
      out.replaceChildren();
      out.dataset.empty = 'true';
      out.dataset.rows = '0';
      return;
    }
    $('output-title').textContent = `#${inst.instanceId} · ${inst.agentName}`;
    const text = typeof inst.output === 'string' ? inst.output : '';
    out.dataset.instanceId = String(inst.instanceId);
    out.dataset.empty = text ? 'false' : 'true';
    if (!text) {
      $('output-size').textContent = '';
      out.dataset.rows = '0';
      out.replaceChildren(el('span', { class: 'muted output-none', text: 'No output recorded for this instance.' }));
      return;
    }
    // Parsed once per output string: a live redraw of the same text costs nothing.
    if (!this.parsed || this.parsed.source !== text) this.parsed = { source: text, lines: parseAnsi(text) };
    const { lines } = this.parsed;
    $('output-size').textContent = `${formatNumber(lines.length)} lines · ${formatBytes(new Blob([text]).size)}`;
    const markRow = this.markLine && this.markLine.instanceId === inst.instanceId
      ? lineOf(lines, this.markLine.words) : -1;
    this.outputColumn = new VirtualColumn(out, {
      count: lines.length,
      rowAt: (r) => ({ text: lines[r].text, runs: lines[r].runs, number: r + 1, mark: '' }),
      renderText: (span, row, r) => {
        const target = r === markRow
          ? span.appendChild(el('mark', { class: 'search-line', dataset: { line: r } })) : span;
        renderLine(target, row, true, linkify);
      },
    });
    out.dataset.markRow = String(markRow);
  }

  /** Scroll a search match into view and mark it: its chat message, its output line,
   * its instance card or the task. */
  reveal(match) {
    const view = $('view-detail');
    let target = null;
    if (match.field === 'chat') {
      target = [...$('chat').querySelectorAll('.message')]
        .find((node) => node.dataset.messageId === match.messageId) || null;
    } else if (match.instanceId !== undefined && match.instanceId !== null) {
      if (match.field === 'output') {
        const words = (match.highlights || []).map(([a, b]) => match.text.slice(a, b).toLowerCase());
        this.markLine = { instanceId: match.instanceId, words };
      }
      this.selectInstance(match.instanceId);
      const row = Number($('output').dataset.markRow);
      if (this.outputColumn && row >= 0) this.outputColumn.scrollToRow(row, 0.4);
      target = $('output').querySelector('mark.search-line')
        || [...$('instances').querySelectorAll('.instance')]
          .find((card) => Number(card.dataset.instanceId) === match.instanceId) || null;
    } else {
      target = $('detail-task');
    }
    if (!target) return;
    target.classList.add('search-target');
    target.scrollIntoView({ block: 'center' });
    view.dataset.revealed = match.field;
  }

  renderChat() {
    const messages = this.session.chatHistory || [];
    $('chat-count').textContent = String(messages.length);
    const chat = $('chat');
    if (!messages.length) {
      setChildren(chat, el('li', { class: 'chat-empty muted', text: 'No messages yet.' }));
      return;
    }
    setChildren(chat, messages.map((m) => el('li', {
      class: ['message', `role-${m.role}`],
      dataset: { messageId: m.id, role: m.role },
    },
    el('div', { class: 'message-head' },
      el('span', { class: 'message-role', text: m.role }),
      m.instanceId !== undefined && m.instanceId !== null
        ? el('span', { class: 'message-instance', text: `#${m.instanceId}` }) : null,
      el('time', {
        class: 'message-time', text: formatDateTime(m.timestamp), attrs: { datetime: m.timestamp },
      })),
    el('div', { class: 'message-content' }, linkify(m.content)))));
    chat.scrollTop = chat.scrollHeight;
  }

  async changeStatus(instanceId, newStatus, select) {
    const s = this.session;
    if (!s) return;
    if (document.activeElement === select) this.refocus = { instanceId, part: 'status' };
    select.disabled = true;
    try {
      const session = await call('update_instance_status_sqlite',
        { workspacePath: this.getWorkspace(), sessionId: s.id, instanceId, newStatus },
        `changing instance #${instanceId} to ${newStatus}`);
      this.show(session);
      toast(`Instance #${instanceId} is now ${newStatus}`);
      this.onChanged(session);
    } catch {
      // Put the control back to what is stored.
      const inst = (s.instances || []).find((i) => i.instanceId === instanceId);
      if (inst) select.value = inst.status;
    } finally {
      const refocus = this.refocus; // still set when nothing re-rendered (the change failed)
      this.refocus = null;
      select.disabled = false;
      if (refocus) select.focus();
    }
  }

  async sendMessage() {
    const s = this.session;
    const input = $('chat-input');
    const content = input.value;
    if (!s) return;
    if (!content.trim()) {
      input.focus();
      return;
    }
    const instanceValue = $('chat-instance').value;
    const message = {
      id: newId('msg'),
      role: $('chat-role').value,
      content,
      timestamp: new Date().toISOString(),
    };
    if (instanceValue !== '') message.instanceId = Number(instanceValue);
    await withButton($('chat-send'), async () => {
      input.disabled = true;
      try {
        const session = await call('add_chat_message_sqlite',
          { workspacePath: this.getWorkspace(), sessionId: s.id, message }, 'adding the message');
        input.value = '';
        this.show(session);
        this.onChanged(session);
      } catch {
        /* the banner says why; the text stays in the box */
      } finally {
        input.disabled = false;
        input.focus();
      }
    });
  }

  /** Move the session to the trash at once; the toast's Undo brings it back whole. */
  async deleteSession() {
    const s = this.session;
    if (!s) return;
    const workspacePath = this.getWorkspace();
    await withButton($('detail-delete'), async () => {
      try {
        await call('delete_session_sqlite', { workspacePath, sessionId: s.id }, 'moving the session to the trash');
        this.session = null;
        this.onDeleted(s.id);
        undoToast(`Moved “${s.task}” to the trash`, async () => {
          try {
            await call('restore_session', { workspacePath, sessionId: s.id }, 'restoring the session');
            toast(`Restored “${s.task}”`);
            this.onRestored(s.id);
          } catch {
            /* shown in the banner (CONFLICT: a new session took the id) */
          }
        });
      } catch {
        /* shown in the banner */
      }
    });
  }

  async toggleArchive() {
    const s = this.session;
    if (!s) return;
    const archived = !s.archivedAt;
    await withButton($('detail-archive'), async () => {
      try {
        const session = await call('archive_session', { workspacePath: this.getWorkspace(), sessionId: s.id, archived },
          archived ? 'archiving the session' : 'unarchiving the session');
        this.show(session);
        this.onChanged(session);
        toast(archived ? 'Archived: hidden from the board unless the filter shows archived sessions' : 'Unarchived');
      } catch {
        /* shown in the banner */
      }
    });
  }
}

/** Which instance's tab or status control has focus inside ``container``, if any. */
function focusedPart(container) {
  const active = document.activeElement;
  if (!(active instanceof Element) || !container.contains(active)) return null;
  const card = active.closest('.instance');
  if (!card) return null;
  return { instanceId: card.dataset.instanceId, part: active.matches('select') ? 'status' : 'tab' };
}

function metaChip(label, value) {
  return el('span', { class: 'chip', title: label },
    el('span', { class: 'chip-label', text: label }),
    el('span', { class: 'chip-value', text: value ?? '—' }));
}

function changesText(files, added, deleted) {
  if ([files, added, deleted].every((v) => v === undefined || v === null)) return '—';
  return `${formatNumber(files ?? 0)} files · +${formatNumber(added ?? 0)} −${formatNumber(deleted ?? 0)}`;
}

function timeRange(start, end) {
  const a = Date.parse(start);
  const b = end ? Date.parse(end) : NaN;
  if (!Number.isNaN(a) && !Number.isNaN(b)) return formatDuration((b - a) / 1000);
  return `started ${relativeTime(start)}`;
}

/** The line of parsed output `lines` holding most of `words`, -1 for none. */
export function lineOf(lines, words) {
  const wanted = [...new Set(words)].filter(Boolean);
  let best = -1;
  let bestScore = 0;
  lines.forEach((line, index) => {
    const plain = line.text.toLowerCase();
    const score = wanted.filter((w) => plain.includes(w)).length;
    if (score > bestScore) {
      best = index;
      bestScore = score;
    }
  });
  return best;
}
