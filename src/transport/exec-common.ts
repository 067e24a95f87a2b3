/** What the ssh and local transports share: command wrapping, output caps, verdicts on the result. */

import type { ExecOptions, ExecResult } from "./types.js";

export const DEFAULT_MAX_BYTES = 1024 * 1024;
/** Seconds `timeout` waits after TERM before it sends KILL. */
export const KILL_GRACE_S = 2;
/** The client-side backstop fires this long after the command's own timeout. */
export const BACKSTOP_MS = 1_500;

/** POSIX single-quote: the text reaches `sh -c` as one word, nothing expanded. */
export function shQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * `exec [sudo -n] timeout -k 2 <secs> sh -c '<command>'`: the command is killed on the host itself when
 * it runs too long (and its whole process group with it), so a hung probe leaves nothing behind even
 * when the client is gone. `sudo -n` never prompts: it fails at once when a password is wanted.
 */
export function wrapCommand(command: string, timeoutMs: number, sudo: boolean): string {
  const secs = Math.max(0.1, timeoutMs / 1000)
    .toFixed(3)
    .replace(/\.?0+$/, "");
  return `exec ${sudo ? "sudo -n " : ""}timeout -k ${KILL_GRACE_S} ${secs} sh -c ${shQuote(command)}`;
}

/** Collects a stream up to `max` bytes; past that it only counts and says truncated. */
export class OutputCap {
  private chunks: Buffer[] = [];
  private kept = 0;
  truncated = false;

  constructor(private readonly max: number) {}

  /** Returns false once the cap is reached: the caller should stop reading. */
  push(chunk: Buffer): boolean {
    if (this.truncated) return false;
    const room = this.max - this.kept;
    if (chunk.length > room) {
      if (room > 0) this.chunks.push(chunk.subarray(0, room));
      this.kept = this.max;
      this.truncated = true;
      return false;
    }
    this.chunks.push(chunk);
    this.kept += chunk.length;
    return true;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

const SUDO_REFUSED = [
  /^sudo: a password is required/m,
  /^sudo: a terminal is required/m,
  /^sudo: .*is not in the sudoers file/m,
  /^Sorry, user \S+ may not run sudo/m,
];

/** sudo -n refused (wants a password, no rights), or the command itself was refused by the kernel. */
export function isPermissionDenied(stderr: string, exitCode: number | null): boolean {
  if (SUDO_REFUSED.some((re) => re.test(stderr))) return true;
  return exitCode !== 0 && /Permission denied|Operation not permitted/.test(stderr);
}

/** `timeout` exits 124 after TERM, 137 after KILL; only count it when the time was really spent. */
export function isTimeoutExit(exitCode: number | null, elapsedMs: number, timeoutMs: number): boolean {
  return (exitCode === 124 || exitCode === 137) && elapsedMs >= timeoutMs * 0.9;
}

/** What a finished command left: its output, exit code and time, before the verdicts. */
export interface ExecOutcome
  extends Pick<ExecResult, "stdout" | "stderr" | "exitCode" | "durationMs" | "truncated"> {
  /** The client-side backstop ended it: a timeout whatever the exit code says. */
  backstopFired?: boolean;
}

/** The ExecResult of a finished command: timed out (then no exit code) or refused, from its outcome. */
export function execResult(outcome: ExecOutcome, timeoutMs: number): ExecResult {
  const { stdout, stderr, exitCode, durationMs, truncated } = outcome;
  const timedOut = outcome.backstopFired === true || isTimeoutExit(exitCode, durationMs, timeoutMs);
  return {
    stdout,
    stderr,
    exitCode: timedOut ? null : exitCode,
    durationMs,
    truncated,
    timedOut,
    permissionDenied: !timedOut && isPermissionDenied(stderr, exitCode),
  };
}

/** The output of one running command: both streams capped, timed from its start, judged at its end. */
export class CommandOutput {
  readonly stdout: OutputCap;
  readonly stderr: OutputCap;
  private readonly started = performance.now();

  constructor(private readonly options: ExecOptions) {
    this.stdout = new OutputCap(options.maxBytes ?? DEFAULT_MAX_BYTES);
    this.stderr = new OutputCap(options.maxBytes ?? DEFAULT_MAX_BYTES);
  }

  result(exitCode: number | null, backstopFired: boolean): ExecResult {
    return execResult(
      {
        stdout: this.stdout.text(),
        stderr: this.stderr.text(),
        exitCode,
        durationMs: Math.round(performance.now() - this.started),
        truncated: this.stdout.truncated || this.stderr.truncated,
        backstopFired,
      },
      this.options.timeoutMs,
    );
  }
}

/** A FIFO limit on how many commands run at once on one host (sshd allows 10 sessions). */
export class Limiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }
}
