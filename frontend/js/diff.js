// A line diff of two outputs, aligned into rows for two columns side by side.
//
// Myers' O(ND) algorithm in its linear-space form (the middle snake, bisected as
// in diff-match-patch), on lines interned to integers, after trimming the common
// head and tail. Two 100 KB outputs (about 2,000 lines each) that share nothing
// cost it about (N + M) * D / 2 steps: tens of milliseconds.

/** Map each distinct line to an integer, the same for both sides. */
function intern(aLines, bLines) {
  const ids = new Map();
  const id = (s) => {
    let v = ids.get(s);
    if (v === undefined) {
      v = ids.size;
      ids.set(s, v);
    }
    return v;
  };
  return [Int32Array.from(aLines, id), Int32Array.from(bLines, id)];
}

/** Matched pairs [i, j] (a[i] === b[j]) of a longest common subsequence, in order. */
function matches(a, b) {
  const out = [];
  const solve = (a0, a1, b0, b1) => {
    while (a0 < a1 && b0 < b1 && a[a0] === b[b0]) {
      out.push(a0, b0);
      a0 += 1;
      b0 += 1;
    }
    let tail = 0;
    while (a0 < a1 && b0 < b1 && a[a1 - 1] === b[b1 - 1]) {
      a1 -= 1;
      b1 -= 1;
      tail += 1;
    }
    if (a0 < a1 && b0 < b1) {
      const split = bisect(a, b, a0, a1, b0, b1);
      if (split) {
        solve(a0, split[0], b0, split[1]);
        solve(split[0], a1, split[1], b1);
      }
    }
    for (let t = 0; t < tail; t += 1) out.push(a1 + t, b1 + t);
  };
  solve(0, a.length, 0, b.length);
  return out;
}

/** The middle snake's point, splitting the problem in two; null when nothing is common. */
function bisect(a, b, a0, a1, b0, b1) {
  const n = a1 - a0;
  const m = b1 - b0;
  const maxD = Math.ceil((n + m) / 2);
  const offset = maxD;
  const size = 2 * maxD + 2;
  const v1 = new Int32Array(size).fill(-1);
  const v2 = new Int32Array(size).fill(-1);
  v1[offset + 1] = 0;
  v2[offset + 1] = 0;
  const delta = n - m;
  const front = (delta & 1) !== 0;
  let k1start = 0;
  let k1end = 0;
  let k2start = 0;
  let k2end = 0;
  for (let d = 0; d < maxD; d += 1) {
    for (let k1 = -d + k1start; k1 <= d - k1end; k1 += 2) {
      const k1o = offset + k1;
      let x1 = k1 === -d || (k1 !== d && v1[k1o - 1] < v1[k1o + 1]) ? v1[k1o + 1] : v1[k1o - 1] + 1;
      let y1 = x1 - k1;
      while (x1 < n && y1 < m && a[a0 + x1] === b[b0 + y1]) {
        x1 += 1;
        y1 += 1;
      }
      v1[k1o] = x1;
      if (x1 > n) k1end += 2;
      else if (y1 > m) k1start += 2;
      else if (front) {
        const k2o = offset + delta - k1;
        if (k2o >= 0 && k2o < size && v2[k2o] !== -1 && x1 >= n - v2[k2o]) return [a0 + x1, b0 + y1];
      }
    }
    for (let k2 = -d + k2start; k2 <= d - k2end; k2 += 2) {
      const k2o = offset + k2;
      let x2 = k2 === -d || (k2 !== d && v2[k2o - 1] < v2[k2o + 1]) ? v2[k2o + 1] : v2[k2o - 1] + 1;
      let y2 = x2 - k2;
      while (x2 < n && y2 < m && a[a1 - 1 - x2] === b[b1 - 1 - y2]) {
        x2 += 1;
        y2 += 1;
      }
      v2[k2o] = x2;
      if (x2 > n) k2end += 2;
      else if (y2 > m) k2start += 2;
      else if (!front) {
        const k1o = offset + delta - k2;
        if (k1o >= 0 && k1o < size && v1[k1o] !== -1) {
          const x1 = v1[k1o];
          const y1 = offset + x1 - k1o;
          if (x1 >= n - x2) return [a0 + x1, b0 + y1];
        }
      }
    }
  }
  return null;
}

/**
 * Rows for two columns: {a, b, kind} with a / b line indexes (null: a gap on that
 * side) and kind 'same', 'change' (both sides differ), 'del' (only in a) or 'add'.
 * Between two common lines, removed and added lines are paired up as changes.
 * @returns {{rows: {a: number|null, b: number|null, kind: string}[], hunks: number[]}}
 *   hunks: the first row of each run of differing rows
 */
export function alignLines(aLines, bLines) {
  const [a, b] = intern(aLines, bLines);
  const pairs = matches(a, b);
  const rows = [];
  let i = 0;
  let j = 0;
  const gap = (iEnd, jEnd) => {
    const dels = iEnd - i;
    const adds = jEnd - j;
    const both = Math.min(dels, adds);
    for (let k = 0; k < both; k += 1) rows.push({ a: i + k, b: j + k, kind: 'change' });
    for (let k = both; k < dels; k += 1) rows.push({ a: i + k, b: null, kind: 'del' });
    for (let k = both; k < adds; k += 1) rows.push({ a: null, b: j + k, kind: 'add' });
    i = iEnd;
    j = jEnd;
  };
  for (let p = 0; p < pairs.length; p += 2) {
    gap(pairs[p], pairs[p + 1]);
    rows.push({ a: i, b: j, kind: 'same' });
    i += 1;
    j += 1;
  }
  gap(a.length, b.length);
  const hunks = [];
  for (let r = 0; r < rows.length; r += 1) {
    if (rows[r].kind !== 'same' && (r === 0 || rows[r - 1].kind === 'same')) hunks.push(r);
  }
  return { rows, hunks };
}
