import type { VlanFact } from "../facts/types.js";
import { ParseError, type Probe } from "./types.js";
import { isObject, type Json, num, parseJson, str, strings } from "./util.js";

const ID = "vlans";

function vlanEntries(ifname: string, list: Json | undefined): VlanFact {
  if (!Array.isArray(list)) throw new ParseError(ID, `${ID}: vlans of ${ifname} are not a list`);
  const vlans: VlanFact["vlans"] = [];
  for (const v of list) {
    if (!isObject(v)) continue;
    const vid = num(v.vlan);
    if (vid === undefined) continue;
    const flags = strings(v.flags);
    const entry: VlanFact["vlans"][number] = {
      vid,
      pvid: flags.includes("PVID"),
      untagged: flags.includes("Egress Untagged"),
    };
    const end = num(v.vlanEnd);
    if (end !== undefined) entry.vidEnd = end;
    vlans.push(entry);
  }
  return { ifname, vlans };
}

/**
 * `bridge -j vlan show`: iproute2 ≥5 prints `[{"ifname":..,"vlans":[..]}]`; 4.x printed an
 * object keyed by ifname (§4.7). Without vlan_filtering the output is `[]` or empty.
 */
export function parseVlans(stdout: string): VlanFact[] {
  if (stdout.trim() === "") return [];
  const data = parseJson(ID, stdout);
  if (Array.isArray(data)) {
    return data.filter(isObject).flatMap((o) => {
      const ifname = str(o.ifname);
      return ifname === undefined ? [] : [vlanEntries(ifname, o.vlans)];
    });
  }
  if (isObject(data)) return Object.entries(data).map(([ifname, list]) => vlanEntries(ifname, list));
  throw new ParseError(ID, `${ID}: expected a JSON array or object`);
}

export const vlans: Probe<VlanFact[]> = {
  id: ID,
  command: () => "bridge -j vlan show",
  timeoutMs: 10_000,
  root: false,
  tool: "bridge",
  parse: (stdout) => parseVlans(stdout),
};
