import type { FdbFact } from "../facts/types.js";
import type { Probe } from "./types.js";
import { jsonObjects, num, str, strings } from "./util.js";

const ID = "fdb";

/** `bridge -j fdb show`. Learned entries have state "" (§0.2 trap 6); hand-added ones "static". */
export function parseFdb(stdout: string): FdbFact[] {
  const out: FdbFact[] = [];
  for (const o of jsonObjects(ID, stdout, true)) {
    const mac = str(o.mac);
    const ifname = str(o.ifname);
    if (mac === undefined || ifname === undefined) continue;
    const fact: FdbFact = {
      mac: mac.toLowerCase(),
      ifname,
      state: str(o.state) ?? "",
      flags: strings(o.flags),
    };
    const master = str(o.master);
    if (master !== undefined) fact.master = master;
    const vlan = num(o.vlan);
    if (vlan !== undefined) fact.vlan = vlan;
    out.push(fact);
  }
  return out;
}

export const fdb: Probe<FdbFact[]> = {
  id: ID,
  command: () => "bridge -j fdb show",
  timeoutMs: 10_000,
  root: false,
  tool: "bridge",
  parse: (stdout) => parseFdb(stdout),
};
