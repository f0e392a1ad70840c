// Terminal output as lines of plain text with colour runs.
//
// Agents' output is a terminal's: SGR colour codes (ESC [ ... m), cursor and
// erase sequences, OSC titles and links, carriage-return progress lines. This
// module turns it into lines whose `text` is what a person read on the terminal
// (what the diff compares) and whose `runs` say which ranges were coloured, so
// the page renders them as spans with textContent. Nothing here is HTML.

// CSI (ESC [ params intermediates final), OSC (ESC ] ... BEL or ESC \), other ESC pairs.
const ESCAPES = /\x1b\[([0-?]*)([ -/]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?|\x9b[0-?]*[ -/]*[@-~]/g;
// Control characters a terminal does not print (tab, newline and CR are handled).
const CONTROLS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

const BASE = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];

function cube(n) {
  if (n < 16) return null;
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v}, ${v}, ${v})`;
  }
  const k = n - 16;
  const level = (x) => (x === 0 ? 0 : 55 + x * 40);
  return `rgb(${level(Math.floor(k / 36))}, ${level(Math.floor(k / 6) % 6)}, ${level(k % 6)})`;
}

/** Apply one SGR parameter list to `state` ({fg, bg, bold, dim, italic, underline}). */
function applySgr(state, params) {
  const codes = params === '' ? [0] : params.split(/[;:]/).map((p) => (p === '' ? 0 : Number(p)));
  for (let i = 0; i < codes.length; i += 1) {
    const c = codes[i];
    if (c === 0) Object.assign(state, { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false });
    else if (c === 1) state.bold = true;
    else if (c === 2) state.dim = true;
    else if (c === 3) state.italic = true;
    else if (c === 4) state.underline = true;
    else if (c === 22) { state.bold = false; state.dim = false; }
    else if (c === 23) state.italic = false;
    else if (c === 24) state.underline = false;
    else if (c >= 30 && c <= 37) state.fg = { name: BASE[c - 30] };
    else if (c >= 90 && c <= 97) state.fg = { name: `bright-${BASE[c - 90]}` };
    else if (c >= 40 && c <= 47) state.bg = { name: BASE[c - 40] };
    else if (c >= 100 && c <= 107) state.bg = { name: `bright-${BASE[c - 100]}` };
    else if (c === 39) state.fg = null;
    else if (c === 49) state.bg = null;
    else if (c === 38 || c === 48) {
      let colour = null;
      if (codes[i + 1] === 5) {
        const n = codes[i + 2];
        colour = n < 8 ? { name: BASE[n] } : n < 16 ? { name: `bright-${BASE[n - 8]}` } : { css: cube(n) };
        i += 2;
      } else if (codes[i + 1] === 2) {
        const [r, g, b] = codes.slice(i + 2, i + 5).map((v) => Math.max(0, Math.min(255, v || 0)));
        colour = { css: `rgb(${r}, ${g}, ${b})` };
        i += 4;
      }
      if (c === 38) state.fg = colour;
      else state.bg = colour;
    }
  }
}

function styled(state) {
  return state.fg || state.bg || state.bold || state.dim || state.italic || state.underline;
}

/** What a carriage return leaves of a line: the last overwrite (a progress bar's end). */
function lastWrite(line) {
  const cr = line.lastIndexOf('\r');
  return cr < 0 ? line : line.slice(cr + 1);
}

/**
 * Parse terminal output.
 * @param {string} output
 * @returns {{text: string, runs: {start: number, end: number, fg, bg, bold, dim, italic, underline}[]}[]}
 */
export function parseAnsi(output) {
  const source = String(output ?? '').replace(/\r\n/g, '\n');
  const state = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false };
  const lines = [];
  for (const rawLine of source.split('\n')) {
    const raw = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    // A line with no escape is the common case: no run bookkeeping for it.
    if (!raw.includes('\x1b') && !raw.includes('\x9b')) {
      const text = lastWrite(raw).replace(CONTROLS, '');
      lines.push({ text, runs: styled(state) && text ? [{ start: 0, end: text.length, ...copy(state) }] : [] });
      continue;
    }
    // Keep only the part after the last carriage return, with the colour state it starts in.
    let text = '';
    const runs = [];
    let last = 0;
    const emit = (chunk) => {
      const clean = chunk.replace(CONTROLS, '');
      const cr = clean.lastIndexOf('\r');
      if (cr >= 0) {
        text = '';
        runs.length = 0;
      }
      const piece = cr >= 0 ? clean.slice(cr + 1) : clean;
      if (!piece) return;
      if (styled(state)) runs.push({ start: text.length, end: text.length + piece.length, ...copy(state) });
      text += piece;
    };
    ESCAPES.lastIndex = 0;
    for (let m = ESCAPES.exec(raw); m; m = ESCAPES.exec(raw)) {
      emit(raw.slice(last, m.index));
      if (m[3] === 'm' && m[0].startsWith('\x1b[')) applySgr(state, m[1]);
      last = m.index + m[0].length;
    }
    emit(raw.slice(last));
    lines.push({ text, runs });
  }
  if (lines.length > 1 && lines[lines.length - 1].text === '' && source.endsWith('\n')) lines.pop();
  return lines;
}

function copy(state) {
  return { fg: state.fg, bg: state.bg, bold: state.bold, dim: state.dim, italic: state.italic, underline: state.underline };
}

/** The output with every escape code removed (what the diff and a copy read). */
export function stripAnsi(output) {
  return parseAnsi(output).map((l) => l.text).join('\n');
}

// A 256-colour or true-colour code names one colour for every background: navy on the
// dark theme or pale yellow on the light one cannot be read. Each such colour gets a
// version for each theme, moved toward white (dark) or black (light) only as far as
// needed for a contrast of 3:1 against the output's background; CSS picks by theme.
const LIGHT_BG = [255, 255, 255];
const DARK_BG = [17, 19, 24];
const readable = new Map(); // css -> [light, dark]

function luminance([r, g, b]) {
  const lin = (v) => { const c = v / 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

function towards(rgb, target, bg) {
  for (let k = 0; k <= 10; k += 1) {
    const t = k / 10;
    const mixed = rgb.map((v, i) => Math.round(v + (target[i] - v) * t));
    if (contrast(mixed, bg) >= 3) return `rgb(${mixed.join(', ')})`;
  }
  return `rgb(${target.join(', ')})`;
}

/** [colour on the light theme, colour on the dark theme] for an "rgb(r, g, b)". */
export function readableColours(css) {
  let pair = readable.get(css);
  if (!pair) {
    const rgb = (css.match(/\d+/g) || []).slice(0, 3).map(Number);
    pair = rgb.length === 3 ? [towards(rgb, [0, 0, 0], LIGHT_BG), towards(rgb, [255, 255, 255], DARK_BG)] : [css, css];
    if (readable.size > 4096) readable.clear();
    readable.set(css, pair);
  }
  return pair;
}

/** Fill `node` with one line's text: coloured runs as spans, all through textContent. */
export function renderLine(node, line, coloured = true, textOf = null) {
  // textOf(text) -> Node: how plain text becomes nodes (linkify); a text node by default
  const plain = textOf || ((t) => document.createTextNode(t));
  if (!coloured || !line.runs.length) {
    if (textOf) node.append(plain(line.text));
    else node.textContent = line.text;
    return;
  }
  let at = 0;
  for (const run of line.runs) {
    if (run.start > at) node.append(plain(line.text.slice(at, run.start)));
    const span = document.createElement('span');
    const classes = [];
    if (run.fg && run.fg.name) classes.push(`ansi-fg-${run.fg.name}`);
    if (run.bg && run.bg.name) classes.push(`ansi-bg-${run.bg.name}`);
    if (run.bold) classes.push('ansi-bold');
    if (run.dim) classes.push('ansi-dim');
    if (run.italic) classes.push('ansi-italic');
    if (run.underline) classes.push('ansi-underline');
    if (run.fg && run.fg.css) {
      const [light, dark] = readableColours(run.fg.css);
      classes.push('ansi-fg-rgb');
      span.style.setProperty('--ansi-fg-light', light);
      span.style.setProperty('--ansi-fg-dark', dark);
    }
    if (run.bg && run.bg.css) {
      span.style.backgroundColor = run.bg.css;
      // text on a background of its own: dark on a light one, light on a dark one
      if (!(run.fg && run.fg.css)) {
        const rgb = (run.bg.css.match(/\d+/g) || []).slice(0, 3).map(Number);
        span.style.color = luminance(rgb) > 0.3 ? '#1f2328' : '#f0f0f0';
      }
    }
    span.className = classes.join(' ');
    span.append(plain(line.text.slice(run.start, run.end)));
    node.append(span);
    at = run.end;
  }
  if (at < line.text.length) node.append(plain(line.text.slice(at)));
}
