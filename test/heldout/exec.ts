/**
 * Process helpers of the held-out harness: its own, so the harness shares nothing with src/lab but
 * the sshd helper.
 */
import { type ChildProcess, spawn } from "node:child_process";

export interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(
  argv: readonly string[],
  opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<Out> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      env: opts.env,
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d) => {
      stdout += d;
    });
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 30_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: `${stderr}${e.message}` });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 137, stdout, stderr });
    });
    if (child.stdin) {
      child.stdin.on("error", () => {}); // a command that exits without reading its input
      child.stdin.end(opts.input);
    }
  });
}

export async function runOk(argv: readonly string[], opts: { input?: string } = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.code !== 0)
    throw new Error(`${argv.join(" ")} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

export const inNs = (ns: string, argv: readonly string[]): string[] => ["ip", "netns", "exec", ns, ...argv];

/** A long-running process in a namespace (a user who keeps pinging); the caller kills it by its pid. */
export function background(ns: string, argv: readonly string[]): ChildProcess {
  const child = spawn("ip", ["netns", "exec", ns, ...argv], { stdio: "ignore" });
  child.on("error", () => {});
  return child;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
