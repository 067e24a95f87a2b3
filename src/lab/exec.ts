import { execFile, execFileSync } from "node:child_process";

export interface CmdResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface RunOptions {
  /** Written to the child's stdin (ip -batch, iptables-restore, ...). */
  input?: string;
  timeoutMs?: number;
}

/** Runs argv without a shell; never throws for a non-zero exit (the caller decides). */
export function run(argv: readonly string[], options: RunOptions = {}): Promise<CmdResult> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new Error("run: empty argv"));
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        let code = 0;
        if (error) {
          const c = (error as { code?: unknown }).code;
          code = typeof c === "number" ? c : 127;
          if (!stderr && typeof c === "string") stderr = `${file}: ${c}`;
        }
        resolve({ stdout, stderr, code });
      },
    );
    if (options.input !== undefined) {
      child.stdin?.on("error", () => {});
      child.stdin?.end(options.input);
    }
  });
}

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: CmdResult,
  ) {
    super(`${argv.join(" ")} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
    this.name = "CommandError";
  }
}

/** Like run(), but a non-zero exit is an error: used for lab building, where every step must work. */
export async function runOk(argv: readonly string[], options: RunOptions = {}): Promise<CmdResult> {
  const result = await run(argv, options);
  if (result.code !== 0) throw new CommandError(argv, result);
  return result;
}

/** Synchronous variant for the process "exit" handler, where nothing asynchronous runs any more. */
export function runSync(argv: readonly string[]): number {
  const [file, ...args] = argv;
  if (!file) return 127;
  try {
    execFileSync(file, args, { stdio: "ignore", timeout: 10_000 });
    return 0;
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    return typeof status === "number" ? status : 1;
  }
}

/** argv that runs `argv` inside network namespace `ns`. */
export function inNs(ns: string, argv: readonly string[]): string[] {
  return ["ip", "netns", "exec", ns, ...argv];
}

/**
 * Whether a process still exists. EPERM means it exists but is not ours to signal: alive. (The lab
 * runs as root, so for its own children this is the same as "signal 0 works".)
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
