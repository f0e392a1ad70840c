// How a status reads and which colour it wears. Besides the contract's statuses the
// shell's debate runner writes its own: a session `started`, then `round_<n>` (still
// running), an instance `starting`, `timeout` or `error`.
import { el } from './dom.js';

/** The board column of a session status: the shell's debate statuses run. */
export function columnOf(status) {
  return status === 'started' || /^round_\d+$/.test(status) ? 'running' : status;
}

/** "Round 2" for round_2, "Starting" for started; null for the standard statuses. */
export function roundLabel(status) {
  const m = /^round_(\d+)$/.exec(status);
  if (m) return `Round ${m[1]}`;
  return status === 'started' ? 'Starting' : null;
}

/** The colour family of a session's or an instance's status. */
export function statusTone(status) {
  if (status === 'starting') return 'running';
  if (status === 'timeout' || status === 'error') return 'failed';
  return columnOf(status);
}

/** A status as a pill: "Round 2" in the running colour, the standard words as written. */
export function statusPill(status) {
  const label = roundLabel(status);
  return el('span', {
    class: ['status-pill', `status-${statusTone(status)}`],
    dataset: { status },
    attrs: label ? { title: `${label} (${status})` } : {},
    text: label || status,
  });
}
