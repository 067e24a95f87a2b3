import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import type { Reply, ReplySink } from "../../src/conversation/types.js";
import { collect } from "../../src/diagnosis/collect.js";
import { diagnose } from "../../src/diagnosis/diagnose.js";
import type { DiagnosisResult, SymptomCategory } from "../../src/diagnosis/types.js";
import { buildFacts } from "../../src/facts/build.js";
import { createFixService, type FixService, type FixServiceDeps } from "../../src/fixes/service.js";
import { loadInventory } from "../../src/inventory/index.js";
import { loadKnowledge } from "../../src/knowledge/index.js";
import type { Lab } from "../../src/lab/lab.js";
import { createLogger } from "../../src/log.js";
import { selectProbes } from "../../src/probes/index.js";
import { openDatabase } from "../../src/store/db.js";
import { repositories } from "../../src/store/repositories.js";
import { connectHost } from "../../src/transport/connect.js";

export const ASKER = "UASKER01";
export const APPROVER = "UAPPROVE1";
export const APPROVER2 = "UAPPROVE2";
export const BYSTANDER = "UBYSTAND1";

const log = createLogger({ level: "silent" });
const knowledge = loadKnowledge();

/** A sink that keeps every reply, like a Slack thread would show it. */
export function recordingSink(onPost?: (r: Reply) => Promise<void> | void): ReplySink & { replies: Reply[] } {
  const replies: Reply[] = [];
  return {
    replies,
    async post(reply) {
      replies.push(reply);
      await onPost?.(reply);
    },
    async progress() {},
  };
}

export interface FixWorld {
  db: Database.Database;
  file: string;
  clock: { now: Date };
  service: FixService;
  /** A real diagnosis of the lab host, stored as an incident asked by ASKER in a Slack thread. */
  diagnoseLab(symptom: string, targets: string[], categories: SymptomCategory[]): Promise<DiagnosisResult>;
  make(overrides?: Partial<FixServiceDeps>): FixService;
  close(): void;
}

export function fixWorld(lab: Lab, overrides: Partial<FixServiceDeps> = {}): FixWorld {
  const dir = mkdtempSync(join(tmpdir(), "hmf-fixes-"));
  const db = openDatabase(join(dir, "medic.db"));
  const store = repositories(db);
  const inventory = loadInventory(lab.inventoryFile);
  const clock = { now: new Date() };
  // What a diagnosis needs to reach the lab host: the fix service collects again with the same.
  const diagnosisEdges: Pick<
    FixServiceDeps,
    "inventory" | "connect" | "collect" | "probes" | "buildFacts" | "engine"
  > = {
    inventory,
    connect: (h) =>
      connectHost(h, { knownHosts: lab.knownHostsFile, sshKey: lab.keyFile, connectTimeoutMs: 5_000 }),
    collect,
    probes: (ctx) => selectProbes(ctx),
    buildFacts: (b) => buildFacts(b),
    engine: knowledge,
  };
  const base: FixServiceDeps = {
    db,
    ...diagnosisEdges,
    history: (host, groups, categories) => store.cases.caseHistory(host, groups, categories),
    isRisky: (cause) => knowledge.rules.some((r) => r.rule.id === cause && r.rule.risky),
    log,
    clock: () => clock.now,
    isApprover: async (user) => user === APPROVER || user === APPROVER2 || user === ASKER,
    allowSelfApprove: false,
    expiryMinutes: 30,
    source: "slack",
    commandTimeoutMs: 10_000,
    connectTimeoutMs: 5_000,
    collectTimeoutMs: 40_000,
    deadmanSeconds: 120,
  };
  const make = (more: Partial<FixServiceDeps> = {}) => createFixService({ ...base, ...overrides, ...more });
  let thread = 0;
  return {
    db,
    file: join(dir, "medic.db"),
    clock,
    service: make(),
    make,
    diagnoseLab: (symptom, targets, categories) =>
      diagnose(
        { hosts: [lab.hostName], symptom, targets, language: "en", categories },
        {
          ...diagnosisEdges,
          store,
          log,
          meta: { user: ASKER, source: "slack", channel: "CFIX", thread: `17000000${++thread}.0001` },
        },
      ),
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The link settings a tap fix changes, as `ip -j -d link show` reports them. */
export async function linkState(
  lab: Lab,
  dev: string,
): Promise<{ master: string | null; up: boolean; mtu: number }> {
  const r = await lab.exec("host", ["ip", "-j", "-d", "link", "show", "dev", dev]);
  const [l] = JSON.parse(r.stdout) as { master?: string; flags: string[]; mtu: number }[];
  if (!l) throw new Error(`${dev} not found: ${r.stderr}`);
  return { master: l.master ?? null, up: l.flags.includes("UP"), mtu: l.mtu };
}

/** One ping from a guest namespace: the user's view of whether the fix worked. */
export async function pings(lab: Lab, ns: string, target: string): Promise<boolean> {
  const r = await lab.exec(ns, ["ping", "-n", "-c", "1", "-W", "1", target]);
  return r.code === 0;
}

export async function sysctl(lab: Lab, key: string): Promise<string> {
  return (await lab.exec("host", ["sysctl", "-n", key])).stdout.trim();
}
