"""What a person does in the window, as page scripts for ``page.run`` (tests and tools).

The page offers no hooks: these act through its controls (the workspace form, the
tabs, the board's cards, the detail's compare ticks, the search field) and wait on
what the page publishes on ``<html>`` (``data-view``, ``data-busy``,
``data-workspace``) and on its views (``data-loaded``, ``data-state``).
Each function returns a script body, a block of its own (scripts can be joined);
``page.run(ui.show_view('trash'))``.
"""

from __future__ import annotations

import json

#: Helpers every script starts with: wait for a condition, for the page to be idle.
PRELUDE = r"""
const html = document.documentElement;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const until = async (test, what, ms = 60000) => {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(10);
  }
};
const settle = async () => {
  for (let quiet = 0; quiet < 3;) {
    await sleep(10);
    quiet = (html.dataset.busy || '0') === '0' ? quiet + 1 : 0;
  }
};
const tab = async (view) => {
  const button = document.querySelector(`.tab[data-view="${view}"]`);
  if (!button) throw new Error('no tab for ' + view);
  button.click();
  await until(() => html.dataset.view === view, 'the ' + view + ' view');
  await settle();
};
const openCard = async (id, filter) => {
  if (html.dataset.view !== 'board') await tab('board');
  const selector = `#board .card[data-session-id="${CSS.escape(id)}"]`;
  if (!document.querySelector(selector) && filter !== null) {
    const field = document.getElementById('filter-text');
    field.value = filter;
    field.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await settle();
  }
  const card = document.querySelector(selector);
  if (!card) throw new Error('no card on the board for session ' + id);
  const detail = document.getElementById('view-detail');
  card.click();
  await until(() => html.dataset.view === 'detail' && detail.dataset.sessionId === id
    && detail.dataset.loaded === 'true', 'session ' + id);
  await settle();
};
"""


def _block(body: str) -> str:
    return "{\n" + PRELUDE + body + "}\n"


def _js(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def choose_workspace(path: str) -> str:
    """Type ``path`` into the workspace menu's field and submit it; wait for its board."""
    return _block(f"""
const path = {_js(path)};
if (html.dataset.workspace !== path) {{
  if (document.getElementById('workspace-menu').hidden) {{
    document.getElementById('workspace-button').click();
  }}
  const input = document.getElementById('workspace-input');
  input.value = path;
  input.dispatchEvent(new Event('input', {{ bubbles: true }}));
  document.getElementById('workspace-form').requestSubmit();
  await until(() => html.dataset.workspace === path, 'workspace ' + path);
}}
await settle();
""")


def show_view(view: str) -> str:
    """Click the view's tab; wait until it has loaded."""
    return _block(f"await tab({_js(view)});\n")


def open_session(session_id: str, filter_text: str | None = None) -> str:
    """Click the session's card on the board (filtered by ``filter_text``, a piece of
    its task, when the card is not among those loaded); wait for the detail."""
    return _block(f"await openCard({_js(session_id)}, {_js(filter_text)});\n")


def open_compare(session_id: str, instance_ids: list[int],
                 filter_text: str | None = None) -> str:
    """Open the session, tick ``instance_ids`` in that order, press Compare; wait for it."""
    return _block(f"""
const id = {_js(session_id)};
const ids = {_js(instance_ids)};
const detail = document.getElementById('view-detail');
if (!(html.dataset.view === 'detail' && detail.dataset.sessionId === id)) {{
  await openCard(id, {_js(filter_text)});
}}
const boxes = [...document.querySelectorAll('#instances .compare-pick')];
const tick = (box, on) => {{
  if (box.checked === on) return;
  box.checked = on;
  box.dispatchEvent(new Event('change', {{ bubbles: true }}));
}};
for (const box of boxes) tick(box, false);
for (const n of ids) {{
  const box = boxes.find((b) => Number(b.dataset.instanceId) === n);
  if (box) tick(box, true);
}}
const button = document.getElementById('compare-open');
if (button.disabled) throw new Error('Compare is off: fewer than two instances ticked');
const view = document.getElementById('view-compare');
view.dataset.loaded = 'false';
button.click();
await until(() => html.dataset.view === 'compare' && view.dataset.loaded === 'true',
  'the comparison');
await settle();
""")


def search(query: str) -> str:
    """Type ``query`` into the search field; wait for its answer (or, empty, for the
    results to close)."""
    return _block(f"""
const query = {_js(query)};
const input = document.getElementById('search-input');
const view = document.getElementById('view-search');
const before = view.dataset.seq || '0';
input.value = query;
input.dispatchEvent(new Event('input', {{ bubbles: true }}));
if (query.trim()) {{
  await until(() => (view.dataset.seq || '0') !== before
    && ['done', 'failed'].includes(view.dataset.state), 'the search');
}} else {{
  await until(() => view.dataset.state === 'idle', 'the search to close');
}}
await settle();
""")
