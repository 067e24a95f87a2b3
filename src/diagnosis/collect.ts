import type { Evidence, EvidenceBundle, EvidenceStatus, Probe, ProbeContext } from "../probes/types.js";
import { NOT_RECORDED } from "../transport/replay.js";
import { type ExecOptions, type ExecResult, type Transport, TransportError } from "../transport/types.js";

export interface CollectProgress {
  probe: string;
  status: EvidenceStatus;
  done: number;
  total: number;
}

export interface CollectOptions {
  probes: Probe[];
  ctx: ProbeContext;
  onProgress?: (progress: CollectProgress) => void;
  /** Probes in flight at once for transports without execBatch (local, replay); ssh runs one batch. */
  concurrency?: number;
  /** Cap of stdout and stderr per probe (transport default: 1 MiB). */
  maxBytes?: number;
}

export const DEFAULT_CONCURRENCY = 6;

/**
 * Runs every probe on one host, in parallel over the one transport (one batch session when the
 * transport has execBatch), and keeps what each printed as evidence. A probe's failure is its own evidence status and never stops the others. A lost
 * connection (TransportError) is thrown once the probes in flight have settled, carrying what was
 * gathered so far in `err.partial`.
 */
export async function collect(transport: Transport, options: CollectOptions): Promise<EvidenceBundle> {
  const { probes, ctx } = options;
  const time = new Date().toISOString();
  const results: Array<Evidence | undefined> = new Array(probes.length);
  let done = 0;
  let connectionError: TransportError | undefined;

  const record = (i: number, evidence: Evidence) => {
    results[i] = evidence;
    done++;
    options.onProgress?.({ probe: evidence.probe, status: evidence.status, done, total: probes.length });
  };

  // Commands first: a probe that cannot build its command, or an active one without targets, never runs.
  const runnable: Array<{ i: number; probe: Probe; command: string; exec: ExecOptions }> = [];
  probes.forEach((probe, i) => {
    if (probe.active && ctx.targets.length === 0) {
      record(i, skipped(probe, "active probe: runs only when the request names a target"));
      return;
    }
    try {
      const exec: ExecOptions = { timeoutMs: probe.timeoutMs, root: probe.root };
      if (options.maxBytes !== undefined) exec.maxBytes = options.maxBytes;
      runnable.push({ i, probe, command: probe.command(ctx), exec });
    } catch (e) {
      record(i, failedBeforeRun(probe, "", `cannot build the command: ${(e as Error).message}`));
    }
  });

  if (transport.execBatch) {
    // One session for all of them (ssh): far cheaper than a session per probe.
    try {
      await transport.execBatch(
        runnable.map((r) => ({ command: r.command, options: r.exec })),
        (k, result) => {
          const r = runnable[k]!;
          record(r.i, toEvidence(r.probe, r.command, result));
        },
      );
    } catch (e) {
      if (e instanceof TransportError) connectionError = e;
      else {
        for (const r of runnable) {
          if (!results[r.i]) record(r.i, failedBeforeRun(r.probe, r.command, (e as Error).message));
        }
      }
    }
  } else {
    let next = 0;
    const worker = async () => {
      while (!connectionError && next < runnable.length) {
        const r = runnable[next++]!;
        try {
          record(r.i, toEvidence(r.probe, r.command, await transport.exec(r.command, r.exec)));
        } catch (e) {
          if (e instanceof TransportError) connectionError ??= e;
          else record(r.i, failedBeforeRun(r.probe, r.command, (e as Error).message));
        }
      }
    };
    const workers = Math.max(1, Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, runnable.length));
    await Promise.all(Array.from({ length: workers }, worker));
  }

  const evidence = results.filter((e): e is Evidence => e !== undefined);
  if (connectionError) {
    connectionError.partial = evidence;
    throw connectionError;
  }
  return { version: 1, host: transport.host, time, targets: [...ctx.targets], evidence };
}

/** exec result → evidence status and a note in words for the user. */
export function toEvidence(probe: Probe, command: string, r: ExecResult): Evidence {
  const base: Evidence = {
    probe: probe.id,
    command,
    stdout: r.stdout,
    stderr: r.stderr,
    exitCode: r.exitCode,
    durationMs: r.durationMs,
    truncated: r.truncated,
    status: "ok",
  };
  const missing = missingTool(probe, r);
  if (r.timedOut)
    return { ...base, status: "timeout", note: `no answer within ${probe.timeoutMs} ms; stopped` };
  if (r.stderr.startsWith(NOT_RECORDED)) {
    return { ...base, status: "skipped", note: "not recorded in the replayed evidence bundle" };
  }
  if (r.permissionDenied) {
    const sudo = /^sudo: /m.test(r.stderr);
    return {
      ...base,
      status: "permission_denied",
      note: sudo
        ? `needs root, and sudo -n refused (${firstLine(r.stderr.match(/^sudo: .*$/m)?.[0] ?? r.stderr)})`
        : `permission denied: ${firstLine(r.stderr)}`,
    };
  }
  if (missing) return { ...base, status: "missing_tool", note: `${missing} is not installed` };
  if (r.exitCode !== null && r.exitCode !== 0) {
    const why = firstLine(r.stderr);
    return { ...base, status: "failed", note: `exited with ${r.exitCode}${why ? `: ${why}` : ""}` };
  }
  if (r.exitCode === null && !r.truncated)
    return { ...base, status: "failed", note: "killed before it finished" };
  if (r.truncated) return { ...base, note: "output cut at the size limit; the rest was not read" };
  return base;
}

/** Exit 127 or "X: not found" on stderr: the tool (or one it pipes into) is not installed. */
function missingTool(probe: Probe, r: ExecResult): string | undefined {
  const m = /(?:^|\s|:\s)([\w.+-]+): (?:command )?not found/m.exec(r.stderr);
  if (m && (r.exitCode === 127 || m[1] === probe.tool)) return m[1];
  if (r.exitCode === 127) return probe.tool;
  return undefined;
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0]?.slice(0, 200) ?? "";
}

function skipped(probe: Probe, note: string): Evidence {
  return {
    probe: probe.id,
    command: "",
    stdout: "",
    stderr: "",
    exitCode: null,
    durationMs: 0,
    truncated: false,
    status: "skipped",
    note,
  };
}

function failedBeforeRun(probe: Probe, command: string, note: string): Evidence {
  return { ...skipped(probe, note), command, status: "failed" };
}
