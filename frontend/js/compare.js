// Compare a session's attempts: chosen instances side by side (facts, evaluation,
// outputs with a line diff between two of them, the debate by round), and mark
// the winner. Stored text only ever becomes text nodes (dom.js, ansi.js).
import { $, el, setChildren, formatDuration, formatNumber } from './dom.js';
import { call, toast, withButton } from './feedback.js';
import { invoke } from './invoke.js';
import { parseAnsi } from './ansi.js';
import { alignLines } from './diff.js';
import { VirtualColumn } from './vlist.js';
import { withAppends } from './appends.js';
import { debateRounds } from './debate.js';
import { undoToast } from './keep.js';
import { statusPill } from './status.js';

const present = (v) => v !== undefined && v !== null && v !== '';

export class CompareView {
  constructor({ getWorkspace, onBack, onChanged }) {
    this.getWorkspace = getWorkspace;
    this.onBack = onBack;
    this.onChanged = onChanged;
    this.session = null;
    this.chosen = [];
    this.pair = [null, null];
    this.columns = [];
    this.hunks = [];
    this.hunk = -1;
    this.parsed = new Map(); // instanceId -> parsed lines
    this.syncing = false;
    this.seq = 0;
    this.build();
  }

  build() {
    const view = $('view-compare');
    this.back = el('button', { type: 'button', class: 'btn btn-ghost back', id: 'compare-back', text: 'Session', on: { click: () => this.onBack(this.session) } });
    this.badges = el('div', { class: 'detail-badges', id: 'compare-badges' });
    this.task = el('h1', { class: 'detail-task', id: 'compare-task' });
    this.sub = el('div', { class: 'muted', id: 'compare-sub' });
    this.pick = el('div', { class: 'compare-pick', id: 'compare-pick', attrs: { role: 'group', 'aria-label': 'Instances to compare' } });
    this.facts = el('table', { class: 'data-table compare-facts', id: 'compare-facts' });
    this.selA = el('select', { id: 'compare-a', attrs: { 'aria-label': 'Diff from' }, on: { change: () => this.choosePair() } });
    this.selB = el('select', { id: 'compare-b', attrs: { 'aria-label': 'Diff against' }, on: { change: () => this.choosePair() } });
    this.prev = el('button', { type: 'button', class: 'btn', id: 'diff-prev', text: '↑ Previous difference', on: { click: () => this.step(-1) } });
    this.next = el('button', { type: 'button', class: 'btn', id: 'diff-next', text: 'Next difference ↓', on: { click: () => this.step(1) } });
    this.position = el('span', { class: 'muted small', id: 'diff-position' });
    this.link = el('input', { type: 'checkbox', id: 'compare-link', checked: true });
    this.colour = el('input', { type: 'checkbox', id: 'compare-colour', checked: true, on: { change: () => this.renderOutputs() } });
    this.outputs = el('div', { class: 'compare-outputs', id: 'compare-outputs' });
    this.debatePanel = el('section', { class: 'panel', id: 'compare-debate-panel', hidden: true },
      el('header', { class: 'panel-header' }, el('h2', { text: 'Debate by round' })),
      this.debate = el('div', { class: 'table-wrap' }));
    setChildren(view,
      el('div', { class: 'detail-header' }, this.back,
        el('div', { class: 'detail-title' }, this.badges, this.task, this.sub)),
      this.pick,
      el('section', { class: 'panel' },
        el('header', { class: 'panel-header' }, el('h2', { text: 'Side by side' })),
        el('div', { class: 'table-wrap' }, this.facts)),
      el('section', { class: 'panel compare-outputs-panel' },
        el('header', { class: 'panel-header compare-toolbar' },
          el('h2', { text: 'Outputs' }),
          el('label', { class: 'field' }, el('span', { text: 'Diff' }), this.selA, el('span', { text: 'against' }), this.selB),
          el('div', { class: 'diff-nav' }, this.prev, this.position, this.next),
          el('label', { class: 'check' }, this.link, el('span', { text: 'Link scrolling' })),
          el('label', { class: 'check' }, this.colour, el('span', { text: 'Colours' }))),
        this.outputs),
      this.debatePanel);
  }

  /** Open the comparison of `instanceIds` (two or more) of session `sessionId`. */
  async open(sessionId, instanceIds, pair = null) {
    const seq = ++this.seq;
    const started = performance.now();
    const view = $('view-compare');
    view.dataset.loaded = 'false';
    view.dataset.gone = 'false';
    view.dataset.sessionId = sessionId;
    let session;
    try {
      session = await call('get_session_sqlite', { workspacePath: this.getWorkspace(), sessionId }, 'opening the comparison');
    } catch {
      return false;
    }
    if (seq !== this.seq) return false;
    const fetched = performance.now();
    this.session = session;
    const known = new Set((session.instances || []).map((i) => i.instanceId));
    this.chosen = (instanceIds || []).filter((id) => known.has(id));
    if (this.chosen.length < 2) this.chosen = [...known].slice(0, Math.max(2, this.chosen.length));
    this.parsed.clear();
    this.renderHeader();
    if (this.chosen.length < 2) { // nothing to compare: say so, keep the way back
      for (const column of this.columns) column.v.destroy();
      this.columns = [];
      setChildren(this.pick, el('p', { class: 'muted', text: 'This session has fewer than two instances: there is nothing to compare.' }));
      for (const node of [this.facts, this.outputs]) setChildren(node);
      this.debatePanel.hidden = true;
      view.dataset.loaded = 'true';
      view.dataset.instances = this.chosen.join(',');
      return true;
    }
    this.pair = pair && pair.every((id) => this.chosen.includes(id)) ? [...pair] : this.chosen.slice(0, 2);
    this.renderPick();
    this.renderFacts();
    this.renderPairSelects();
    this.renderOutputs();
    this.renderDebate();
    const shown = performance.now();
    // Public User Timing entries, for the compare benchmark.
    performance.measure('ait42-compare-fetch', { start: started, end: fetched });
    performance.measure('ait42-compare-render', { start: fetched, end: shown });
    view.dataset.loaded = 'true';
    view.dataset.instances = this.chosen.join(',');
    view.dataset.totalMs = (shown - started).toFixed(1);
    return true;
  }

  /**
   * The session changed elsewhere (the live change log): show what is stored now,
   * keeping the chosen instances, the diff pair and the scroll position. Streamed
   * output the change carries is appended without fetching the session.
   */
  async refreshFromElsewhere(change) {
    const s = this.session;
    if (!s) return;
    const view = $('view-compare');
    if (change.kind !== 'deleted') {
      const seq = this.seq;
      let fresh = withAppends(s, change);
      if (fresh) {
        view.dataset.appendedInPlace = String(Number(view.dataset.appendedInPlace || '0') + 1);
      } else {
        try {
          fresh = await invoke('get_session_sqlite', { workspacePath: this.getWorkspace(), sessionId: s.id });
        } catch (error) {
          if (error.code !== 'NOT_FOUND') return;
        }
      }
      if (seq !== this.seq || this.session !== s) return;
      if (fresh) {
        const known = new Set((fresh.instances || []).map((i) => i.instanceId));
        const outputOf = (session, id) => (session.instances || []).find((i) => i.instanceId === id)?.output;
        const outputsChanged = this.chosen.some((id) => outputOf(s, id) !== outputOf(fresh, id));
        this.session = fresh;
        if (this.chosen.filter((id) => known.has(id)).length < 2) {
          await this.open(fresh.id, this.chosen, this.pair);
          return;
        }
        this.chosen = this.chosen.filter((id) => known.has(id));
        this.renderHeader();
        this.renderPick();
        this.renderFacts();
        if (outputsChanged) {
          const top = this.columns.length ? this.columns[0].scroller.scrollTop : 0;
          this.parsed.clear();
          this.renderOutputs();
          for (const column of this.columns) {
            column.scroller.scrollTop = top;
            column.v.draw(true);
          }
        } else {
          this.renderOutputHeads();
        }
        this.renderDebate();
        view.dataset.refreshed = String(Number(view.dataset.refreshed || '0') + 1);
        return;
      }
    }
    view.dataset.gone = 'true';
    toast('This session was deleted elsewhere', 'warn');
  }

  instance(id) {
    return (this.session.instances || []).find((i) => i.instanceId === id);
  }

  renderHeader() {
    const s = this.session;
    setChildren(this.badges,
      el('span', { class: ['badge', `type-${s.type}`], text: s.type }),
      statusPill(s.status));
    this.task.textContent = s.task;
    const parts = [s.id];
    if (present(s.integrationPhase)) parts.push(`integration phase: ${describe(s.integrationPhase)}`);
    const ev = s.evaluation;
    if (ev && typeof ev === 'object') {
      for (const key of ['summary', 'notes', 'verdict']) if (typeof ev[key] === 'string' && ev[key]) parts.push(`evaluation: ${ev[key]}`);
    }
    this.sub.textContent = parts.join(' · ');
  }

  renderPick() {
    setChildren(this.pick, el('span', { class: 'muted small', text: 'Compare' }),
      (this.session.instances || []).map((inst) => {
        const box = el('input', {
          type: 'checkbox', checked: this.chosen.includes(inst.instanceId),
          dataset: { instanceId: inst.instanceId },
          on: { change: () => this.toggle(inst.instanceId, box) },
        });
        return el('label', { class: 'check chip-check' }, box, el('span', { text: `#${inst.instanceId} ${inst.agentName}` }));
      }));
  }

  toggle(id, box) {
    const next = box.checked ? [...this.chosen, id] : this.chosen.filter((c) => c !== id);
    if (next.length < 2) {
      box.checked = true;
      toast('Compare at least two instances', 'warn');
      return;
    }
    const order = (this.session.instances || []).map((i) => i.instanceId);
    this.chosen = order.filter((i) => next.includes(i));
    if (!this.pair.every((p) => this.chosen.includes(p))) this.pair = this.chosen.slice(0, 2);
    $('view-compare').dataset.instances = this.chosen.join(',');
    this.renderFacts();
    this.renderPairSelects();
    this.renderOutputs();
    this.renderDebate();
  }

  renderFacts() {
    const s = this.session;
    const insts = this.chosen.map((id) => this.instance(id));
    const rows = [
      ['Status', (i) => statusPill(i.status)],
      ['Agent', (i) => i.agentName],
      ['Runtime', (i) => i.runtimeLabel || i.runtime],
      ['Model', (i) => i.model || (s.model ? `${s.model} (session)` : null)],
      ['Duration', (i) => duration(i)],
      ['Files changed', (i) => (present(i.filesChanged) ? formatNumber(i.filesChanged) : null)],
      ['Lines', (i) => (present(i.linesAdded) || present(i.linesDeleted)
        ? el('span', { class: 'lines' }, el('span', { class: 'add', text: `+${formatNumber(i.linesAdded || 0)}` }),
          el('span', { class: 'del', text: `−${formatNumber(i.linesDeleted || 0)}` })) : null)],
      ['Tests', (i) => tests(i.testsPassed)],
      ['Score', (i) => evaluationFor(s.evaluation, i).score],
      ['Evaluation notes', (i) => evaluationFor(s.evaluation, i).notes],
      ['Integration', (i) => (present(s.integrationInstanceId) && s.integrationInstanceId === i.instanceId ? 'integration instance' : null)],
      ['Branch', (i) => i.branch],
    ];
    const head = el('tr', {}, el('th', { scope: 'col', text: '' }), insts.map((i) => el('th', {
      scope: 'col', class: this.isWinner(i) ? 'winner-col' : null, dataset: { instanceId: i.instanceId },
    }, `#${i.instanceId} `, el('span', { class: 'muted', text: i.agentName }))));
    const body = [];
    for (const [label, get] of rows) {
      const values = insts.map((i) => get(i));
      if (values.every((v) => !present(v))) continue; // absent values are simply absent
      body.push(el('tr', { dataset: { fact: label } }, el('th', { scope: 'row', text: label }),
        values.map((v, k) => el('td', { class: this.isWinner(insts[k]) ? 'winner-col' : null },
          present(v) ? (v instanceof Node ? v : describe(v)) : ''))));
    }
    body.push(el('tr', { dataset: { fact: 'Winner' } }, el('th', { scope: 'row', text: 'Winner' }),
      insts.map((i) => el('td', { class: this.isWinner(i) ? 'winner-col' : null },
        this.isWinner(i)
          ? el('span', { class: 'winner-badge', text: 'winner' })
          : el('button', {
            type: 'button', class: 'btn mark-winner', dataset: { instanceId: i.instanceId },
            text: 'Mark as winner',
            on: { click: (event) => this.markWinner(i.instanceId, event.currentTarget) },
          })))));
    setChildren(this.facts, el('thead', {}, head), el('tbody', {}, body));
    $('view-compare').dataset.winnerId = present(s.winnerId) ? String(s.winnerId) : '';
  }

  isWinner(inst) {
    return present(this.session.winnerId) && this.session.winnerId === inst.instanceId;
  }

  async markWinner(instanceId, button) {
    const workspacePath = this.getWorkspace();
    const sessionId = this.session.id;
    await withButton(button, async () => {
      try {
        await this.setWinner(workspacePath, sessionId, instanceId, 'marking the winner');
        const before = this.previousWinner;
        const was = before === null ? 'no winner' : `#${before} was`;
        // An earlier winner is replaced without a question, but never beyond recall.
        undoToast(`Instance #${instanceId} is the winner (${was} before)`, async () => {
          await this.setWinner(workspacePath, sessionId, before, 'undoing the winner change').catch(() => {});
          toast(before === null ? 'Winner cleared again' : `Instance #${before} is the winner again`);
        });
      } catch {
        /* shown in the banner */
      }
    });
  }

  /** Store ``instanceId`` (null: none) as the session's winner; shows what was stored. */
  async setWinner(workspacePath, sessionId, instanceId, what) {
    const fresh = await call('get_session_sqlite', { workspacePath, sessionId }, 'reading the session');
    this.previousWinner = present(fresh.winnerId) ? fresh.winnerId : null;
    if (instanceId === null) delete fresh.winnerId;
    else fresh.winnerId = instanceId;
    fresh.updatedAt = new Date().toISOString();
    const stored = await call('update_session_sqlite', { workspacePath, session: fresh }, what);
    if (this.session && this.session.id === sessionId) {
      this.session = stored;
      this.renderFacts();
      this.renderOutputHeads();
    }
    this.onChanged(stored);
    return stored;
  }

  renderPairSelects() {
    const options = (sel, value) => {
      setChildren(sel, this.chosen.map((id) => el('option', { value: String(id), text: `#${id} ${this.instance(id).agentName}` })));
      sel.value = String(value);
    };
    options(this.selA, this.pair[0]);
    options(this.selB, this.pair[1]);
  }

  choosePair() {
    const a = Number(this.selA.value);
    const b = Number(this.selB.value);
    this.pair = [a, b];
    this.renderOutputs();
  }

  lines(id) {
    if (!this.parsed.has(id)) {
      const inst = this.instance(id);
      this.parsed.set(id, parseAnsi(typeof inst.output === 'string' ? inst.output : ''));
    }
    return this.parsed.get(id);
  }

  renderOutputs() {
    for (const column of this.columns) column.v.destroy();
    this.columns = [];
    const [a, b] = this.pair;
    const t0 = performance.now();
    const aLines = this.lines(a);
    const bLines = a === b ? aLines : this.lines(b);
    const t1 = performance.now();
    const { rows, hunks } = a === b ? { rows: aLines.map((_, k) => ({ a: k, b: k, kind: 'same' })), hunks: [] }
      : alignLines(aLines.map((l) => l.text), bLines.map((l) => l.text));
    const t2 = performance.now();
    performance.measure('ait42-compare-parse', { start: t0, end: t1 });
    performance.measure('ait42-compare-diff', { start: t1, end: t2, detail: { lines: [aLines.length, bLines.length] } });
    this.rows = rows;
    this.hunks = hunks;
    this.hunk = -1;
    const coloured = this.colour.checked;
    const blank = { text: null, runs: [], number: null, mark: 'gap' };
    const nodes = [];
    for (const id of this.chosen) {
      const own = this.lines(id);
      let count = own.length;
      let rowAt = (r) => ({ ...own[r], number: r + 1, mark: '' });
      if (id === a || id === b) {
        const side = id === a ? 'a' : 'b';
        const mine = id === a ? aLines : bLines;
        count = rows.length;
        rowAt = (r) => {
          const row = rows[r];
          const k = row[side];
          if (k === null) return blank;
          const mark = row.kind === 'same' ? '' : row.kind === 'change' ? 'change' : side === 'a' ? 'del' : 'add';
          return { ...mine[k], number: k + 1, mark };
        };
      }
      const scroller = el('div', { class: 'vscroll', dataset: { instanceId: id }, attrs: { tabindex: '0', 'aria-label': `Output of instance ${id}` } });
      const head = el('header', { class: 'output-head', dataset: { instanceId: id } });
      nodes.push(el('section', { class: ['output-col', id === a && 'diff-a', id === b && 'diff-b'], dataset: { instanceId: id } }, head, scroller));
      this.columns.push({ id, scroller, head, count, rowAt });
    }
    setChildren(this.outputs, nodes);
    this.outputs.dataset.columns = String(nodes.length);
    for (const column of this.columns) {
      column.v = new VirtualColumn(column.scroller, {
        count: column.count, rowAt: column.rowAt, coloured, onScroll: (source) => this.sync(source),
      });
    }
    this.renderOutputHeads();
    const view = $('view-compare');
    view.dataset.diffA = String(a);
    view.dataset.diffB = String(b);
    view.dataset.hunks = String(hunks.length);
    this.updatePosition();
  }

  renderOutputHeads() {
    for (const column of this.columns) {
      const inst = this.instance(column.id);
      const role = column.id === this.pair[0] ? 'A' : column.id === this.pair[1] ? 'B' : null;
      setChildren(column.head,
        role ? el('span', { class: ['diff-role', `diff-role-${role.toLowerCase()}`], text: role }) : null,
        el('strong', { text: `#${inst.instanceId}` }), ' ', el('span', { text: inst.agentName }),
        this.isWinner(inst) ? el('span', { class: 'winner-badge', text: 'winner' }) : null,
        el('span', { class: 'muted small', text: `${formatNumber(this.lines(column.id).length)} lines` }));
    }
  }

  /** Linked scrolling: the other columns follow the one scrolled. */
  sync(source) {
    if (this.syncing || !this.link.checked) return;
    this.syncing = true;
    for (const column of this.columns) {
      if (column.v !== source && column.scroller.scrollTop !== source.host.scrollTop) {
        column.scroller.scrollTop = source.host.scrollTop;
        column.scroller.scrollLeft = source.host.scrollLeft;
      }
    }
    // The scroll events this caused arrive later; ignore them.
    requestAnimationFrame(() => { this.syncing = false; });
  }

  /** Go to the next (+1) or previous (-1) difference between A and B. */
  step(direction) {
    if (!this.hunks.length) return;
    this.hunk = this.hunk < 0 ? (direction > 0 ? 0 : this.hunks.length - 1)
      : (this.hunk + direction + this.hunks.length) % this.hunks.length;
    const start = this.hunks[this.hunk];
    const rows = [];
    for (let r = start; r < this.rows.length && this.rows[r].kind !== 'same'; r += 1) rows.push(r);
    this.syncing = true;
    for (const column of this.columns) {
      if (column.id === this.pair[0] || column.id === this.pair[1]) {
        column.v.scrollToRow(start);
        column.v.setCurrent(rows);
      }
    }
    requestAnimationFrame(() => { this.syncing = false; });
    this.updatePosition();
  }

  updatePosition() {
    const n = this.hunks.length;
    this.position.textContent = n === 0 ? 'no differences'
      : this.hunk < 0 ? `${n} difference${n === 1 ? '' : 's'}` : `${this.hunk + 1} of ${n}`;
    this.prev.disabled = n === 0;
    this.next.disabled = n === 0;
    $('view-compare').dataset.hunk = String(this.hunk);
  }

  renderDebate() {
    const s = this.session;
    const show = s.type === 'debate' && (s.chatHistory || []).length > 0;
    this.debatePanel.hidden = !show;
    if (!show) return;
    const { rounds, speakers } = debateRounds(s.chatHistory, this.chosen);
    const head = el('tr', {}, el('th', { scope: 'col', text: 'Round' }),
      speakers.map((id) => el('th', { scope: 'col', text: id === null ? 'Moderator' : `#${id} ${this.instance(id) ? this.instance(id).agentName : ''}` })));
    const body = rounds.map((round) => el('tr', { dataset: { round: round.number } },
      el('th', { scope: 'row', text: String(round.number) }),
      speakers.map((id) => el('td', {}, (round.by.get(id) || []).map((m) => el('div', {
        class: ['debate-message', `role-${m.role}`], dataset: { messageId: m.id },
      }, el('div', { class: 'message-content', text: m.content })))))));
    setChildren(this.debate, el('table', { class: 'data-table debate-table', id: 'compare-debate' },
      el('thead', {}, head), el('tbody', {}, body)));
  }
}

function duration(inst) {
  const a = Date.parse(inst.startTime);
  const b = Date.parse(inst.endTime);
  return Number.isNaN(a) || Number.isNaN(b) ? null : formatDuration((b - a) / 1000);
}

function tests(value) {
  if (value === true) return 'passed';
  if (value === false) return 'failed';
  if (typeof value === 'number') return `${formatNumber(value)} passed`;
  return value;
}

/** A value shown as text: flat objects as "key: value" pairs, never as markup. */
export function describe(value) {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return value.map(describe).join(', ');
  return Object.entries(value).filter(([, v]) => present(v)).map(([k, v]) => `${k}: ${describe(v)}`).join('; ');
}

function entryFor(container, inst) {
  if (container === null || container === undefined || typeof container !== 'object') return undefined;
  if (Array.isArray(container)) {
    const byId = container.find((e) => e && typeof e === 'object' && e.instanceId === inst.instanceId);
    return byId !== undefined ? byId : container[inst.instanceId];
  }
  return container[String(inst.instanceId)];
}

/**
 * The session's evaluation of one instance: {score, notes}, found in the shapes the
 * shell may write: {scores: [..] | {id: ..}, notes: {id: ..}}, {instances|results:
 * [{instanceId, score, notes}]}, or {"<instanceId>": {score, notes}}.
 */
export function evaluationFor(evaluation, inst) {
  const found = { score: null, notes: null };
  if (!evaluation || typeof evaluation !== 'object' || Array.isArray(evaluation)) return found;
  const take = (entry) => {
    if (entry === undefined || entry === null) return;
    if (typeof entry !== 'object') {
      if (found.score === null) found.score = entry;
      return;
    }
    for (const k of ['score', 'total', 'value', 'rating']) if (present(entry[k]) && found.score === null) found.score = entry[k];
    for (const k of ['notes', 'note', 'comment', 'reason', 'feedback']) if (present(entry[k]) && found.notes === null) found.notes = entry[k];
  };
  take(entryFor(evaluation.scores, inst));
  for (const key of ['instances', 'results', 'perInstance', 'evaluations']) take(entryFor(evaluation[key], inst));
  take(entryFor(evaluation, inst));
  if (found.notes === null && evaluation.notes && typeof evaluation.notes === 'object') {
    const note = entryFor(evaluation.notes, inst);
    if (present(note)) found.notes = note;
  }
  return found;
}
