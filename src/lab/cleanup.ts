import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { checkPrefix, NS_SUFFIXES, ROOT_LINK_SUFFIXES } from "./plan.js";
import { readState, releaseSubnetsOf, removeStateSync } from "./state.js";

/** Lab temp dirs are created as `${tmpdir()}/hostmedic-lab-<prefix>-XXXXXX`; nothing else is removed. */
export const LAB_DIR_BASE = "hostmedic-lab-";

function out(argv: string[]): string | null {
  const [file, ...args] = argv;
  try {
    return execFileSync(file as string, args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 10_000,
    });
  } catch {
    return null;
  }
}

function quiet(argv: string[]): void {
  out(argv);
}

/** Namespaces of this prefix that exist now (exact names only: prefix "hm" never matches "hmehost"). */
export function namespacesOfPrefix(prefix: string): string[] {
  const wanted = new Set(NS_SUFFIXES.map((s) => `${prefix}${s}`));
  const listed = out(["ip", "-j", "netns", "list"]);
  let names: string[] = [];
  try {
    names = (JSON.parse(listed?.trim() || "[]") as { name: string }[]).map((n) => n.name);
  } catch {
    names = [];
  }
  return names.filter((n) => wanted.has(n));
}

export function rootLinksOfPrefix(prefix: string): string[] {
  const listed = out(["ip", "-j", "link", "show"]);
  const wanted = new Set(ROOT_LINK_SUFFIXES.map((s) => `${prefix}${s}`));
  try {
    return (JSON.parse(listed?.trim() || "[]") as { ifname: string }[])
      .map((l) => l.ifname)
      .filter((n) => wanted.has(n));
  } catch {
    return [];
  }
}

function pidsIn(ns: string): number[] {
  return (out(["ip", "netns", "pids", ns]) ?? "")
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

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
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
 * namespaces, its temp dir, its state file and subnet reservations. Synchronous so that it also
 * works from a process "exit" handler. Idempotent.
 */
export function cleanupPrefixSync(prefix: string): void {
  checkPrefix(prefix);
  const namespaces = namespacesOfPrefix(prefix);
  let pids = namespaces.flatMap(pidsIn);
  if (pids.length > 0) {
    signalAll(pids, "SIGTERM");
    for (let i = 0; i < 50 && pids.length > 0; i++) {
      sleepSync(20);
      pids = namespaces.flatMap(pidsIn);
    }
    signalAll(pids, "SIGKILL");
  }
  for (const link of rootLinksOfPrefix(prefix)) quiet(["ip", "link", "del", link]);
  for (const ns of namespaces) quiet(["ip", "netns", "del", ns]);
  const state = readState(prefix);
  if (state?.dir) removeLabDir(state.dir);
  removeStateSync(prefix);
  releaseSubnetsOf(prefix);
}

export async function cleanupPrefix(prefix: string): Promise<void> {
  cleanupPrefixSync(prefix);
}

/**
 * Like cleanupPrefix, but leaves a lab alone while the process that made it still runs: test runs
 * of several engineers may overlap, and one run's start must not pull another run's lab away.
 * Returns true when something was removed or nothing was there.
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
