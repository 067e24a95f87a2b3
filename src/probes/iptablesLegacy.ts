import type { IptablesFacts } from "../facts/types.js";
import { parseIptablesSave } from "./iptables.js";
import type { Probe } from "./types.js";

const ID = "iptablesLegacy";

/** A second ruleset can hide in the legacy tables next to iptables-nft (§2 E_IPT). */
export const iptablesLegacy: Probe<IptablesFacts> = {
  id: ID,
  command: () => "iptables-legacy-save -c",
  timeoutMs: 15_000,
  root: true,
  tool: "iptables-legacy-save",
  parse: (stdout) => parseIptablesSave(stdout, ID),
};
