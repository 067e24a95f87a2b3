import type { HostFacts } from "../facts/types.js";
import { isIPv4 } from "../probes/util.js";

/**
 * Addresses of the VMs a person named ("vm web01 cannot reach the host"), from the host's own
 * facts: virsh's domain addresses, else the neighbour entries of the domain's MACs. Names that
 * the host does not know resolve to nothing.
 */
export function addressesOfVms(facts: HostFacts, names: string[]): string[] {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const out = new Set<string>();
  for (const d of facts.parsed.virsh?.domains ?? []) {
    if (!wanted.has(d.name.toLowerCase())) continue;
    for (const a of d.addresses) if (isIPv4(a.address)) out.add(a.address);
    const macs = new Set(d.interfaces.map((i) => i.mac.toLowerCase()));
    for (const n of facts.parsed.neighbours ?? [])
      if (n.lladdr && macs.has(n.lladdr.toLowerCase()) && isIPv4(n.dst)) out.add(n.dst);
  }
  return [...out];
}
