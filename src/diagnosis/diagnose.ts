import type { HostFacts } from "../facts/types.js";
import type { InventoryHost } from "../inventory/types.js";
import type { Evidence, EvidenceBundle, Probe, ProbeContext } from "../probes/types.js";
import { similarIncidents } from "../search/similar.js";
import type { CaseRecord } from "../store/cases.js";
import { describeDbError } from "../store/db.js";
import type { Repositories } from "../store/repositories.js";
import { type Transport, TransportError } from "../transport/types.js";
import type { CollectOptions } from "./collect.js";
import { evidenceNotes } from "./notes.js";
import type {
  DiagnosisRequest,
  DiagnosisResult,
  Finding,
  HostDiagnosis,
  Language,
  ProgressEvent,
  SymptomCategory,
} from "./types.js";
import { addressesOfVms } from "./vm-targets.js";

/** The knowledge engine as the orchestrator uses it (built once, evaluated per host). */
export interface DiagnosisEngine {
  diagnose(
    facts: HostFacts,
    request: { categories: SymptomCategory[]; targets: string[]; language: Language },
    history: CaseRecord[],
  ): Promise<{ findings: Finding[]; distinguish?: string; notes?: string[]; paths?: string[] }>;
}

/** The part of a pino logger the orchestrator uses. */
export interface DiagnosisLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** Who asked, and where the answer goes. */
export interface RequestMeta {
  user: string;
  source: "slack" | "console" | "cli";
  channel?: string;
  thread?: string;
}

/** The edges and domain services a diagnosis needs; all passed in, none imported. */
export interface DiagnoseDeps {
  inventory: { resolve(nameOrGroup: string): InventoryHost[] };
  /** Opens a transport to one host (ssh, or local for localhost). */
  connect(host: InventoryHost): Promise<Transport>;
  /** Runs the probes; a TransportError may carry `partial` evidence. */
  collect(
    transport: Transport,
    options: Pick<CollectOptions, "probes" | "ctx" | "onProgress">,
  ): Promise<EvidenceBundle>;
  /** The probes for a request: a fixed list or selectProbes. */
  probes: Probe[] | ((ctx: ProbeContext) => Probe[]);
  buildFacts(bundle: EvidenceBundle): HostFacts;
  engine: DiagnosisEngine;
  store: Repositories;
  log: DiagnosisLog;
  onProgress?: (event: ProgressEvent) => void;
  /** Evidence bundles to diagnose instead of connecting (`--replay`), by host name. */
  replay?: Map<string, EvidenceBundle>;
  /** Who asked; defaults to the CLI. */
  meta?: RequestMeta;
}

const IGNORED_GROUPS = new Set(["all", "ungrouped"]);

/** Request hosts and groups → distinct inventory hosts, in order. Throws UnknownHostError. */
export function resolveHosts(inventory: DiagnoseDeps["inventory"], names: string[]): InventoryHost[] {
  const seen = new Map<string, InventoryHost>();
  for (const name of names)
    for (const h of inventory.resolve(name)) if (!seen.has(h.name)) seen.set(h.name, h);
  return [...seen.values()];
}

/** Only the fields of a Finding (the engine adds ranking details that are not part of the contract). */
function toFinding(f: Finding): Finding {
  const out: Finding = {
    id: f.id,
    title: f.title,
    explanation: f.explanation,
    confidence: f.confidence,
    evidence: f.evidence,
    check: f.check,
    fix: f.fix,
    rollback: f.rollback,
    verify: f.verify,
  };
  if (f.risky) out.risky = true;
  return out;
}

function partialOf(err: unknown, host: string, targets: string[]): EvidenceBundle | undefined {
  const p = (err as { partial?: unknown }).partial;
  // collect attaches the evidence gathered before the connection was lost (Evidence[]).
  if (Array.isArray(p)) {
    return { version: 1, host, time: new Date().toISOString(), targets, evidence: p as Evidence[] };
  }
  if (p && typeof p === "object" && Array.isArray((p as EvidenceBundle).evidence)) return p as EvidenceBundle;
  return undefined;
}

/** connect → collect → facts → engine for one host; never throws, the status says what happened. */
async function diagnoseHost(
  host: InventoryHost,
  request: DiagnosisRequest,
  deps: DiagnoseDeps,
  emit: (e: ProgressEvent) => void,
): Promise<HostDiagnosis> {
  const started = performance.now();
  const groups = host.groups.filter((g) => !IGNORED_GROUPS.has(g));
  const ctx: ProbeContext = { targets: request.targets };
  let transport: Transport | undefined;
  let bundle: EvidenceBundle | undefined;
  const elapsed = () => Math.round(performance.now() - started);
  try {
    bundle = deps.replay?.get(host.name);
    if (!bundle) {
      emit({ type: "connecting", host: host.name });
      transport = await deps.connect(host);
      const probes = typeof deps.probes === "function" ? deps.probes(ctx) : deps.probes;
      emit({ type: "collecting", host: host.name, total: probes.length, done: 0 });
      bundle = await deps.collect(transport, {
        probes,
        ctx,
        onProgress: (p) => emit({ type: "collecting", host: host.name, total: p.total, done: p.done }),
      });
    }
    let facts = deps.buildFacts(bundle);
    // VM names become addresses only once the host's virsh facts are in; the probes that look at
    // targets (route lookups, pings, arping) then run again for them.
    const named = addressesOfVms(facts, request.vmNames ?? []).filter((a) => !ctx.targets.includes(a));
    const targets = [...ctx.targets, ...named];
    if (named.length) {
      bundle = { ...bundle, targets };
      if (transport) {
        const more = { targets };
        const all = typeof deps.probes === "function" ? deps.probes(more) : deps.probes;
        const again = all.filter((p) => p.command(more) !== p.command(ctx));
        const extra = await deps.collect(transport, { probes: again, ctx: more });
        const redone = new Set(extra.evidence.map((e) => e.probe));
        bundle.evidence = [...bundle.evidence.filter((e) => !redone.has(e.probe)), ...extra.evidence];
      }
      facts = deps.buildFacts(bundle);
    }
    emit({ type: "evaluating", host: host.name });
    const history = deps.store.cases.caseHistory(host.name, groups, request.categories);
    const evaluation = await deps.engine.diagnose(
      facts,
      { categories: request.categories, targets, language: request.language },
      history,
    );
    const causes = evaluation.findings.map(toFinding).sort((a, b) => b.confidence - a.confidence);
    const d: HostDiagnosis = { host: host.name, status: "diagnosed", causes, elapsed_ms: elapsed(), bundle };
    if (named.length) d.targets = targets;
    const notes = [...evidenceNotes(bundle, request.language), ...(evaluation.notes ?? [])];
    if (notes.length) d.notes = [...new Set(notes)];
    if (evaluation.distinguish) d.distinguish = evaluation.distinguish;
    if (evaluation.paths?.length) d.paths = evaluation.paths;
    return d;
  } catch (err) {
    const partial = bundle ?? partialOf(err, host.name, request.targets);
    if (err instanceof TransportError || (err as { status?: unknown }).status !== undefined) {
      const te = err as TransportError;
      deps.log.warn({ host: host.name, status: te.status, err: te.message }, "host could not be diagnosed");
      return {
        host: host.name,
        status: te.status ?? "error",
        error: te.hint ? `${te.message} (${te.hint})` : te.message,
        causes: [],
        elapsed_ms: elapsed(),
        ...(partial ? { bundle: partial, notes: evidenceNotes(partial, request.language) } : {}),
      };
    }
    deps.log.error({ host: host.name, err }, "diagnosis failed");
    return {
      host: host.name,
      status: "error",
      error: `diagnosis failed: ${(err as Error).message ?? String(err)}`,
      causes: [],
      elapsed_ms: elapsed(),
      ...(partial ? { bundle: partial } : {}),
    };
  } finally {
    await transport?.close().catch(() => {});
  }
}

/**
 * One request → one incident with a diagnosis per host (in parallel). The incident is stored
 * first so nothing is lost; each host's diagnosis, findings and evidence as soon as it is done.
 * Unknown hosts throw UnknownHostError before anything is stored.
 */
export async function diagnose(request: DiagnosisRequest, deps: DiagnoseDeps): Promise<DiagnosisResult> {
  const hosts = deps.replay && request.hosts.length === 0 ? [] : resolveHosts(deps.inventory, request.hosts);
  // A replayed bundle of a host that is not in the inventory is still diagnosed under its name.
  for (const name of deps.replay?.keys() ?? [])
    if (!hosts.some((h) => h.name === name))
      hosts.push({ name, kind: "local", address: name, port: 22, groups: [], vars: {} });
  const meta = deps.meta ?? { user: "cli", source: "cli" };
  const incident = deps.store.incidents.create({
    requestedBy: meta.user,
    source: meta.source,
    channel: meta.channel,
    thread: meta.thread,
    symptom: request.symptom,
    categories: request.categories,
    targets: request.targets,
    hosts: request.hosts.length ? request.hosts : hosts.map((h) => h.name),
    language: request.language,
  });
  deps.log.info(
    { incident, hosts: hosts.map((h) => h.name), categories: request.categories },
    "diagnosis started",
  );
  const emit = (e: ProgressEvent) => {
    try {
      deps.onProgress?.(e);
    } catch (err) {
      deps.log.warn({ err }, "progress listener failed");
    }
  };
  const results = await Promise.all(
    hosts.map(async (host) => {
      const d = await diagnoseHost(host, request, deps, emit);
      try {
        deps.store.incidents.recordDiagnosis(
          incident,
          d,
          host.groups.filter((g) => !IGNORED_GROUPS.has(g)),
        );
      } catch (err) {
        // The answer still goes out, and says that it was not kept and why.
        const why = describeDbError(err);
        deps.log.error({ incident, host: host.name, err: why }, "could not store the diagnosis");
        d.notes = [...(d.notes ?? []), `this diagnosis could not be saved to the database: ${why}`];
      }
      emit({ type: "host_done", host: host.name, status: d.status });
      return d;
    }),
  );
  const best = new Map<string, number>();
  for (const d of results)
    for (const f of d.causes) best.set(f.id, Math.max(best.get(f.id) ?? 0, f.confidence));
  let similar: DiagnosisResult["similar_incidents"] = [];
  try {
    similar = similarIncidents(deps.store.db, {
      incident,
      causes: [...best].map(([id, confidence]) => ({ id, confidence })),
      categories: request.categories,
      symptom: request.symptom,
    });
  } catch (err) {
    deps.log.warn({ incident, err: (err as Error).message }, "similar incidents lookup failed");
  }
  return {
    incident,
    request: {
      hosts: request.hosts.length ? request.hosts : hosts.map((h) => h.name),
      symptom: request.symptom,
      targets: request.targets,
      language: request.language,
    },
    hosts: results,
    similar_incidents: similar,
  };
}

/** The CONTRACT.md JSON object: the same result without evidence bundles. */
export function contractJson(result: DiagnosisResult): DiagnosisResult {
  return {
    ...result,
    hosts: result.hosts.map(({ bundle: _bundle, ...rest }) => rest),
  };
}

export { type Diagnoser, makeDiagnoser } from "./diagnoser.js";
