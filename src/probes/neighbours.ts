import type { NeighFact } from "../facts/types.js";
import type { Probe } from "./types.js";
import { jsonObjects, num, str, strings } from "./util.js";

const ID = "neighbours";

/** `ip -j -s neigh show`. FAILED/INCOMPLETE entries have no lladdr; `state` is an array (§0.2 trap 4). */
export function parseNeighbours(stdout: string): NeighFact[] {
  const out: NeighFact[] = [];
  for (const o of jsonObjects(ID, stdout, true)) {
    const dst = str(o.dst);
    if (dst === undefined) continue;
    const state = Array.isArray(o.state) ? strings(o.state) : typeof o.state === "string" ? [o.state] : [];
    const fact: NeighFact = { dst, state };
    const dev = str(o.dev);
    if (dev !== undefined) fact.dev = dev;
    const lladdr = str(o.lladdr);
    if (lladdr !== undefined) fact.lladdr = lladdr.toLowerCase();
    for (const k of ["probes", "used", "confirmed", "updated"] as const) {
      const n = num(o[k]);
      if (n !== undefined) fact[k] = n;
    }
    if (o.router === null || o.router === true) fact.router = true;
    out.push(fact);
  }
  return out;
}

export const neighbours: Probe<NeighFact[]> = {
  id: ID,
  command: () => "ip -j -s neigh show",
  timeoutMs: 10_000,
  root: false,
  tool: "ip",
  parse: (stdout) => parseNeighbours(stdout),
};
