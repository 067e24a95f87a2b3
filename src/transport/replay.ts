import { readFileSync } from "node:fs";
import type { Evidence, EvidenceBundle, EvidenceStatus } from "../probes/types.js";
import type { ExecOptions, ExecResult, Transport } from "./types.js";

/** Marks a command the bundle has no evidence for; collect turns it into a skipped evidence. */
export const NOT_RECORDED = "hostmedic replay: not recorded:";

const STATUSES: readonly EvidenceStatus[] = [
  "ok",
  "missing_tool",
  "permission_denied",
  "timeout",
  "failed",
  "parse_error",
  "skipped",
];

/** A saved evidence bundle that is not what hostmedic wrote. */
export class BundleError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = "BundleError";
  }
}

/** Reads and checks an EvidenceBundle JSON file; every problem names the field. */
export function loadBundle(file: string): EvidenceBundle {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BundleError(file, code === "ENOENT" ? "no such file" : `cannot read: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BundleError(file, `not valid JSON: ${(e as Error).message}`);
  }
  return checkBundle(json, file);
}

export function checkBundle(json: unknown, file: string): EvidenceBundle {
  const fail = (problem: string): never => {
    throw new BundleError(file, problem);
  };
  if (!isObject(json)) return fail("the top level must be an object");
  if (json.version !== 1) fail(`version must be 1, got ${JSON.stringify(json.version)}`);
  if (typeof json.host !== "string" || json.host === "") fail("host must be a non-empty string");
  if (typeof json.time !== "string" || Number.isNaN(Date.parse(json.time)))
    fail("time must be an ISO 8601 date");
  if (!Array.isArray(json.targets) || !json.targets.every((t) => typeof t === "string")) {
    fail("targets must be an array of strings");
  }
  if (!Array.isArray(json.evidence)) return fail("evidence must be an array");
  const evidence = json.evidence.map((e, i) => checkEvidence(e, `evidence[${i}]`, fail));
  return {
    version: 1,
    host: json.host as string,
    time: json.time as string,
    targets: json.targets as string[],
    evidence,
  };
}

function checkEvidence(e: unknown, at: string, fail: (p: string) => never): Evidence {
  if (!isObject(e)) return fail(`${at} must be an object`);
  for (const f of ["probe", "command", "stdout", "stderr"] as const) {
    if (typeof e[f] !== "string") fail(`${at}.${f} must be a string`);
  }
  if (e.exitCode !== null && !Number.isInteger(e.exitCode)) fail(`${at}.exitCode must be an integer or null`);
  if (typeof e.durationMs !== "number" || !(e.durationMs >= 0))
    fail(`${at}.durationMs must be a number >= 0`);
  if (typeof e.truncated !== "boolean") fail(`${at}.truncated must be true or false`);
  if (!STATUSES.includes(e.status as EvidenceStatus))
    fail(`${at}.status must be one of ${STATUSES.join(", ")}`);
  if (e.note !== undefined && typeof e.note !== "string") fail(`${at}.note must be a string`);
  const out: Evidence = {
    probe: e.probe as string,
    command: e.command as string,
    stdout: e.stdout as string,
    stderr: e.stderr as string,
    exitCode: e.exitCode as number | null,
    durationMs: e.durationMs as number,
    truncated: e.truncated as boolean,
    status: e.status as EvidenceStatus,
  };
  if (typeof e.note === "string") out.note = e.note;
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Answers each command with the evidence recorded for exactly that command. */
export function replayTransport(bundle: EvidenceBundle): Transport {
  const byCommand = new Map<string, Evidence>();
  for (const e of bundle.evidence) if (!byCommand.has(e.command)) byCommand.set(e.command, e);
  return {
    host: bundle.host,
    kind: "replay",
    async exec(command: string, _options: ExecOptions): Promise<ExecResult> {
      const e = byCommand.get(command);
      if (!e) {
        return {
          stdout: "",
          stderr: `${NOT_RECORDED} ${command}`,
          exitCode: 127,
          durationMs: 0,
          truncated: false,
          timedOut: false,
          permissionDenied: false,
        };
      }
      return {
        stdout: e.stdout,
        stderr: e.stderr,
        exitCode: e.exitCode,
        durationMs: e.durationMs,
        truncated: e.truncated,
        timedOut: e.status === "timeout",
        permissionDenied: e.status === "permission_denied",
      };
    },
    async close(): Promise<void> {},
  };
}
