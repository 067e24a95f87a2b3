import type { ConntrackFacts } from "../facts/types.js";
import { ParseError, type Probe } from "./types.js";
import { requireTool, sections } from "./util.js";

const ID = "conntrack";

function intOrUndefined(text: string | undefined, what: string): number | undefined {
  const t = (text ?? "").trim();
  if (t === "") return undefined; // the file is absent when nf_conntrack is not loaded
  if (!/^\d+$/.test(t)) throw new ParseError(ID, `${ID}: ${what} is not a number`);
  return Number(t);
}

/**
 * `conntrack -S` (one `cpu=N key=value ...` line per CPU), then the count and max from /proc/sys.
 * drop, early_drop and insert_failed are summed across CPUs (§4.12).
 */
export function parseConntrack(stdout: string): ConntrackFacts {
  const parts = sections(stdout);
  const stats = parts.find((p) => p.name === "")?.body ?? "";
  const count = parts.find((p) => p.name === "count");
  const max = parts.find((p) => p.name === "max");
  if (!count || !max) throw new ParseError(ID, `${ID}: count/max sections missing (truncated?)`);
  const facts: ConntrackFacts = { drop: 0, earlyDrop: 0, insertFailed: 0, cpus: 0 };
  for (const line of stats.split("\n")) {
    if (line.trim() === "") continue;
    if (!line.startsWith("cpu=")) throw new ParseError(ID, `${ID}: unexpected line "${line.slice(0, 60)}"`);
    const values: Record<string, number> = {};
    for (const word of line.trim().split(/\s+/)) {
      const m = /^([a-z_]+)=(\d+)$/.exec(word);
      if (!m) throw new ParseError(ID, `${ID}: bad field "${word.slice(0, 30)}"`);
      values[m[1]!] = Number(m[2]);
    }
    facts.cpus++;
    facts.drop += values.drop ?? 0;
    facts.earlyDrop += values.early_drop ?? 0;
    facts.insertFailed += values.insert_failed ?? 0;
  }
  const c = intOrUndefined(count.body, "nf_conntrack_count");
  if (c !== undefined) facts.count = c;
  const m = intOrUndefined(max.body, "nf_conntrack_max");
  if (m !== undefined) facts.max = m;
  return facts;
}

export const conntrack: Probe<ConntrackFacts> = {
  id: ID,
  command: () =>
    `${requireTool("conntrack")}; conntrack -S; echo "### count"; cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null; echo "### max"; cat /proc/sys/net/netfilter/nf_conntrack_max 2>/dev/null; true`,
  timeoutMs: 10_000,
  root: true,
  tool: "conntrack",
  parse: (stdout) => parseConntrack(stdout),
};
