import { existsSync } from "node:fs";
import { type Config, loadConfig, requireInventory } from "../config.js";
import { collect } from "../diagnosis/collect.js";
import { contractJson, type DiagnosisLog, diagnose } from "../diagnosis/diagnose.js";
import { causeTitlesFrom } from "../diagnosis/titles.js";
import type { DiagnosisRequest, ProgressEvent } from "../diagnosis/types.js";
import { buildFacts } from "../facts/build.js";
import { parseRequest } from "../intake/index.js";
import {
  type Inventory,
  InventoryError,
  loadInventory,
  localOnlyInventory,
  UnknownHostError,
} from "../inventory/index.js";
import { loadKnowledge, RuleError, syncRules } from "../knowledge/index.js";
import { selectProbes } from "../probes/index.js";
import type { EvidenceBundle } from "../probes/types.js";
import { renderText } from "../report/text.js";
import { openDatabase } from "../store/db.js";
import { repositories } from "../store/repositories.js";
import { connectHost } from "../transport/connect.js";
import { BundleError, loadBundle } from "../transport/replay.js";
import { type CliIo, EXIT, wantsHelp } from "./io.js";

const USAGE = `usage: hostmedic diagnose HOST|GROUP|localhost [SYMPTOM WORDS...] [--json] [--replay FILE]

Connects to the host (or every host of the group) over SSH, runs read-only probes, and ranks the
likely causes of the symptom with the evidence and the commands to check, fix and roll back.
localhost runs the probes on this machine without SSH. Several hosts: kvm01,kvm02.

  --json         print the JSON object of CONTRACT.md instead of the report
  --replay FILE  diagnose a saved evidence bundle instead of connecting (HOST is optional)

Exit status: 0 every host was diagnosed, 2 bad usage or unknown host, 3 a host could not be
reached or authenticated. Configuration: MEDIC_DB, MEDIC_INVENTORY, MEDIC_KNOWN_HOSTS, MEDIC_SSH_KEY.`;

interface Args {
  positional: string[];
  hosts: string[];
  symptom: string;
  json: boolean;
  replay?: string;
}

function parseArgs(argv: string[]): Args | string {
  const positional: string[] = [];
  let json = false;
  let replay: string | undefined;
  let options = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (options && a === "--") options = false;
    else if (options && a === "--json") json = true;
    else if (options && (a === "--replay" || a.startsWith("--replay="))) {
      replay = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (!replay) return "--replay needs a FILE";
    } else if (options && a.startsWith("--")) return `unknown option ${a}`;
    else positional.push(a);
  }
  const [target, ...words] = positional;
  if (!target && !replay) return "name a HOST, a GROUP or localhost";
  const hosts = (target ?? "").split(",").filter(Boolean);
  const out: Args = { positional, hosts, symptom: words.join(" ").trim(), json };
  if (replay) out.replay = replay;
  return out;
}

/** The inventory, or only localhost when none is needed (localhost or a replay). */
function inventoryFor(config: Config, args: Args): Inventory {
  const needed = !args.replay && args.hosts.some((h) => h !== "localhost");
  if (needed) requireInventory(config);
  return existsSync(config.inventory)
    ? loadInventory(config.inventory)
    : localOnlyInventory(config.inventory);
}

/** Warnings and errors on stderr as JSON lines; info and debug only when LOG_LEVEL asks. */
function cliLog(config: Config, io: CliIo): DiagnosisLog {
  const verbose = config.logLevel === "debug" || config.logLevel === "trace";
  const line = (level: string) => (obj: object, msg?: string) =>
    io.err(JSON.stringify({ level, msg, ...obj }, (_k, v) => (v instanceof Error ? v.message : v)));
  const quiet = () => {};
  return {
    error: line("error"),
    warn: line("warn"),
    info: verbose ? line("info") : quiet,
    debug: verbose ? line("debug") : quiet,
  };
}

function progressLine(e: ProgressEvent): string | undefined {
  switch (e.type) {
    case "connecting":
      return `${e.host}: connecting…`;
    case "collecting":
      return e.done === 0 ? `${e.host}: running ${e.total} probes…` : undefined;
    case "evaluating":
      return `${e.host}: evaluating…`;
    case "host_done":
      return `${e.host}: ${e.status}`;
  }
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  if (wantsHelp(argv)) {
    io.out(USAGE);
    return EXIT.ok;
  }
  const args = parseArgs(argv);
  if (typeof args === "string") {
    io.err(`hostmedic diagnose: ${args}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const config = loadConfig();
  let bundle: EvidenceBundle | undefined;
  let inventory: Inventory;
  try {
    if (args.replay) bundle = loadBundle(args.replay);
    inventory = inventoryFor(config, args);
    // Resolve now: an unknown host is a usage error, reported before anything is stored.
    if (!bundle) for (const h of args.hosts) inventory.resolve(h);
  } catch (err) {
    if (err instanceof UnknownHostError || err instanceof InventoryError || err instanceof BundleError) {
      io.err(`hostmedic diagnose: ${err.message}`);
      return EXIT.usage;
    }
    throw err;
  }
  let knowledge: ReturnType<typeof loadKnowledge>;
  try {
    knowledge = loadKnowledge(config.rulesDir);
  } catch (err) {
    if (err instanceof RuleError) {
      io.err(
        `hostmedic diagnose: the knowledge base has errors (run \`hostmedic rules check\`):\n${err.message}`,
      );
      return EXIT.failure;
    }
    throw err;
  }
  let replayName: string | undefined;
  if (bundle) {
    // With --replay the host is optional: a first word that names no host begins the symptom.
    const first = args.positional[0];
    const named = first !== undefined && (first === bundle.host || hostKnown(inventory, first));
    replayName = named ? first : bundle.host;
    if (!named) args.symptom = args.positional.join(" ").trim();
  }
  const parsed = parseRequest(args.symptom, { hosts: inventory.hostNames(), groups: inventory.groupNames() });
  const request: DiagnosisRequest = {
    hosts: bundle ? (hostKnown(inventory, replayName!) ? [replayName!] : []) : args.hosts,
    symptom: args.symptom,
    targets: bundle && parsed.targets.length === 0 ? bundle.targets : parsed.targets,
    language: parsed.language,
    categories: parsed.categories,
    vmNames: parsed.vmNames,
  };
  const db = openDatabase(config.db);
  try {
    syncRules(db, knowledge);
    const result = await diagnose(request, {
      inventory,
      connect: (host) => connectHost(host, config),
      collect: (transport, options) => collect(transport, options),
      probes: (ctx) => selectProbes(ctx),
      buildFacts: (b) => buildFacts(b),
      engine: knowledge,
      store: repositories(db, causeTitlesFrom(knowledge.rules)),
      log: cliLog(config, io),
      onProgress: args.json
        ? undefined
        : (e) => {
            const line = progressLine(e);
            if (line) io.err(line);
          },
      ...(bundle && replayName ? { replay: new Map([[replayName, bundle]]) } : {}),
      meta: { user: "cli", source: "cli" },
    });
    io.out(args.json ? JSON.stringify(contractJson(result), null, 2) : renderText(result));
    return result.hosts.every((h) => h.status === "diagnosed") ? EXIT.ok : EXIT.unreachable;
  } finally {
    db.close();
  }
}

function hostKnown(inventory: Inventory, name: string): boolean {
  try {
    return inventory.resolve(name).length > 0;
  } catch {
    return false;
  }
}
