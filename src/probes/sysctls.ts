import { ParseError, type Probe } from "./types.js";
import { requireTool, sections } from "./util.js";

const ID = "sysctls";

/** E_SYSCTL of §2: the forwarding, rp_filter, arp, br_netfilter, conntrack and gc_thresh keys. */
export const SYSCTL_PATTERN =
  "^net\\.(ipv4\\.(ip_forward|conf\\.[^.]+\\.(forwarding|rp_filter|arp_ignore|arp_filter|proxy_arp|log_martians))|bridge\\.bridge-nf-call-(ip|ip6|arp)tables|netfilter\\.nf_conntrack_(count|max)|ipv4\\.neigh\\.default\\.gc_thresh[123])";

const LINE = /^(\S+) = ?(.*)$/;

/**
 * `key = value` lines, then `### br_netfilter` and the listing of /proc/sys/net/bridge. The
 * listing is empty when br_netfilter is not loaded; that is recorded as br_netfilter=not_loaded.
 */
export function parseSysctls(stdout: string): Record<string, string> {
  const parts = sections(stdout);
  const bridge = parts.find((p) => p.name === "br_netfilter");
  if (!bridge) throw new ParseError(ID, `${ID}: no br_netfilter section (truncated?)`);
  const values: Record<string, string> = {};
  for (const part of parts) {
    if (part.name !== "") continue;
    for (const line of part.body.split("\n")) {
      if (line.trim() === "") continue;
      const m = LINE.exec(line);
      if (!m || !m[1]!.includes("."))
        throw new ParseError(ID, `${ID}: unexpected line "${line.slice(0, 60)}"`);
      values[m[1]!] = m[2]!.trim();
    }
  }
  const files = bridge.body.split("\n").filter((l) => l.trim() !== "");
  values.br_netfilter = files.length > 0 ? "loaded" : "not_loaded";
  return values;
}

export const sysctls: Probe<Record<string, string>> = {
  id: ID,
  command: () =>
    `${requireTool("sysctl")}; sysctl -a 2>/dev/null | grep -E '${SYSCTL_PATTERN}'; echo "### br_netfilter"; ls /proc/sys/net/bridge 2>/dev/null; true`,
  timeoutMs: 15_000,
  root: false,
  tool: "sysctl",
  parse: (stdout) => parseSysctls(stdout),
};
