import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { run } from "./exec.js";
import { checkPrefix, NS_SUFFIXES, ROOT_LINK_SUFFIXES } from "./plan.js";
import { readState, releaseSubnetsOf, removeStateSync } from "./state.js";

/** Lab temp dirs are created as `${tmpdir()}/hostmedic-lab-<prefix>-XXXXXX`; nothing else is removed. */
export const LAB_DIR_BASE = "hostmedic-lab-";

/** One step of a cleanup: a command (its stdout comes back, null when it failed) or a pause. */
type Step = { argv: string[]; input?: string } | { sleepMs: number };

function outSync(argv: string[], input?: string): string | null {
  const [file, ...args] = argv;
  try {
    return execFileSync(file as string, args, {
      encoding: "utf8",
      input,
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "ignore"],
      timeout: 10_000,
    });
  } catch {
    return null;
  }
}

function outAsync(argv: string[], input?: string): Promise<string | null> {
  return run(argv, input === undefined ? {} : { input }).then((r) => (r.code === 0 ? r.stdout : null));
}

function parseNames(json: string | null, key: "name" | "ifname"): string[] {
  try {
    return (JSON.parse(json?.trim() || "[]") as Record<string, string>[]).map((row) => row[key] ?? "");
  } catch {
    return [];
  }
}

function parsePids(text: string | null): number[] {
  return (text ?? "")
    .split(/\s+/)
    .map(Number)
    .filter((p) => Number.isInteger(p) && p > 1 && p !== process.pid);
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * The cleanup of one prefix as a sequence of steps, so the same logic runs synchronously (from a
 * process "exit" handler) and asynchronously (down(), many labs in parallel).
 */
function* cleanupSteps(prefix: string): Generator<Step, void, string | null> {
  const wantedNs = new Set(NS_SUFFIXES.map((s) => `${prefix}${s}`));
  const namespaces = parseNames(yield { argv: ["ip", "-j", "netns", "list"] }, "name").filter((n) =>
    wantedNs.has(n),
  );
  const pidsNow = function* (): Generator<Step, number[], string | null> {
    const pids: number[] = [];
    for (const ns of namespaces) pids.push(...parsePids(yield { argv: ["ip", "netns", "pids", ns] }));
    return pids;
  };
  let pids = yield* pidsNow();
  if (pids.length > 0) {
    signalAll(pids, "SIGTERM");
    for (let i = 0; i < 50 && pids.length > 0; i++) {
      yield { sleepMs: 20 };
      pids = yield* pidsNow();
    }
    signalAll(pids, "SIGKILL");
  }
  const wantedLinks = new Set(ROOT_LINK_SUFFIXES.map((s) => `${prefix}${s}`));
  const links = parseNames(yield { argv: ["ip", "-j", "link", "show"] }, "ifname").filter((n) =>
    wantedLinks.has(n),
  );
  const batch = [...links.map((l) => `link del ${l}`), ...namespaces.map((n) => `netns del ${n}`)];
  if (batch.length > 0) yield { argv: ["ip", "-force", "-batch", "-"], input: `${batch.join("\n")}\n` };
  const state = readState(prefix);
  if (state?.dir) removeLabDir(state.dir);
  removeStateSync(prefix);
  releaseSubnetsOf(prefix);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Namespaces of this prefix that exist now (exact names only: prefix "hm" never matches "hmehost"). */
export function namespacesOfPrefix(prefix: string): string[] {
  const wanted = new Set(NS_SUFFIXES.map((s) => `${prefix}${s}`));
  return parseNames(outSync(["ip", "-j", "netns", "list"]), "name").filter((n) => wanted.has(n));
}

export function rootLinksOfPrefix(prefix: string): string[] {
  const wanted = new Set(ROOT_LINK_SUFFIXES.map((s) => `${prefix}${s}`));
  return parseNames(outSync(["ip", "-j", "link", "show"]), "ifname").filter((n) => wanted.has(n));
}

/** Removes a lab dir only when it is one of ours (under tmpdir, our name pattern). */
export function removeLabDir(dir: string): void {
  const base = resolve(tmpdir());
  const abs = resolve(dir);
  if (abs.startsWith(join(base, LAB_DIR_BASE)) && !abs.slice(base.length + 1).includes("/")) {
    rmSync(abs, { recursive: true, force: true });
  }
}

/**
 * Removes everything a lab with this prefix may have left (also after a crash): processes running
 * in its namespaces (sshd, dnsmasq, DHCP clients, traffic generators), its root-side links, its
 * namespaces, its temp dir, its state file and subnet reservations. Idempotent. Synchronous, so it
 * also works from a process "exit" handler.
 */
export function cleanupPrefixSync(prefix: string): void {
  checkPrefix(prefix);
  const steps = cleanupSteps(prefix);
  let next = steps.next();
  while (!next.done) {
    const step = next.value;
    if ("sleepMs" in step) {
      sleepSync(step.sleepMs);
      next = steps.next(null);
    } else {
      next = steps.next(outSync(step.argv, step.input));
    }
  }
}

/** cleanupPrefixSync without blocking the event loop (labs taken down in parallel). */
export async function cleanupPrefix(prefix: string): Promise<void> {
  checkPrefix(prefix);
  const steps = cleanupSteps(prefix);
  let next = steps.next();
  while (!next.done) {
    const step = next.value;
    if ("sleepMs" in step) {
      await new Promise((r) => setTimeout(r, step.sleepMs));
      next = steps.next(null);
    } else {
      next = steps.next(await outAsync(step.argv, step.input));
    }
  }
}

/**
 * Like cleanupPrefix, but leaves a lab alone while the process that made it still runs: test runs
 * of several engineers may overlap, and one run's start must not pull another run's lab away.
 * Returns true when it cleaned (or there was nothing), false when the lab's owner is alive.
 */
export function cleanupStalePrefix(prefix: string): boolean {
  const state = readState(prefix);
  if (state && state.pid !== process.pid) {
    try {
      process.kill(state.pid, 0);
      return false;
    } catch {
      // owner gone: stale
    }
  }
  cleanupPrefixSync(prefix);
  return true;
}

// Labs of this process that must not outlive it (Ctrl-C, SIGTERM from a test runner, a crash).
const live = new Set<string>();
let installed = false;

function onExit(): void {
  for (const prefix of live) cleanupPrefixSync(prefix);
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  onExit();
  uninstall();
  process.kill(process.pid, signal);
}

function uninstall(): void {
  if (!installed) return;
  process.off("exit", onExit);
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  installed = false;
}

export function trackLab(prefix: string): void {
  live.add(prefix);
  if (installed) return;
  process.on("exit", onExit);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  installed = true;
}

export function untrackLab(prefix: string): void {
  live.delete(prefix);
  if (live.size === 0) uninstall();
}
