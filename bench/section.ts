/** One part of `npm run bench`: it measures and prints figures (not asserts) through `out`. */
export interface BenchSection {
  name: string;
  /** One line saying what is measured. */
  title: string;
  /** Why the section cannot run here (e.g. not root), or null. */
  skipReason?: () => string | null;
  run(out: BenchOut): Promise<void>;
}

export interface BenchOut {
  /** How many repetitions a figure takes its median over (BENCH_RUNS, default 5). */
  runs: number;
  line(text?: string): void;
  /** A table with aligned columns; the first row is the header. */
  table(rows: Array<Array<string | number>>): void;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Runs `fn` n times one after another; returns each run's wall time in ms. */
export async function timed(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** Samples this process's RSS while `fn` runs; returns the peak in MiB with the result. */
export async function peakRss<T>(fn: () => Promise<T>): Promise<{ result: T; peakMiB: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, peakMiB: peak / 1024 / 1024 };
  } finally {
    clearInterval(timer);
  }
}

export const ms = (v: number) => `${v.toFixed(0)} ms`;
export const ratio = (v: number) => `${v.toFixed(2)}×`;
