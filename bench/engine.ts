/**
 * The knowledge engine alone: diagnoses per second on facts built beforehand from captured
 * evidence bundles (no transport, no parsing, no store), with and without a case history.
 * Goal: ≥ 500 diagnoses a second.
 */
import { existsSync, readdirSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import type { SymptomCategory } from "../src/diagnosis/types.js";
import { buildFacts } from "../src/facts/build.js";
import type { HostFacts } from "../src/facts/types.js";
import { type CaseRecord, loadKnowledge } from "../src/knowledge/index.js";
import { loadBundle } from "../src/transport/replay.js";
import { type BenchOut, type BenchSection, median } from "./section.js";

const ROOT = join(import.meta.dirname, "..", import.meta.url.includes("/dist/") ? ".." : "");
const BUNDLE_DIRS = ["test/fixtures/diagnosis", "test/fixtures/replay"].map((d) => join(ROOT, d));

function capturedFacts(): { name: string; facts: HostFacts; targets: string[] }[] {
  const out: { name: string; facts: HostFacts; targets: string[] }[] = [];
  for (const dir of BUNDLE_DIRS) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)
      .filter((n) => n.endsWith(".json"))
      .sort()) {
      try {
        const b = loadBundle(join(dir, f));
        out.push({ name: f.replace(/\.json$/, ""), facts: buildFacts(b), targets: b.targets });
      } catch {
        // Not a bundle (another fixture format): not part of this benchmark.
      }
    }
  }
  return out;
}

const CATEGORIES: SymptomCategory[][] = [["host_guest"], ["guest_outside"], ["large_packets"], []];

function history(n: number): CaseRecord[] {
  const causes = [
    "tap_not_enslaved",
    "mtu_mismatch",
    "ip_forward_disabled",
    "bridge_down",
    "masquerade_missing",
  ];
  return Array.from({ length: n }, (_, i) => ({
    cause: causes[i % causes.length]!,
    verdict: i % 4 === 0 ? "rejected" : "confirmed",
    host: `kvm${i % 7}`,
    sameHost: i % 7 === 0,
    sameGroup: i % 3 === 0,
    categories: CATEGORIES[i % CATEGORIES.length]!,
  }));
}

/** Diagnoses per second of wall time and per second of this process's CPU time. */
async function rate(
  knowledge: ReturnType<typeof loadKnowledge>,
  inputs: ReturnType<typeof capturedFacts>,
  cases: CaseRecord[],
  ms: number,
): Promise<{ wall: number; cpu: number }> {
  let n = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while (performance.now() - t0 < ms) {
    const x = inputs[n % inputs.length]!;
    await knowledge.diagnose(
      x.facts,
      { categories: CATEGORIES[n % CATEGORIES.length]!, targets: x.targets, language: n % 2 ? "zh" : "en" },
      cases,
    );
    n++;
  }
  const c = process.cpuUsage(c0);
  return { wall: (n * 1000) / (performance.now() - t0), cpu: (n * 1e6) / Math.max(1, c.user + c.system) };
}

const section: BenchSection = {
  name: "engine",
  title: "knowledge engine only: diagnoses per second on facts from captured evidence bundles",
  skipReason: () =>
    capturedFacts().length === 0 ? "no captured evidence bundles under test/fixtures" : null,
  async run(out: BenchOut) {
    const knowledge = loadKnowledge();
    const inputs = capturedFacts();
    await rate(knowledge, inputs, history(200), 1500); // warm-up: JIT and the engine's first runs
    const rows: Array<Array<string | number>> = [
      ["case history", "diagnoses/s (median)", "per CPU-second", "runs"],
    ];
    let worst = Number.POSITIVE_INFINITY;
    for (const n of [0, 200]) {
      const cases = history(n);
      const runs: { wall: number; cpu: number }[] = [];
      for (let i = 0; i < out.runs; i++) runs.push(await rate(knowledge, inputs, cases, 1000));
      const wall = median(runs.map((r) => r.wall));
      worst = Math.min(worst, wall);
      rows.push([`${n} cases`, wall.toFixed(0), median(runs.map((r) => r.cpu)).toFixed(0), out.runs]);
    }
    out.line(
      `${knowledge.rules.length} rules, ${inputs.length} captured hosts (${inputs.map((i) => i.name).join(", ")})`,
    );
    out.table(rows);
    out.line(
      `goal ≥ 500 diagnoses/s: ${worst >= 500 ? "met" : "NOT met"} (load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs)`,
    );
  },
};

export default section;
