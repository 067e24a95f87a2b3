/**
 * `npm run bench [-- SECTION...]`: runs the benchmark sections (all, or the named ones) one after
 * another and prints their figures. A section is one import and one line in SECTIONS.
 */
import collect from "./collect.js";
import engine from "./engine.js";
import search from "./search.js";
import type { BenchOut, BenchSection } from "./section.js";

const SECTIONS: BenchSection[] = [
  collect,
  engine,
  search,
  // one line per section, in the order they run
];

function out(runs: number): BenchOut {
  return {
    runs,
    line: (text = "") => console.log(text),
    table(rows) {
      const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => String(r[c] ?? "").length)));
      for (const [i, row] of rows.entries()) {
        console.log(
          row
            .map((cell, c) => String(cell).padEnd(widths[c]!))
            .join("  ")
            .trimEnd(),
        );
        if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
      }
    },
  };
}

async function main(argv: string[]): Promise<number> {
  const wanted = argv.filter((a) => !a.startsWith("-"));
  const unknown = wanted.filter((w) => !SECTIONS.some((s) => s.name === w));
  if (unknown.length > 0) {
    console.error(
      `unknown bench section ${unknown.join(", ")}; known: ${SECTIONS.map((s) => s.name).join(", ")}`,
    );
    return 2;
  }
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error("BENCH_RUNS must be a whole number >= 1");
    return 2;
  }
  let failed = 0;
  for (const section of SECTIONS.filter((s) => wanted.length === 0 || wanted.includes(s.name))) {
    console.log(`\n== ${section.name}: ${section.title}`);
    const skip = section.skipReason?.() ?? null;
    if (skip) {
      console.log(`skipped: ${skip}`);
      continue;
    }
    try {
      await section.run(out(runs));
    } catch (e) {
      failed++;
      console.error(`section ${section.name} failed: ${(e as Error).stack ?? e}`);
    }
  }
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
