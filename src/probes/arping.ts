import type { ArpingResult } from "../facts/types.js";
import { ParseError, type Probe, type ProbeContext } from "./types.js";
import { checkTargets, isIfname, isIPv4, requireTool, sections } from "./util.js";

const ID = "arping";

/**
 * ARP each target on the device the kernel would use (`ip route get`), found and checked against
 * the interface-name pattern inside the same script. Habets arping takes `-i`, iputils `-I`.
 * `timeout` bounds each run instead of an arping deadline flag (the two arpings differ there).
 */
export function arpingCommand(ctx: ProbeContext): string {
  const targets = checkTargets(ctx.targets);
  return [
    requireTool("arping"),
    `case "$(arping --help 2>&1)" in *Habets*) o=-i ;; *) o=-I ;; esac`,
    `for t in ${targets.join(" ")}; do` +
      ` d=$(ip -o route get "$t" 2>/dev/null | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p');` +
      ` case "$d" in ""|*[!A-Za-z0-9_.:@-]*) echo "### $t"; echo "no route to $t"; continue ;; esac;` +
      ` echo "### $t $d"; timeout 5 arping -c 2 $o "$d" "$t" 2>&1; done`,
    "true",
  ].join("; ");
}

const MAC = /([0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5})/;

/** Habets: `42 bytes from MAC (IP): ...`; iputils: `Unicast reply from IP [MAC]`. */
export function parseArping(stdout: string): ArpingResult[] {
  const out: ArpingResult[] = [];
  for (const { name, body } of sections(stdout)) {
    const [target, dev, ...rest] = name.split(/\s+/);
    if (target === undefined || !isIPv4(target) || rest.length > 0 || (dev !== undefined && !isIfname(dev))) {
      throw new ParseError(ID, `${ID}: bad target marker "${name.slice(0, 40)}"`);
    }
    const result: ArpingResult = { target, macs: [] };
    if (dev !== undefined) result.dev = dev;
    for (const line of body.split("\n")) {
      if (!/bytes from|reply from/i.test(line)) continue;
      const mac = MAC.exec(line)?.[1]?.toLowerCase();
      if (mac && !result.macs.includes(mac)) result.macs.push(mac);
    }
    const habets = /(\d+) packets transmitted, (\d+) packets received/.exec(body);
    const iputilsSent = /Sent (\d+) probes?/.exec(body);
    const iputilsRecv = /Received (\d+) response/.exec(body);
    if (habets) {
      result.sent = Number(habets[1]);
      result.received = Number(habets[2]);
    } else if (iputilsSent) {
      result.sent = Number(iputilsSent[1]);
      result.received = Number(iputilsRecv?.[1] ?? 0);
    } else if (/^ARPING /m.test(body)) {
      throw new ParseError(ID, `${ID}: no statistics for ${target} (truncated?)`);
    } else {
      result.error = body.trim().split("\n")[0] || "no output";
    }
    out.push(result);
  }
  return out;
}

export const arping: Probe<ArpingResult[]> = {
  id: ID,
  command: arpingCommand,
  timeoutMs: 30_000,
  root: true,
  active: true,
  tool: "arping",
  parse: (stdout) => parseArping(stdout),
};
