import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { processAlive, sleep } from "./exec.js";

/** Machine-wide lab bookkeeping: shared by every process (tests, CLI, benchmarks) on this machine. */
export const RUN_DIR = "/run/hostmedic-lab";
const LOCK_FILE = join(RUN_DIR, "alloc.lock");
const SUBNET_DIR = join(RUN_DIR, "subnets");

/** What another process needs to find and remove a running lab. */
export interface LabState {
  prefix: string;
  dir: string;
  hostName: string;
  address: string;
  port: number;
  keyFile: string;
  knownHostsFile: string;
  inventoryFile: string;
  extras: string[];
  bastion: boolean;
  /** Management address of the bastion's sshd, when there is one. */
  bastionAddress?: string;
  sshUsers: boolean;
  pid: number;
  startedAt: string;
}

export function ensureRunDir(): void {
  mkdirSync(SUBNET_DIR, { recursive: true, mode: 0o755 });
}

export function stateFile(prefix: string): string {
  return join(RUN_DIR, `${prefix}.json`);
}

export async function writeState(state: LabState): Promise<void> {
  ensureRunDir();
  await writeFile(stateFile(state.prefix), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o644 });
}

export function readState(prefix: string): LabState | null {
  try {
    return JSON.parse(readFileSync(stateFile(prefix), "utf8")) as LabState;
  } catch {
    return null;
  }
}

export function removeStateSync(prefix: string): void {
  rmSync(stateFile(prefix), { force: true });
}

// One promise chain per process plus an O_EXCL lock file across processes: twenty labs started at
// once from one benchmark, or tests of several engineers, must never pick the same subnet.
let chain: Promise<unknown> = Promise.resolve();

export function withAllocLock<T>(fn: () => Promise<T>): Promise<T> {
  const next = chain.then(() => withFileLock(fn));
  chain = next.catch(() => {});
  return next;
}

async function withFileLock<T>(fn: () => Promise<T>): Promise<T> {
  ensureRunDir();
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const handle = await open(LOCK_FILE, "wx", 0o644);
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      await breakStaleLock();
      if (Date.now() > deadline) throw new Error(`lab: could not take ${LOCK_FILE} within 30 s`);
      await sleep(20 + Math.random() * 30);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(LOCK_FILE, { force: true });
  }
}

async function breakStaleLock(): Promise<void> {
  try {
    const owner = Number((await readFile(LOCK_FILE, "utf8")).trim());
    const age = Date.now() - (await stat(LOCK_FILE)).mtimeMs;
    // An empty file is a holder between open and write; only give up on it after a while.
    if ((owner > 0 && !processAlive(owner)) || age > 20_000) await rm(LOCK_FILE, { force: true });
  } catch {
    // vanished meanwhile: fine
  }
}

/** Subnets (first address, e.g. "192.0.2.4") reserved by labs, with the owning prefix. */
export function readReservations(): Map<string, string> {
  ensureRunDir();
  const out = new Map<string, string>();
  for (const name of readdirSync(SUBNET_DIR)) {
    try {
      out.set(name, readFileSync(join(SUBNET_DIR, name), "utf8").trim());
    } catch {
      // removed meanwhile
    }
  }
  return out;
}

export function reserveSubnet(network: string, prefix: string): void {
  writeFileSync(join(SUBNET_DIR, network), `${prefix}\n`, { mode: 0o644 });
}

export function releaseSubnetsOf(prefix: string): void {
  for (const [network, owner] of readReservations()) {
    if (owner === prefix) rmSync(join(SUBNET_DIR, network), { force: true });
  }
}
