import { type ChildProcess, spawn } from "node:child_process";
import { BACKSTOP_MS, CommandOutput, Limiter, wrapCommand } from "./exec-common.js";
import type { ExecOptions, ExecResult, Transport } from "./types.js";

export interface LocalOptions {
  /** Commands running at once; the rest wait in order. */
  maxParallel?: number;
  /** Whether this process runs as root (then no sudo); default from process.getuid(). */
  isRoot?: boolean;
}

/**
 * Runs probes on this machine with the same semantics as over SSH: `timeout` around each command,
 * its process group killed by the backstop, output caps, `sudo -n` for root probes when not root.
 */
export function localTransport(options: LocalOptions = {}): Transport {
  return new LocalTransport(options.maxParallel ?? 6, options.isRoot ?? process.getuid?.() === 0);
}

class LocalTransport implements Transport {
  readonly host = "localhost";
  readonly kind = "local" as const;
  private readonly limiter: Limiter;
  private readonly running = new Set<ChildProcess>();
  private closed = false;

  constructor(
    maxParallel: number,
    private readonly isRoot: boolean,
  ) {
    this.limiter = new Limiter(maxParallel);
  }

  exec(command: string, options: ExecOptions): Promise<ExecResult> {
    return this.limiter.run(() => this.run(command, options));
  }

  private run(command: string, options: ExecOptions): Promise<ExecResult> {
    if (this.closed) return Promise.reject(new Error("local transport is closed"));
    const sudo = options.root === true && !this.isRoot;
    const output = new CommandOutput(options);
    return new Promise((resolve, reject) => {
      // detached: the command gets its own process group, so a kill reaches its children too.
      const child = spawn("sh", ["-c", wrapCommand(command, options.timeoutMs, sudo)], {
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
      this.running.add(child);
      let finished = false;
      let backstopFired = false;
      const stop = () => killGroup(child);
      const finish = (exitCode: number | null, error?: Error) => {
        if (finished) return;
        finished = true;
        clearTimeout(backstop);
        this.running.delete(child);
        if (error) return reject(error);
        resolve(output.result(exitCode, backstopFired));
      };
      const backstop = setTimeout(() => {
        backstopFired = true;
        stop();
        finish(null);
      }, options.timeoutMs + BACKSTOP_MS);
      child.stdout!.on("data", (d: Buffer) => {
        if (!output.stdout.push(d)) stop();
      });
      child.stderr!.on("data", (d: Buffer) => {
        if (!output.stderr.push(d)) stop();
      });
      child.on("error", (e) => finish(null, new Error(`cannot run ${command}: ${e.message}`)));
      child.on("close", (code) => finish(code));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const child of this.running) killGroup(child);
  }
}

/** TERM to the whole group now, KILL a moment later for anything that ignored it. */
function killGroup(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return;
  const send = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is gone
    }
  };
  send("SIGTERM");
  setTimeout(() => send("SIGKILL"), 1_000).unref();
}
