/**
 * Evidence → facts: run each probe's parser on its evidence, record how every probe fared, and say
 * in words what is missing. Never throws: a diagnosis with some facts beats none.
 */
import { probes } from "../probes/index.js";
import { type Evidence, type EvidenceBundle, ParseError, type Probe } from "../probes/types.js";
import type { HostFacts } from "./types.js";

function statusNote(e: Evidence, probe: Probe | undefined): string | undefined {
  const tool = probe?.tool ?? e.probe;
  switch (e.status) {
    case "missing_tool":
      return `${e.probe}: ${tool} is not installed`;
    case "permission_denied":
      return `${e.probe}: permission denied (${tool} needs root or passwordless sudo)`;
    case "timeout":
      return `${e.probe}: timed out after ${e.durationMs} ms`;
    case "failed": {
      const detail =
        e.note ??
        e.stderr
          .split("\n")
          .find((l) => l.trim() !== "")
          ?.trim();
      return `${e.probe}: failed (exit ${e.exitCode ?? "none"})${detail ? `: ${detail.slice(0, 200)}` : ""}`;
    }
    case "parse_error":
      return e.note ?? `${e.probe}: output could not be read`;
    default:
      return undefined;
  }
}

export function buildFacts(bundle: EvidenceBundle, registry: readonly Probe[] = probes): HostFacts {
  const facts: HostFacts = { host: bundle.host, parsed: {}, status: {}, notes: [] };
  const ctx = { targets: bundle.targets };
  for (const e of bundle.evidence) {
    const probe = registry.find((p) => p.id === e.probe);
    if (e.status !== "ok") {
      facts.status[e.probe] = e.status;
      const note = statusNote(e, probe);
      if (note) facts.notes.push(note);
      continue;
    }
    if (!probe) {
      facts.status[e.probe] = "skipped";
      facts.notes.push(`${e.probe}: no such probe in this version, evidence ignored`);
      continue;
    }
    try {
      facts.parsed[probe.id] = probe.parse(e.stdout, ctx);
      facts.status[probe.id] = "ok";
    } catch (err) {
      facts.status[probe.id] = "parse_error";
      const reason =
        err instanceof ParseError
          ? err.message
          : `${probe.id}: parser failed (${(err as Error)?.message ?? err})`;
      facts.notes.push(e.truncated ? `${reason}; the output was cut at the size limit` : reason);
    }
  }
  for (const p of registry) {
    if (!(p.id in facts.status)) facts.status[p.id] = "skipped";
  }
  return facts;
}
