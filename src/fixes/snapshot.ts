/**
 * What a fix will change, captured before it runs, and the commands that put it back (§5.3 of the
 * catalog: "each rollback restores that recorded value"). The fix commands (already filled from
 * facts and validated by the engine) say what they touch; every name taken from them is checked
 * again here before it goes into a command.
 */
import { isIfname } from "../probes/util.js";
import type { RecordedValue } from "./types.js";

const SYSCTL_KEY = /^[A-Za-z0-9_.:@/-]{1,128}$/;
const SYSCTL_VALUE = /^[A-Za-z0-9 \t._-]{0,64}$/;
const CIDR4 = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** A read-only command whose output is the value a fix may change. */
export interface RecordSpec {
  kind: RecordedValue["kind"];
  key?: string;
  command: string;
}

function words(command: string): string[] {
  return command.trim().split(/\s+/);
}

/** The device after `dev`, or the first word after `set` (`ip link set vnet0 master br0`). */
function linkDevice(w: string[]): string | undefined {
  const dev = w.indexOf("dev");
  if (dev >= 0) return w[dev + 1];
  const set = w.indexOf("set");
  return set >= 0 ? w[set + 1] : undefined;
}

/**
 * The values each fix command touches. `uncovered` are fix commands this module cannot record and
 * restore; for those the rule's own rollback commands are the way back.
 */
export function recordSpecs(fixCommands: string[]): { specs: RecordSpec[]; uncovered: string[] } {
  const specs: RecordSpec[] = [];
  const uncovered: string[] = [];
  const add = (s: RecordSpec) => {
    if (!specs.some((x) => x.kind === s.kind && x.key === s.key)) specs.push(s);
  };
  for (const command of fixCommands) {
    const w = words(command);
    const tool = (w[0] ?? "").replace(/^.*\//, "");
    let covered = false;
    if (tool === "sysctl") {
      const keys = w
        .slice(1)
        .filter((x) => x.includes("="))
        .map((x) => x.slice(0, x.indexOf("=")));
      covered = keys.length > 0 && keys.every((k) => SYSCTL_KEY.test(k));
      if (covered) for (const key of keys) add({ kind: "sysctl", key, command: `sysctl -n ${key}` });
    } else if (
      tool === "iptables" ||
      tool === "iptables-restore" ||
      tool === "iptables-nft" ||
      tool === "iptables-legacy"
    ) {
      add({ kind: "iptables", command: "iptables-save" });
      covered = true;
    } else if (tool === "nft") {
      add({ kind: "nft", command: "nft -a list ruleset" });
      covered = true;
    } else if (tool === "ip" && /^(link|l)$/.test(w[1] ?? "") && w[2] === "set") {
      const dev = linkDevice(w);
      covered = dev !== undefined && isIfname(dev);
      if (covered) add({ kind: "link", key: dev, command: `ip -j -d link show dev ${dev}` });
    } else if (tool === "bridge" && w[1] === "link" && w[2] === "set") {
      const dev = linkDevice(w);
      covered = dev !== undefined && isIfname(dev);
      if (covered) add({ kind: "bridge_port", key: dev, command: `bridge -j -d link show dev ${dev}` });
    } else if (tool === "ip" && /^(addr|address|a)$/.test(w[1] ?? "")) {
      const dev = linkDevice(w);
      covered = dev !== undefined && isIfname(dev);
      if (covered) add({ kind: "addresses", key: dev, command: `ip -j addr show dev ${dev}` });
    } else if (tool === "ip" && /^(route|r|ro)$/.test(w[1] ?? "")) {
      add({ kind: "routes", command: "ip -j route show table main" });
      covered = true;
    }
    if (!covered) uncovered.push(command);
  }
  return { specs, uncovered };
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

interface LinkJson {
  ifname?: string;
  flags?: string[];
  mtu?: number;
  master?: string;
}
interface AddrJson {
  ifname?: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}
interface RouteJson {
  dst?: string;
  table?: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  prefsrc?: string;
  metric?: number;
  scope?: string;
  type?: string;
}

function json<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

const PORT_STATES: Record<string, number> = {
  disabled: 0,
  listening: 1,
  learning: 2,
  forwarding: 3,
  blocking: 4,
};
// bridge -j -d link keys and the `bridge link set` option that sets each.
const PORT_FLAGS: [string, string][] = [
  ["learning", "learning"],
  ["flood", "flood"],
  ["mcast_flood", "mcast_flood"],
  ["bcast_flood", "bcast_flood"],
  ["hairpin", "hairpin"],
  ["isolated", "isolated"],
  ["neigh_suppress", "neigh_suppress"],
  ["proxy_arp", "proxy_arp"],
  ["guard", "guard"],
  ["root_block", "root_block"],
  ["locked", "locked"],
];

function addrSet(text: string): Set<string> {
  const rows = json<AddrJson[]>(text) ?? [];
  const out = new Set<string>();
  for (const r of rows)
    for (const a of r.addr_info ?? [])
      if (a.family === "inet" && a.local && IPV4.test(a.local)) out.add(`${a.local}/${a.prefixlen ?? 32}`);
  return out;
}

function routeKey(r: RouteJson): string | undefined {
  // Connected routes come and go with addresses; restoring the addresses restores them.
  if (r.protocol === "kernel" || (r.type && r.type !== "unicast")) return undefined;
  if (r.table && r.table !== "main") return undefined;
  const dst = r.dst === "default" || (r.dst && (CIDR4.test(r.dst) || IPV4.test(r.dst))) ? r.dst : undefined;
  if (!dst) return undefined;
  if (r.gateway && !IPV4.test(r.gateway)) return undefined;
  if (r.dev && !isIfname(r.dev)) return undefined;
  if (r.prefsrc && !IPV4.test(r.prefsrc)) return undefined;
  return [
    dst,
    r.gateway ? `via ${r.gateway}` : "",
    r.dev ? `dev ${r.dev}` : "",
    r.metric !== undefined && Number.isInteger(r.metric) ? `metric ${r.metric}` : "",
  ]
    .filter(Boolean)
    .join(" ");
}

function routeSet(text: string): Set<string> {
  const out = new Set<string>();
  for (const r of json<RouteJson[]>(text) ?? []) {
    const k = routeKey(r);
    if (k) out.add(k);
  }
  return out;
}

/**
 * Commands that put one recorded value back, given what the host shows now (`current`, the output
 * of the same record command). Absolute where the tool allows it (sysctl, rulesets, link and port
 * settings), a difference where it does not (addresses, routes).
 */
export function restoreCommands(rec: RecordedValue, current: string | undefined): string[] {
  switch (rec.kind) {
    case "sysctl": {
      const value = rec.value.trim();
      if (!rec.key || !SYSCTL_KEY.test(rec.key) || !SYSCTL_VALUE.test(value)) return [];
      return [`sysctl -w ${rec.key}=${/\s/.test(value) ? `'${value}'` : value}`];
    }
    case "iptables":
      return [`sh -c 'printf %s ${b64(rec.value)} | base64 -d | iptables-restore'`];
    case "nft":
      // One transaction: the flush and the old ruleset load together or not at all.
      return [`sh -c '{ echo flush ruleset; printf %s ${b64(rec.value)} | base64 -d; } | nft -f -'`];
    case "link": {
      const dev = rec.key;
      const link = json<LinkJson[]>(rec.value)?.[0];
      if (!dev || !isIfname(dev) || !link) return [];
      const cmds: string[] = [];
      if (link.master === undefined) cmds.push(`ip link set dev ${dev} nomaster`);
      else if (isIfname(link.master)) cmds.push(`ip link set dev ${dev} master ${link.master}`);
      if (Number.isInteger(link.mtu)) cmds.push(`ip link set dev ${dev} mtu ${link.mtu}`);
      cmds.push(`ip link set dev ${dev} ${link.flags?.includes("UP") ? "up" : "down"}`);
      return cmds;
    }
    case "bridge_port": {
      const dev = rec.key;
      const port = json<Record<string, unknown>[]>(rec.value)?.[0];
      if (!dev || !isIfname(dev) || !port) return [];
      const opts: string[] = [];
      for (const [key, opt] of PORT_FLAGS)
        if (typeof port[key] === "boolean") opts.push(`${opt} ${port[key] ? "on" : "off"}`);
      if (typeof port.state === "string" && port.state in PORT_STATES)
        opts.push(`state ${PORT_STATES[port.state]}`);
      if (Number.isInteger(port.cost)) opts.push(`cost ${port.cost}`);
      if (Number.isInteger(port.priority)) opts.push(`priority ${port.priority}`);
      return opts.length ? [`bridge link set dev ${dev} ${opts.join(" ")}`] : [];
    }
    case "addresses": {
      const dev = rec.key;
      if (!dev || !isIfname(dev) || current === undefined) return [];
      const before = addrSet(rec.value);
      const now = addrSet(current);
      return [
        ...[...now].filter((a) => !before.has(a)).map((a) => `ip addr del ${a} dev ${dev}`),
        ...[...before].filter((a) => !now.has(a)).map((a) => `ip addr add ${a} dev ${dev}`),
      ];
    }
    case "routes": {
      if (current === undefined) return [];
      const before = routeSet(rec.value);
      const now = routeSet(current);
      return [
        ...[...now].filter((r) => !before.has(r)).map((r) => `ip route del ${r}`),
        ...[...before].filter((r) => !now.has(r)).map((r) => `ip route add ${r}`),
      ];
    }
  }
}

/** The part of a recorded value that a restore brings back, for "the host is as before". */
export function normalise(kind: RecordedValue["kind"], text: string): string {
  switch (kind) {
    case "sysctl":
      return text.trim();
    case "iptables":
      return text
        .split("\n")
        .filter((l) => l.trim() !== "" && !l.startsWith("#"))
        .map((l) => l.replace(/\[\d+:\d+\]/g, "").trim())
        .join("\n");
    case "nft":
      return text
        .split("\n")
        .map((l) =>
          l
            .replace(/\s*# handle \d+/g, "")
            .replace(/counter packets \d+ bytes \d+/g, "counter")
            .trimEnd(),
        )
        .filter((l) => l.trim() !== "")
        .join("\n");
    case "link": {
      const l = json<LinkJson[]>(text)?.[0];
      return JSON.stringify(
        l ? { master: l.master ?? null, up: l.flags?.includes("UP") ?? false, mtu: l.mtu } : null,
      );
    }
    case "bridge_port": {
      const p = json<Record<string, unknown>[]>(text)?.[0];
      if (!p) return "null";
      const pick: Record<string, unknown> = { state: p.state };
      for (const [key] of PORT_FLAGS) if (key in p) pick[key] = p[key];
      return JSON.stringify(pick);
    }
    case "addresses":
      return [...addrSet(text)].sort().join(",");
    case "routes":
      return [...routeSet(text)].sort().join("\n");
  }
}
