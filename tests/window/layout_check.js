// The layout check of test_realistic.py (run as an async function body in the page).
const view = document.getElementById('view-' + document.documentElement.dataset.view);
const sel = '.panel, .column, .stat-card, .meta-grid, .toolbar, .detail-header, .board-footer,'
  + ' .db-header, .search-bar, .hit, .chart-box, .compare-outputs, .welcome-legacy, .detail-body';
const shown = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
const boxes = [...view.querySelectorAll(sel), ...document.querySelectorAll('.topbar > *, .topbar .tab')]
  .filter(shown);
const name = (e) => e.id ? '#' + e.id : e.tagName.toLowerCase() + '.' + [...e.classList].join('.');
const problems = [];
for (let i = 0; i < boxes.length; i += 1) {
  for (let j = i + 1; j < boxes.length; j += 1) {
    const a = boxes[i]; const b = boxes[j];
    if (a.contains(b) || b.contains(a)) continue;
    const ra = a.getBoundingClientRect(); const rb = b.getBoundingClientRect();
    const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
    const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
    if (w > 1 && h > 1) problems.push(`${name(a)} overlaps ${name(b)} (${Math.round(w)}x${Math.round(h)})`);
  }
}
// a panel's content stays inside it (it clips or scrolls; nothing paints over the next one)
for (const panel of view.querySelectorAll('.panel')) {
  const style = getComputedStyle(panel);
  if (style.overflow === 'visible' && panel.scrollHeight > panel.clientHeight + 2) {
    problems.push(`${name(panel)} content spills out (${panel.scrollHeight} > ${panel.clientHeight})`);
  }
}
const doc = document.documentElement;
if (doc.scrollWidth > doc.clientWidth + 1) problems.push(`the page scrolls sideways (${doc.scrollWidth} > ${doc.clientWidth})`);
const main = document.getElementById('main');
if (main.scrollWidth > main.clientWidth + 1) problems.push(`<main> scrolls sideways (${main.scrollWidth} > ${main.clientWidth})`);
for (const e of document.querySelectorAll('.topbar > *, .topbar .tab')) {
  const r = e.getBoundingClientRect();
  if (shown(e) && (r.right > window.innerWidth + 1 || r.left < -1)) problems.push(`${name(e)} is cut off by the window's edge`);
}
return problems;
