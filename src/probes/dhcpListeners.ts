import type { ListenerFact } from "../facts/types.js";
import { ParseError, type Probe } from "./types.js";

const ID = "dhcpListeners";

const LOCAL = /^(.*?)(?:%(\S+))?:(\d+|\*)$/;

/**
 * `ss -H -tulpn 'sport = :67 or sport = :53'` rows: Netid State Recv-Q Send-Q Local Peer [Process].
 * Local is `addr[%dev]:port`, with IPv6 in brackets.
 */
export function parseListeners(stdout: string, probe = ID): ListenerFact[] {
  const out: ListenerFact[] = [];
  for (const line of stdout.split("\n")) {
    if (line.trim() === "") continue;
    const cols = line.trim().split(/\s+/);
    if (cols[0] === "Netid") continue; // an ss too old for -H prints its header anyway
    const local = LOCAL.exec(cols[4] ?? "");
    if (cols.length < 6 || !local || !/^\d+$/.test(cols[2]!) || local[3] === "*") {
      throw new ParseError(probe, `${probe}: unexpected line "${line.slice(0, 60)}"`);
    }
    const fact: ListenerFact = { proto: cols[0]!, local: local[1]!, port: Number(local[3]) };
    if (local[2] !== undefined) fact.dev = local[2];
    const proc = /users:\(\("([^"]+)",pid=(\d+)/.exec(cols.slice(6).join(" "));
    if (proc) {
      fact.process = proc[1]!;
      fact.pid = Number(proc[2]);
    }
    out.push(fact);
  }
  return out;
}

export const dhcpListeners: Probe<ListenerFact[]> = {
  id: ID,
  command: () => "ss -H -tulpn 'sport = :67 or sport = :53'",
  timeoutMs: 10_000,
  root: true,
  tool: "ss",
  parse: (stdout) => parseListeners(stdout, ID),
};
