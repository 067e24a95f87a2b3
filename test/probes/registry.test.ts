import { describe, expect, it } from "vitest";
import { KNOWN_PROBES } from "../../src/knowledge/causes.js";
import { probeById, probes, selectProbes } from "../../src/probes/index.js";
import { checkTargets } from "../../src/probes/util.js";

const TARGETS = ["198.51.100.10", "203.0.113.10"];

/** Words and shapes that change state; a probe command must contain none of them. */
const DENY: [RegExp, string][] = [
  [/\bsysctl\b[^;|&]*\s-w\b/, "sysctl -w"],
  [/(^|\s)-w(\s|$)/, "-w"],
  [
    /\b(set|add|del|delete|flush|replace|change|append|insert|destroy|start|stop|restart|reload|kill|rm|mv|cp|tee|dd|mkfs|modprobe|rmmod|shutdown|reboot)\b/,
    "state-changing word",
  ],
  [
    /\b(ip6?tables|ebtables|arptables)(-legacy|-nft)?\s[^;|&]*-(A|D|I|F|X|P|N|Z|R|E)(\s|$)/,
    "iptables/ebtables write flag",
  ],
  [/--(reset|flush|delete|zero|set|add|remove|update|write|config)\b/, "write option"],
  [/\bnstat\b(?![^;]*\s-[a-z]*s)/, "nstat without -s"],
  [/(?<!-v )\bvirsh\s(?!-r\b)/, "virsh without a read-only connection (-r)"],
];

/** Redirections allowed: to /dev/null, stderr into stdout, stdin from /dev/null. */
function fileRedirections(cmd: string): string[] {
  return [...cmd.matchAll(/\d?>>?\s*(&\d|[^\s;|&]+)/g)]
    .map((m) => m[1]!)
    .filter((t) => t !== "/dev/null" && t !== "&1");
}

describe("probe registry", () => {
  it("has unique ids and one of every §2 evidence probe", () => {
    const ids = probes.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of KNOWN_PROBES) {
      expect(probeById(id)?.id).toBe(id);
    }
    expect(probeById("nope")).toBeUndefined();
  });

  it("every command is read-only (denylist), with and without targets", () => {
    for (const p of probes) {
      for (const targets of [[], TARGETS]) {
        const cmd = p.command({ targets });
        for (const [re, what] of DENY) expect(re.test(cmd), `${p.id}: ${what} in ${cmd}`).toBe(false);
        expect(fileRedirections(cmd), `${p.id} redirects to a file`).toEqual([]);
      }
    }
  });

  it("the denylist catches writes (it can fail)", () => {
    const bad = [
      "sysctl -w net.ipv4.ip_forward=1",
      "ip link set vnet0 up",
      "iptables -F",
      "nft flush ruleset",
      "nstat -az --json",
      "virsh -q list",
      "ebtables -A FORWARD -j DROP",
      "iptables-save > /etc/x",
    ];
    for (const cmd of bad) {
      const denied = DENY.some(([re]) => re.test(cmd)) || fileRedirections(cmd).length > 0;
      expect(denied, cmd).toBe(true);
    }
  });

  it("every probe has a timeout, a tool, and a root flag for the privileged ones", () => {
    for (const p of probes) {
      expect(p.timeoutMs).toBeGreaterThan(0);
      expect(p.tool).toMatch(/^[a-z][a-z-]*$/);
    }
    for (const id of ["iptables", "iptablesLegacy", "nft", "ebtables", "conntrack"])
      expect(probeById(id)?.root).toBe(true);
  });

  it("leaves the active probes out when the request names no targets", () => {
    const none = selectProbes({ targets: [] }).map((p) => p.id);
    expect(none).not.toContain("ping");
    expect(none).not.toContain("arping");
    expect(none).toContain("routeLookups");
    expect(selectProbes({ targets: TARGETS }).map((p) => p.id)).toEqual(probes.map((p) => p.id));
  });

  it("rejects targets that are not IPv4 before they reach any command", () => {
    const evil = [
      "1.2.3.4; rm -rf /",
      "$(id)",
      "`id`",
      "198.51.100.10 198.51.100.11",
      "256.1.1.1",
      "::1",
      "",
      "1.2.3",
      "01.2.3.4x",
    ];
    for (const t of evil) {
      expect(() => checkTargets([t])).toThrow(/not an IPv4/);
      for (const p of probes) {
        let cmd: string | undefined;
        try {
          cmd = p.command({ targets: ["198.51.100.10", t] });
        } catch {
          cmd = undefined;
        }
        if (cmd !== undefined) expect(cmd.includes(t) && t !== "", `${p.id} took ${t}`).toBe(false);
      }
    }
  });
});
