import type { AddressFact } from "../facts/types.js";
import type { Probe } from "./types.js";
import { isObject, jsonObjects, num, str } from "./util.js";

const ID = "addresses";

/** `ip -j addr show`: one object per link with `addr_info[]`. */
export function parseAddresses(stdout: string): AddressFact[] {
  const out: AddressFact[] = [];
  for (const o of jsonObjects(ID, stdout)) {
    const ifname = str(o.ifname);
    if (ifname === undefined) continue;
    const infos = Array.isArray(o.addr_info) ? o.addr_info : [];
    for (const a of infos) {
      if (!isObject(a)) continue;
      const family = str(a.family);
      const local = str(a.local);
      const prefixlen = num(a.prefixlen);
      if ((family !== "inet" && family !== "inet6") || local === undefined || prefixlen === undefined)
        continue;
      const fact: AddressFact = { ifname, family, local, prefixlen };
      const scope = str(a.scope);
      if (scope !== undefined) fact.scope = scope;
      out.push(fact);
    }
  }
  return out;
}

export const addresses: Probe<AddressFact[]> = {
  id: ID,
  command: () => "ip -j addr show",
  timeoutMs: 10_000,
  root: false,
  tool: "ip",
  parse: (stdout) => parseAddresses(stdout),
};
