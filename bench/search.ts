/**
 * Search at scale: 100,000 generated incidents (bulk-inserted in one transaction, with diagnoses,
 * findings and the FTS rows the store would write), then p50/p95 latency of searchIncidents for
 * English and Chinese queries, side by side with a plain LIKE scan of the incidents table.
 * Goal: p95 ≤ 10 ms.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { CAUSE_IDS } from "../src/knowledge/causes.js";
import { loadRules } from "../src/knowledge/loader.js";
import { likePattern, searchIncidents } from "../src/search/index.js";
import { openDatabase } from "../src/store/db.js";
import { type BenchOut, type BenchSection, ms } from "./section.js";

export interface SearchBenchRow {
  query: string;
  hits: number;
  fts_p50_ms: number;
  fts_p95_ms: number;
  /** CPU time, unaffected by other load on the machine. */
  fts_cpu_p95_ms: number;
  like_p50_ms: number;
  like_p95_ms: number;
}

export interface SearchBenchResult {
  incidents: number;
  generate_ms: number;
  rows: SearchBenchRow[];
  /** Over all queries. */
  fts_p95_ms: number;
  fts_cpu_p95_ms: number;
  like_p95_ms: number;
  goal_met: boolean;
}

export const QUERIES = [
  "tap not enslaved",
  "cannot reach the host",
  "kvm042",
  "ip_forward_disabled",
  "large packets hang",
  "internet",
  "rate limited switch port",
  "198.51.100.77",
  "无法上网",
  "大包不通",
  "网桥",
  "时断时续",
  "获取不到IP",
  "丢包",
];

const SYMPTOMS_EN = [
  "vm {ip} cannot reach the host",
  "guests on {host} can't reach the internet",
  "large packets hang between the vm and the LAN",
  "vm {ip} gets no ip address from dhcp",
  "network is intermittent on {host}",
  "guests cannot talk to each other",
  "ssh to {ip} is slow",
  "after start it takes 30 seconds before {ip} answers",
];
const SYMPTOMS_ZH = [
  "{host} 上的虚拟机无法上网",
  "宿主机和虚拟机 {ip} 网络不通",
  "大包不通，小包正常",
  "虚拟机获取不到IP",
  "虚拟机网络时断时续，偶尔丢包",
  "虚拟机之间互相 ping 不通",
];
const NOTES = [
  "the switch port was rate limited",
  "交换机端口被限速",
  "fixed by re-attaching the tap",
  "重启 libvirtd 后恢复",
  "",
];

/** Deterministic pseudo-random numbers so every run builds the same data. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function generateIncidents(db: Database.Database, count: number): void {
  const titles = new Map(loadRules().rules.map((r) => [r.rule.id, r.rule.title]));
  const rand = rng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const insInc = db.prepare(
    "INSERT INTO incidents (id, requested_by, source, symptom, categories, targets, hosts, language, status, resolution) VALUES (?, 'U1', 'slack', ?, '[]', ?, ?, ?, ?, ?)",
  );
  const insDiag = db.prepare(
    "INSERT INTO diagnoses (id, incident_id, host, host_groups, status) VALUES (?, ?, ?, '[\"kvm\"]', 'diagnosed')",
  );
  const insFinding = db.prepare(
    "INSERT INTO findings (diagnosis_id, cause, rank, confidence, title, title_zh) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const insFts = db.prepare(
    "INSERT INTO incidents_fts (rowid, symptom, hosts, causes, notes, resolution) VALUES (?, ?, ?, ?, ?, ?)",
  );
  db.transaction(() => {
    for (let id = 1; id <= count; id++) {
      const host = `kvm${String(1 + Math.floor(rand() * 500)).padStart(3, "0")}`;
      const ip = `198.51.100.${1 + Math.floor(rand() * 253)}`;
      const zh = rand() < 0.4;
      const symptom = pick(zh ? SYMPTOMS_ZH : SYMPTOMS_EN)
        .replace("{host}", host)
        .replace("{ip}", ip);
      const causes = [pick(CAUSE_IDS), pick(CAUSE_IDS)].filter((c, i, a) => a.indexOf(c) === i);
      const resolved = rand() < 0.3;
      const resolution = resolved ? `${causes[0]} confirmed by U2` : null;
      insInc.run(
        id,
        symptom,
        JSON.stringify([ip]),
        JSON.stringify([host]),
        zh ? "zh" : "en",
        resolved ? "resolved" : "diagnosed",
        resolution,
      );
      insDiag.run(id, id, host);
      const causeText: string[] = [];
      causes.forEach((c, i) => {
        const t = titles.get(c);
        insFinding.run(id, c, i + 1, 0.9 - i * 0.3, t?.en ?? c, t?.zh ?? null);
        causeText.push(c, c.replace(/_/g, " "), t?.en ?? "", t?.zh ?? "");
      });
      insFts.run(
        id,
        symptom,
        `${host} kvm`,
        causeText.filter(Boolean).join("\n"),
        pick(NOTES),
        resolution ?? "",
      );
    }
  })();
}

function likeScan(db: Database.Database, query: string, limit: number): number[] {
  const p = likePattern(query.toLowerCase());
  return (
    db
      .prepare(
        "SELECT id FROM incidents WHERE lower(symptom) LIKE ? ESCAPE '\\' OR hosts LIKE ? ESCAPE '\\' OR resolution LIKE ? ESCAPE '\\' ORDER BY id DESC LIMIT ?",
      )
      .all(p, p, p, limit) as { id: number }[]
  ).map((r) => r.id);
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

function time(fn: () => unknown): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

/** CPU time of the call: what the search costs, whatever else the machine is doing. */
function cpuTime(fn: () => unknown): number {
  const c = process.cpuUsage();
  fn();
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1000;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

export function runSearchBench(options: { incidents?: number; iterations?: number } = {}): SearchBenchResult {
  const count = options.incidents ?? 100_000;
  const iterations = options.iterations ?? 30;
  const dir = mkdtempSync(join(tmpdir(), "hmi-bench-search-"));
  const db = openDatabase(join(dir, "bench.db"));
  try {
    const generate_ms = Math.round(time(() => generateIncidents(db, count)));
    db.pragma("optimize");
    const rows: SearchBenchRow[] = [];
    const allFts: number[] = [];
    const allLike: number[] = [];
    const allCpu: number[] = [];
    for (const q of QUERIES) {
      const hits = searchIncidents(db, q, { limit: 10 }).length; // warm-up
      likeScan(db, q, 10);
      const fts: number[] = [];
      const like: number[] = [];
      const cpu: number[] = [];
      for (let i = 0; i < iterations; i++) {
        fts.push(time(() => searchIncidents(db, q, { limit: 10 })));
        cpu.push(cpuTime(() => searchIncidents(db, q, { limit: 10 })));
        like.push(time(() => likeScan(db, q, 10)));
      }
      allFts.push(...fts);
      allCpu.push(...cpu);
      allLike.push(...like);
      rows.push({
        query: q,
        hits,
        fts_p50_ms: r2(percentile(fts, 50)),
        fts_p95_ms: r2(percentile(fts, 95)),
        fts_cpu_p95_ms: r2(percentile(cpu, 95)),
        like_p50_ms: r2(percentile(like, 50)),
        like_p95_ms: r2(percentile(like, 95)),
      });
    }
    const fts_p95_ms = r2(percentile(allFts, 95));
    return {
      incidents: count,
      generate_ms,
      rows,
      fts_p95_ms,
      fts_cpu_p95_ms: r2(percentile(allCpu, 95)),
      like_p95_ms: r2(percentile(allLike, 95)),
      goal_met: fts_p95_ms <= 10,
    };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const section: BenchSection = {
  name: "search",
  title: "searchIncidents over 100,000 generated incidents (English and Chinese), against a plain LIKE scan",
  async run(out: BenchOut) {
    const r = runSearchBench({ iterations: Math.max(20, out.runs * 6) });
    out.line(`${r.incidents.toLocaleString("en")} incidents generated and indexed in ${ms(r.generate_ms)}`);
    out.table([
      ["query", "hits", "search p50", "search p95", "search CPU p95", "LIKE p50", "LIKE p95"],
      ...r.rows.map((x) => [
        x.query,
        x.hits,
        x.fts_p50_ms.toFixed(2),
        x.fts_p95_ms.toFixed(2),
        x.fts_cpu_p95_ms.toFixed(2),
        x.like_p50_ms.toFixed(2),
        x.like_p95_ms.toFixed(2),
      ]),
    ]);
    out.line(
      `all queries (ms): search p95 ${r.fts_p95_ms} (CPU ${r.fts_cpu_p95_ms}), LIKE scan p95 ${r.like_p95_ms}; goal search p95 ≤ 10 ms: ${r.goal_met ? "met" : "NOT met"} (load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs)`,
    );
  },
};

export default section;
