/**
 * BM25 over a window of candidate incidents, computed here rather than by FTS5's bm25(): that
 * function first scans every match of every term in the whole table for its statistics, which
 * costs tens of milliseconds when a word ("host", "网络") is in most of 100,000 incidents. The
 * candidates are the newest matches; term frequencies are counted in their text the way the
 * trigram tokenizer matches (case-folded substrings), and each term's document frequency is
 * estimated from its share within the window.
 */
export interface Candidate {
  rowid: number;
  /** Column texts in the order of `weights`. */
  cols: string[];
}

const K1 = 1.2;
const B = 0.75;

function occurrences(hay: string, needle: string): number {
  let n = 0;
  for (let i = hay.indexOf(needle); i !== -1; i = hay.indexOf(needle, i + needle.length)) n++;
  return n;
}

/**
 * @param total  documents in the table
 * @param span   documents (matching or not) in the stretch of rowids the window covers; equal to
 *               total when the window holds every match
 * @returns rowid → score (≥ 0, higher is better)
 */
export function bm25Window(
  docs: Candidate[],
  terms: string[],
  weights: number[],
  total: number,
  span: number,
): Map<number, number> {
  const lower = docs.map((d) => d.cols.map((c) => c.toLowerCase()));
  const lengths = lower.map((cols) => cols.reduce((s, c) => s + c.length, 0));
  const avg = lengths.reduce((s, l) => s + l, 0) / Math.max(1, lengths.length) || 1;
  const scores = new Map<number, number>(docs.map((d) => [d.rowid, 0]));
  for (const term of terms.map((t) => t.toLowerCase())) {
    const tf = lower.map((cols) => cols.reduce((s, c, i) => s + (weights[i] ?? 1) * occurrences(c, term), 0));
    const inWindow = tf.filter((x) => x > 0).length;
    if (inWindow === 0) continue;
    const n = Math.min(total, (inWindow / Math.max(span, docs.length)) * total);
    const idf = Math.max(1e-6, Math.log((total - n + 0.5) / (n + 0.5) + 1));
    docs.forEach((d, i) => {
      const f = tf[i]!;
      if (f === 0) return;
      const norm = f + K1 * (1 - B + (B * lengths[i]!) / avg);
      scores.set(d.rowid, scores.get(d.rowid)! + (idf * f * (K1 + 1)) / norm);
    });
  }
  return scores;
}
