import type Database from "better-sqlite3";
import type { Config } from "../config.js";
import { collect } from "../diagnosis/collect.js";
import { buildFacts } from "../facts/build.js";
import { loadInventory } from "../inventory/index.js";
import { loadKnowledge } from "../knowledge/index.js";
import type { Logger } from "../log.js";
import { selectProbes } from "../probes/index.js";
import { CaseStore } from "../store/cases.js";
import { connectHost } from "../transport/connect.js";
import { createFixService, type FixService, type FixServiceDeps, RISKY_CAUSES } from "./service.js";

/**
 * The fix service with the real edges (inventory, ssh, probes, rules), for main.ts and the CLI.
 * `isApprover` comes from the chat adapter: Slack expands MEDIC_APPROVERS user groups; the console
 * and the terminal operator always approve.
 */
export function fixServiceFromConfig(
  config: Config,
  db: Database.Database,
  log: Logger,
  options: {
    source: NonNullable<FixServiceDeps["source"]>;
    isApprover(user: string): Promise<boolean>;
    knowledge?: FixServiceDeps["engine"] & { rules?: { rule: { id: string; risky: boolean } }[] };
    clock?: () => Date;
  },
): FixService {
  const inventory = loadInventory(config.inventory);
  const knowledge = options.knowledge ?? loadKnowledge(config.rulesDir);
  const risky = new Set((knowledge.rules ?? []).filter((r) => r.rule.risky).map((r) => r.rule.id));
  const cases = new CaseStore(db);
  return createFixService({
    db,
    inventory,
    connect: (host) => connectHost(host, { ...config, connectTimeoutMs: config.connectTimeoutMs }),
    collect,
    probes: (ctx) => selectProbes(ctx),
    buildFacts: (bundle) => buildFacts(bundle),
    engine: knowledge,
    history: (host, groups, categories) => cases.caseHistory(host, groups, categories),
    // The rules say which fixes are risky; the built-in list stays as a floor.
    isRisky: (cause) => risky.has(cause) || RISKY_CAUSES.has(cause),
    log,
    clock: options.clock,
    isApprover: options.isApprover,
    allowSelfApprove: config.allowSelfApprove,
    expiryMinutes: config.fixExpiryMinutes,
    source: options.source,
  });
}
