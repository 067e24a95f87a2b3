import { existsSync } from "node:fs";
import type Database from "better-sqlite3";
import type { Config } from "./config.js";
import type { ConversationDeps } from "./conversation/core.js";
import type { ConversationServices } from "./conversation/services.js";
import { collect } from "./diagnosis/collect.js";
import { makeDiagnoser } from "./diagnosis/diagnoser.js";
import { causeTitlesFrom } from "./diagnosis/titles.js";
import { buildFacts } from "./facts/build.js";
import { Approvers } from "./fixes/approvers.js";
import { fixServiceFromConfig } from "./fixes/wire.js";
import { parseRequest, suggestNames } from "./intake/index.js";
import { type Inventory, loadInventory, localOnlyInventory } from "./inventory/index.js";
import { loadKnowledge, syncRules } from "./knowledge/index.js";
import type { Logger } from "./log.js";
import { selectProbes } from "./probes/index.js";
import { repositories } from "./store/repositories.js";
import { connectHost } from "./transport/connect.js";

export interface Composed {
  services: ConversationServices;
  /** The fix service for one chat surface; the console operator always approves. */
  fixes(source: "slack" | "console"): ConversationDeps["fixes"];
  approvers: Approvers;
  close(): Promise<void>;
}

/**
 * Builds the domain once for a running bot: knowledge (validated, synced into SQLite, engine built
 * once), inventory, repositories, the diagnoser, and the fix service.
 */
export function composeServices(config: Config, db: Database.Database, log: Logger): Composed {
  const knowledge = loadKnowledge(config.rulesDir);
  syncRules(db, knowledge);
  const hasInventory = existsSync(config.inventory);
  const inventory: Inventory = hasInventory
    ? loadInventory(config.inventory)
    : localOnlyInventory(config.inventory);
  if (!hasInventory)
    log.warn({ inventory: config.inventory }, "no inventory file: only localhost can be diagnosed");
  const store = repositories(db, causeTitlesFrom(knowledge.rules));
  const diagnoser = makeDiagnoser({
    inventory,
    connect: (host) => connectHost(host, config),
    collect: (transport, options) => collect(transport, options),
    probes: (ctx) => selectProbes(ctx),
    buildFacts: (bundle) => buildFacts(bundle),
    engine: knowledge,
    store,
    log,
  });
  const names = () => ({ hosts: inventory.hostNames(), groups: inventory.groupNames() });
  const services: ConversationServices = {
    inventoryNames: names,
    suggestHosts: (word) => suggestNames(word, [...names().hosts, ...names().groups]),
    parse: (text) => parseRequest(text, names()),
    diagnose: (request, meta, onProgress) => diagnoser.diagnose(request, meta, onProgress),
    incidentByThread: (channel, thread) => diagnoser.incidentByThread(channel, thread),
    feedback: (incident, cause, verdict, user) => diagnoser.feedback(incident, cause, verdict, user),
    evidence: (incident) => diagnoser.evidence(incident),
    search: (query, limit) => diagnoser.search(query, limit),
    recent: (limit) => diagnoser.recent(limit),
  };
  const approvers = new Approvers(config.approvers);
  return {
    services,
    approvers,
    // Fixes need real hosts: without an inventory there is nothing they could run on.
    fixes: (source) =>
      (hasInventory &&
        fixServiceFromConfig(config, db, log, {
          source,
          knowledge,
          isApprover: source === "console" ? async () => true : (user) => approvers.isApprover(user),
        })) ||
      undefined,
    close: async () => {},
  };
}
