import type { KernelLogFacts } from "../facts/types.js";
import { ParseError, type Probe } from "./types.js";
import { requireTool, sections } from "./util.js";

const ID = "kernelLog";
const MAX_LINES = 200;

// §4.16 patterns.
const PORT_STATE = /(\S+): port \d+\((\S+)\) entered (disabled|blocking|listening|learning|forwarding) state/;
const MARTIAN = /martian source (\S+) from (\S+), on dev (\S+)/;
const CONNTRACK_FULL = /nf_conntrack: .*table full, dropping packet/;
const NEIGH_OVERFLOW = /neighbour(: arp_cache)?: neighbor table overflow/;
// The bridge prints "received packet on vnet1 with own address ..." (br_fdb.c); §4.16 omits "on X".
const OWN_ADDRESS = /received packet (?:on \S+ )?with own address as source address/;
const LINK_DOWN = /(\S+): (?:NIC )?Link is Down/;
const PROMISC = /device (\S+) (entered|left) promiscuous mode/;
const ALL = [
  PORT_STATE,
  MARTIAN,
  CONNTRACK_FULL,
  NEIGH_OVERFLOW,
  OWN_ADDRESS,
  LINK_DOWN,
  PROMISC,
  /Link is Up/,
];

/**
 * The last two hours of the kernel log (journal, or dmesg when the journal gives nothing). Free
 * text cannot be "garbage": lines that match no pattern are simply not facts.
 */
export function parseKernelLog(stdout: string): KernelLogFacts {
  const parts = sections(stdout);
  const part = parts.find((p) => p.name === "journal" || p.name === "dmesg");
  if (!part) throw new ParseError(ID, `${ID}: no journal/dmesg section`);
  const facts: KernelLogFacts = {
    lines: [],
    portStates: [],
    martians: [],
    conntrackFull: 0,
    neighOverflow: 0,
    ownAddress: 0,
    linkDown: [],
    source: part.name,
    promiscuous: [],
  };
  for (const line of part.body.split("\n")) {
    if (!ALL.some((re) => re.test(line))) continue;
    facts.lines.push(line);
    const port = PORT_STATE.exec(line);
    if (port) {
      // "br0:" may carry a prefix like "[ 12.3] br0"; the bridge is the last word before the colon.
      facts.portStates.push({ bridge: port[1]!, port: port[2]!, state: port[3]! });
    }
    const martian = MARTIAN.exec(line);
    if (martian) facts.martians.push({ source: martian[1]!, from: martian[2]!, dev: martian[3]! });
    if (CONNTRACK_FULL.test(line)) facts.conntrackFull++;
    if (NEIGH_OVERFLOW.test(line)) facts.neighOverflow++;
    if (OWN_ADDRESS.test(line)) facts.ownAddress++;
    const down = LINK_DOWN.exec(line);
    if (down && !facts.linkDown.includes(down[1]!)) facts.linkDown.push(down[1]!);
    const promisc = PROMISC.exec(line);
    if (promisc) facts.promiscuous!.push({ dev: promisc[1]!, entered: promisc[2] === "entered" });
  }
  facts.lines = facts.lines.slice(-MAX_LINES);
  return facts;
}

export const kernelLog: Probe<KernelLogFacts> = {
  id: ID,
  command: () =>
    `${requireTool("dmesg")}; ` +
    `out=$(journalctl -k -q -o short-iso --since -2h --no-pager 2>/dev/null | tail -n 1000); ` +
    `if [ -n "$out" ]; then echo "### journal"; printf '%s\\n' "$out"; ` +
    // dmesg's complaints stay on stderr: "Operation not permitted" there marks the evidence as denied.
    `else echo "### dmesg"; dmesg -T | tail -n 1000; fi`,
  timeoutMs: 20_000,
  root: true,
  tool: "dmesg",
  parse: (stdout) => parseKernelLog(stdout),
};
