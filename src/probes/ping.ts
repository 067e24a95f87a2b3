import type { PingResult } from "../facts/types.js";
import { ParseError, type Probe, type ProbeContext } from "./types.js";
import { checkTargets, isIPv4, requireTool, sections } from "./util.js";

const ID = "ping";

/** One script pinging every target in turn; `### target` marks each part. */
export function pingScript(ctx: ProbeContext, pingArgs: string): string {
  const targets = checkTargets(ctx.targets);
  return `${requireTool("ping")}; for t in ${targets.join(" ")}; do echo "### $t"; ping ${pingArgs} "$t" 2>&1; done; true`;
}

const STATS = /(\d+) packets transmitted, (\d+) (?:packets )?received/;
const RTT = /= [\d.]+\/([\d.]+)\/[\d.]+/;
const MTU = /mtu ?= ?(\d+)/;
const ERROR =
  /(Destination \S+ Unreachable|Frag needed[^\n]*|Network is unreachable|Name or service not known|message too long[^\n]*|Operation not permitted|Time to live exceeded)/i;

/** iputils and busybox ping: the statistics line gives sent/received; errors and mtu from the lines. */
export function parsePing(stdout: string, probe = ID, size?: number): PingResult[] {
  const out: PingResult[] = [];
  for (const { name, body } of sections(stdout)) {
    if (!isIPv4(name)) throw new ParseError(probe, `${probe}: bad target marker "${name.slice(0, 40)}"`);
    const result: PingResult = { target: name, sent: 0, received: 0 };
    if (size !== undefined) result.size = size;
    const stats = STATS.exec(body);
    if (stats) {
      result.sent = Number(stats[1]);
      result.received = Number(stats[2]);
    } else if (/^PING /m.test(body)) {
      throw new ParseError(probe, `${probe}: no statistics for ${name} (truncated?)`);
    }
    const rtt = RTT.exec(body);
    if (rtt && /^(rtt|round-trip)/m.test(body)) result.rttAvgMs = Number(rtt[1]);
    const mtu = MTU.exec(body);
    if (mtu) result.mtu = Number(mtu[1]);
    const error = ERROR.exec(body);
    if (error) result.error = error[1];
    else if (!stats) result.error = body.trim().split("\n")[0] || "no output";
    out.push(result);
  }
  return out;
}

export const ping: Probe<PingResult[]> = {
  id: ID,
  command: (ctx) => pingScript(ctx, "-c 2 -W 1 -i 0.2"),
  timeoutMs: 30_000,
  root: false,
  active: true,
  tool: "ping",
  parse: (stdout) => parsePing(stdout, ID),
};
