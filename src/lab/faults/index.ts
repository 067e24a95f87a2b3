import { bridgeFaults, l2Faults } from "./bridge.js";
import { dhcpFaults } from "./dhcp.js";
import { filteringFaults, guestFaults } from "./filtering.js";
import { linkFaults } from "./link.js";
import { macvtapFaults } from "./macvtap.js";
import { routingFaults } from "./routing.js";
import type { Fault } from "./types.js";

export type { Fault } from "./types.js";

const all: Fault[] = [
  ...linkFaults,
  ...bridgeFaults,
  ...l2Faults,
  ...macvtapFaults,
  ...routingFaults,
  ...filteringFaults,
  ...dhcpFaults,
  ...guestFaults,
].sort((a, b) => a.number - b.number);

/** Every reproducible cause of the catalog, by cause id, in catalog order. */
export const faults: ReadonlyMap<string, Fault> = new Map(all.map((f) => [f.id, f]));
