import type { BridgePortFact } from "../facts/types.js";
import type { Probe } from "./types.js";
import { bool, jsonObjects, num, str, strings } from "./util.js";

const ID = "bridgePorts";

/** `bridge -j -d link show`. `link` is never used: for veths it is resolved in the wrong netns (§0.2 trap 3). */
export function parseBridgePorts(stdout: string): BridgePortFact[] {
  const out: BridgePortFact[] = [];
  for (const o of jsonObjects(ID, stdout, true)) {
    const ifname = str(o.ifname);
    if (ifname === undefined) continue;
    const port: BridgePortFact = {
      ifname,
      ifindex: num(o.ifindex) ?? -1,
      state: str(o.state) ?? "unknown",
      flags: strings(o.flags),
    };
    const master = str(o.master);
    if (master !== undefined) port.master = master;
    const nums = [
      ["mtu", o.mtu],
      ["priority", o.priority],
      ["cost", o.cost],
    ] as const;
    for (const [k, v] of nums) {
      const n = num(v);
      if (n !== undefined) port[k] = n;
    }
    const bools = [
      ["learning", o.learning],
      ["flood", o.flood],
      ["mcastFlood", o.mcast_flood],
      ["bcastFlood", o.bcast_flood],
      ["hairpin", o.hairpin],
      ["isolated", o.isolated],
      ["locked", o.locked],
      ["neighSuppress", o.neigh_suppress],
      ["proxyArp", o.proxy_arp],
    ] as const;
    for (const [k, v] of bools) {
      const b = bool(v);
      if (b !== undefined) port[k] = b;
    }
    out.push(port);
  }
  return out;
}

export const bridgePorts: Probe<BridgePortFact[]> = {
  id: ID,
  command: () => "bridge -j -d link show",
  timeoutMs: 10_000,
  root: false,
  tool: "bridge",
  parse: (stdout) => parseBridgePorts(stdout),
};
