// A scrolling column of monospace lines that renders only what is visible.
//
// A 100 KB output is about 2,000 lines; two of them side by side with line
// numbers and diff marks would be 10,000s of nodes. Here each column is a
// scroller with a spacer as tall as all its rows, and a window of absolutely
// placed rows (the visible ones and a margin) redrawn as it scrolls.

import { renderLine } from './ansi.js';

export const ROW_HEIGHT = 19; // px; matches .vrow's line-height in app.css
const MARGIN = 40; // rows drawn above and below the visible ones

export class VirtualColumn {
  /**
   * @param {HTMLElement} host the scroller (overflow: auto)
   * @param {(index: number) => {text: string, runs: [], number: number|null, mark: string}} rowAt
   */
  constructor(host, { count, rowAt, coloured = true, onScroll = null, renderText = null }) {
    this.host = host;
    this.renderText = renderText; // (span, row, index): fills a row's text (default: renderLine)
    this.count = count;
    this.rowAt = rowAt;
    this.coloured = coloured;
    this.onScroll = onScroll;
    this.current = new Set(); // rows drawn as the "current difference"
    this.first = -1;
    this.last = -1;
    this.spacer = document.createElement('div');
    this.spacer.className = 'vspacer';
    this.spacer.style.height = `${count * ROW_HEIGHT}px`;
    this.layer = document.createElement('div');
    this.layer.className = 'vlayer';
    host.replaceChildren(this.spacer, this.layer);
    host.dataset.rows = String(count);
    this.frame = 0;
    this.listener = () => {
      if (!this.frame) {
        this.frame = requestAnimationFrame(() => {
          this.frame = 0;
          this.draw();
        });
      }
      if (this.onScroll) this.onScroll(this);
    };
    host.addEventListener('scroll', this.listener, { passive: true });
    this.draw();
  }

  /**
   * Draw the rows around the visible ones (now, not on the next frame). While the
   * visible rows stay inside what is drawn, scrolling costs no DOM work at all.
   */
  draw(force = false) {
    const top = this.host.scrollTop;
    const height = this.host.clientHeight || 600;
    const visibleFirst = Math.floor(top / ROW_HEIGHT);
    const visibleLast = Math.min(this.count, Math.ceil((top + height) / ROW_HEIGHT));
    if (!force && this.first >= 0 && visibleFirst >= this.first && visibleLast <= this.last) return;
    const first = Math.max(0, visibleFirst - MARGIN);
    const last = Math.min(this.count, visibleLast + MARGIN);
    this.first = first;
    this.last = last;
    const fragment = document.createDocumentFragment();
    for (let r = first; r < last; r += 1) fragment.append(this.renderRow(r));
    this.layer.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
    this.layer.replaceChildren(fragment);
    this.host.dataset.first = String(first);
    this.host.dataset.drawn = String(last - first);
  }

  renderRow(r) {
    const row = this.rowAt(r);
    const node = document.createElement('div');
    node.className = `vrow${row.mark ? ` diff-${row.mark}` : ''}${this.current.has(r) ? ' diff-current' : ''}`;
    node.dataset.row = String(r);
    const gutter = document.createElement('span');
    gutter.className = 'vgutter';
    gutter.textContent = row.number === null ? '' : String(row.number);
    const text = document.createElement('span');
    text.className = 'vtext';
    if (row.text !== null) {
      if (this.renderText) this.renderText(text, row, r);
      else renderLine(text, row, this.coloured);
    }
    node.append(gutter, text);
    return node;
  }

  scrollToRow(r, fraction = 0.3) {
    const height = this.host.clientHeight || 600;
    this.host.scrollTop = Math.max(0, r * ROW_HEIGHT - height * fraction);
    this.draw();
  }

  setCurrent(rows) {
    this.current = new Set(rows);
    this.draw(true);
  }

  destroy() {
    this.host.removeEventListener('scroll', this.listener);
    if (this.frame) cancelAnimationFrame(this.frame);
  }
}
