/** The one registry of probes: adding a probe is one file plus one line here. */
import { addresses } from "./addresses.js";
import { arping } from "./arping.js";
import { bridgePorts } from "./bridgePorts.js";
import { conntrack } from "./conntrack.js";
import { dhcpListeners } from "./dhcpListeners.js";
import { ebtables } from "./ebtables.js";
import { fdb } from "./fdb.js";
import { iptables } from "./iptables.js";
import { iptablesLegacy } from "./iptablesLegacy.js";
import { kernelLog } from "./kernelLog.js";
import { links } from "./links.js";
import { neighbours } from "./neighbours.js";
import { nft } from "./nft.js";
import { nmcli } from "./nmcli.js";
import { nstat } from "./nstat.js";
import { ovs } from "./ovs.js";
import { ping } from "./ping.js";
import { pingMtu } from "./pingMtu.js";
import { qdiscs } from "./qdiscs.js";
import { routeLookups } from "./routeLookups.js";
import { routes } from "./routes.js";
import { services } from "./services.js";
import { sysctls } from "./sysctls.js";
import type { Probe, ProbeContext } from "./types.js";
import { virsh } from "./virsh.js";
import { vlans } from "./vlans.js";

export const probes: Probe[] = [
  links,
  addresses,
  routes,
  routeLookups,
  bridgePorts,
  fdb,
  vlans,
  neighbours,
  sysctls,
  iptables,
  iptablesLegacy,
  nft,
  ebtables,
  qdiscs,
  conntrack,
  nstat,
  kernelLog,
  virsh,
  ovs,
  nmcli,
  services,
  dhcpListeners,
  ping,
  pingMtu,
  arping,
];

export function probeById(id: string): Probe | undefined {
  return probes.find((p) => p.id === id);
}

/** The probes to run for a request: active ones (ping, arping) only when it names targets. */
export function selectProbes(ctx: ProbeContext, registry: readonly Probe[] = probes): Probe[] {
  return registry.filter((p) => !p.active || ctx.targets.length > 0);
}
