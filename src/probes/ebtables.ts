import type { EbtablesFacts } from "../facts/types.js";
import { shellWords } from "./iptables.js";
import { ParseError, type Probe } from "./types.js";

const ID = "ebtables";

const TABLE = /^Bridge table: (\S+)$/;
const CHAIN = /^Bridge chain: ([^,]+), entries: (\d+), policy: (\S+)$/;
// `-i vnet0 -j DROP , pcnt = 2 -- bcnt = 168` (legacy and nft backends alike, with --Lc).
const RULE = /^(?:\d+\. )?(.*?)\s*, pcnt = (\d+) -- bcnt = (\d+)$/;

/**
 * `ebtables -L --Lc` then `ebtables -t nat -L --Lc`. ebtables-save prints no counters on the nft
 * backend (§0.2 trap 9), so the listing is parsed. A chain with fewer rules than its `entries:`
 * count means the output was cut.
 */
export function parseEbtables(stdout: string): EbtablesFacts {
  const facts: EbtablesFacts = { chains: [], rules: [] };
  let table: string | undefined;
  let chain: { name: string; expected: number; seen: number } | undefined;
  const closeChain = () => {
    if (chain && chain.seen < chain.expected) {
      throw new ParseError(
        ID,
        `${ID}: chain ${chain.name} lists ${chain.seen} of ${chain.expected} rules (truncated?)`,
      );
    }
  };
  for (const raw of stdout.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const t = TABLE.exec(line);
    if (t) {
      closeChain();
      chain = undefined;
      table = t[1]!;
      continue;
    }
    const c = CHAIN.exec(line);
    if (c) {
      if (table === undefined) throw new ParseError(ID, `${ID}: chain before any table`);
      closeChain();
      chain = { name: c[1]!, expected: Number(c[2]), seen: 0 };
      facts.chains.push({ table, name: c[1]!, policy: c[3]! });
      continue;
    }
    const r = RULE.exec(line);
    if (r && table !== undefined && chain !== undefined) {
      chain.seen++;
      const spec = r[1]!;
      const words = shellWords(spec);
      const at = (flag: string) => {
        const i = words.indexOf(flag);
        if (i < 0 || i + 1 >= words.length) return undefined;
        return words[i - 1] === "!" ? `!${words[i + 1]}` : words[i + 1];
      };
      const rule: EbtablesFacts["rules"][number] = {
        table,
        chain: chain.name,
        spec,
        target: at("-j") ?? "CONTINUE",
        packets: Number(r[2]),
      };
      const inIface = at("-i");
      if (inIface !== undefined) rule.inIface = inIface;
      const outIface = at("-o");
      if (outIface !== undefined) rule.outIface = outIface;
      facts.rules.push(rule);
      continue;
    }
    throw new ParseError(ID, `${ID}: unexpected line "${line.slice(0, 60)}"`);
  }
  closeChain();
  return facts;
}

export const ebtables: Probe<EbtablesFacts> = {
  id: ID,
  // The filter listing decides success; a missing nat table (legacy, module absent) is no failure.
  command: () => "ebtables -L --Lc && { ebtables -t nat -L --Lc 2>/dev/null; true; }",
  timeoutMs: 15_000,
  root: true,
  tool: "ebtables",
  parse: (stdout) => parseEbtables(stdout),
};
