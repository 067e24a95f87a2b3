import { existsSync } from "node:fs";
import { processAlive, run } from "./exec.js";
import { nsName } from "./plan.js";
import { readReservations, readState, releaseSubnetsOf, reserveSubnet, withAllocLock } from "./state.js";

/** A /30 out of 192.0.2.0/24: `.root` stays in the root namespace, `.peer` goes into a lab namespace. */
export interface Subnet {
  network: string;
  root: string;
  peer: string;
  prefixLen: 30;
}

// 192.0.2.240/28 is used inside namespaces (eno3 LAN, host<->bastion link), so it is never handed out.
const POOL_END = 240;

function subnetAt(base: number): Subnet {
  return {
    network: `192.0.2.${base}`,
    root: `192.0.2.${base + 1}`,
    peer: `192.0.2.${base + 2}`,
    prefixLen: 30,
  };
}

function ipToInt(ip: string): number {
  return ip.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

/**
 * 192.0.2.x/30 bases already taken in the root namespace. This machine's own uplink may sit in
 * 192.0.2.0/24 itself (here: eth0 192.0.2.2/24 via 192.0.2.1), so a covering /24 route does not
 * make the pool unusable; what counts is every address in use (local, gateways, neighbours) and
 * every more specific route (other labs' /30s, anyone's host routes).
 */
async function usedInRoot(): Promise<Set<number>> {
  const used = new Set<number>();
  const [addrs, routes, neigh] = await Promise.all([
    run(["ip", "-j", "-4", "addr", "show"]),
    run(["ip", "-j", "-4", "route", "show", "table", "all"]),
    run(["ip", "-j", "-4", "neigh", "show"]),
  ]);
  for (const link of parse<AddrLink>(addrs.stdout)) {
    for (const a of link.addr_info ?? []) if (a.local) markOverlap(used, a.local, 32);
  }
  for (const r of parse<RouteRow>(routes.stdout)) {
    if (r.gateway) markOverlap(used, r.gateway, 32);
    if (r.prefsrc) markOverlap(used, r.prefsrc, 32);
    if (!r.dst || r.dst === "default") continue;
    const [ip, len] = r.dst.split("/");
    const prefixLen = len ? Number(len) : 32;
    if (ip && prefixLen > 24) markOverlap(used, ip, prefixLen);
  }
  for (const n of parse<{ dst?: string }>(neigh.stdout)) if (n.dst) markOverlap(used, n.dst, 32);
  return used;
}

function parse<T>(json: string): T[] {
  try {
    return JSON.parse(json.trim() || "[]") as T[];
  } catch {
    return [];
  }
}

interface AddrLink {
  addr_info?: { local?: string; prefixlen?: number }[];
}
interface RouteRow {
  dst?: string;
  gateway?: string;
  prefsrc?: string;
}

function markOverlap(used: Set<number>, ip: string, prefixLen: number): void {
  const len = Math.max(0, Math.min(32, prefixLen));
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const start = (ipToInt(ip) & mask) >>> 0;
  const end = (start + 2 ** (32 - len) - 1) >>> 0;
  const poolStart = ipToInt("192.0.2.0");
  for (let base = 0; base < 256; base += 4) {
    const s = poolStart + base;
    if (s + 3 >= start && s <= end) used.add(base);
  }
}

/** A reservation is stale when its owner left no state file, or its process died and left no namespace. */
function isStale(owner: string): boolean {
  const state = readState(owner);
  if (!state) return !existsSync(`/run/netns/${nsName(owner, "host")}`);
  if (existsSync(`/run/netns/${nsName(owner, "host")}`)) return false;
  return !processAlive(state.pid);
}

/**
 * Reserves `count` free /30 subnets for `prefix` under the machine-wide lock. `beforeRelease` runs
 * inside the lock so the caller can write its state file before anyone else looks.
 */
export function allocateSubnets(
  prefix: string,
  count: number,
  beforeRelease: () => Promise<void> = async () => {},
): Promise<Subnet[]> {
  return withAllocLock(async () => {
    const used = await usedInRoot();
    const reservations = readReservations();
    for (const [network, owner] of reservations) {
      // Our own prefix: leftovers of an earlier lab of that name (labUp refused to run over a live one).
      if (owner === prefix || isStale(owner)) {
        releaseSubnetsOf(owner);
        continue;
      }
      used.add(Number(network.split(".")[3]));
    }
    const picked: Subnet[] = [];
    // From the top down: far from the low addresses a LAN in 192.0.2.0/24 hands out first.
    for (let base = POOL_END - 4; base >= 0 && picked.length < count; base -= 4) {
      if (!used.has(base)) picked.push(subnetAt(base));
    }
    if (picked.length < count) throw new Error("lab: no free 192.0.2.x/30 left for a management link");
    for (const s of picked) reserveSubnet(s.network, prefix);
    await beforeRelease();
    return picked;
  });
}
