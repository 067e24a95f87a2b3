import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFacts } from "../../src/facts/build.js";
import type { HostFacts } from "../../src/facts/types.js";
import { probes } from "../../src/probes/index.js";
import type { Evidence } from "../../src/probes/types.js";
import { labSkipReason } from "../support/lab.js";

// Every probe's exact command, live in the hmp namespace lab (the one the fixtures come from),
// through the real parsers and buildFacts.
const LAB = fileURLToPath(new URL("../fixtures/probes/lab.sh", import.meta.url));
const TARGETS = ["198.51.100.10", "198.51.100.77", "203.0.113.200", "203.0.113.10"];

function runIn(
  ns: string,
  command: string,
): { stdout: string; stderr: string; status: number | null; ms: number } {
  const start = Date.now();
  const r = spawnSync("ip", ["netns", "exec", ns, "sh", "-c", command], {
    encoding: "utf8",
    timeout: 30_000,
  });
  return { stdout: r.stdout ?? "", stderr: r.stderr ?? "", status: r.status, ms: Date.now() - start };
}

describe.skipIf(labSkipReason())("probes live in the hmp lab", () => {
  let facts: HostFacts;
  const evidence: Evidence[] = [];

  beforeAll(() => {
    const up = spawnSync("sh", [LAB, "up"], { encoding: "utf8", timeout: 90_000 });
    if (up.status !== 0) throw new Error(`lab up failed: ${up.stderr}`);
    for (const p of probes) {
      const command = p.command({ targets: TARGETS });
      const r = runIn("hmp-host", command);
      evidence.push({
        probe: p.id,
        command,
        stdout: r.stdout,
        stderr: r.stderr,
        exitCode: r.status,
        durationMs: r.ms,
        truncated: false,
        status: r.status === 127 ? "missing_tool" : r.status === 0 ? "ok" : "failed",
      });
    }
    facts = buildFacts({
      version: 1,
      host: "hmp-host",
      time: new Date().toISOString(),
      targets: TARGETS,
      evidence,
    });
  }, 180_000);

  afterAll(() => {
    spawnSync("sh", [LAB, "down"], { timeout: 60_000 });
  });

  it("every installed probe runs and parses; the absent tools are reported as such", () => {
    const absent = ["virsh", "ovs", "nmcli"];
    for (const p of probes) {
      const want = absent.includes(p.id) ? "missing_tool" : "ok";
      expect(facts.status[p.id], `${p.id}: ${evidence.find((e) => e.probe === p.id)?.stderr}`).toBe(want);
    }
    expect(facts.notes).toContain("virsh: virsh is not installed");
    expect(facts.notes.filter((n) => !/is not installed$/.test(n))).toEqual([]);
  });

  it("finds the lab's plumbing, filtering and neighbours in the live facts", () => {
    const p = facts.parsed;
    expect(p.links?.find((l) => l.ifname === "vnet0")).toMatchObject({
      master: "br0",
      port: { state: "forwarding" },
    });
    expect(p.links?.find((l) => l.ifname === "tap9")).toMatchObject({
      carrier: false,
      tun: { numqueues: 0 },
    });
    expect(p.bridgePorts?.find((b) => b.ifname === "vnet2")?.master).toBe("virbr0");
    expect(p.iptables?.chains.find((c) => c.table === "filter" && c.name === "FORWARD")?.policy).toBe("DROP");
    expect(p.nft?.rules.some((r) => r.table === "hmpfw" && r.verdict === "drop")).toBe(true);
    expect(p.ebtables?.rules.some((r) => r.target === "DROP" && r.inIface === "vnet1")).toBe(true);
    expect(p.qdiscs?.find((q) => q.kind === "tbf")?.drops).toBeGreaterThan(0);
    expect(p.neighbours?.find((n) => n.dst === "198.51.100.77")?.lladdr).toBeUndefined();
    expect(p.sysctls?.["net.ipv4.ip_forward"]).toBe("1");
    expect(p.dhcpListeners?.some((l) => l.port === 67 && l.dev === "virbr0")).toBe(true);
    expect(p.routeLookups?.find((r) => r.target === "203.0.113.10")?.dev).toBe("virbr0");
  });

  it("the active probes see who answers", () => {
    const p = facts.parsed;
    expect(p.ping?.find((r) => r.target === "198.51.100.10")?.received).toBe(2);
    expect(p.ping?.find((r) => r.target === "198.51.100.77")?.received).toBe(0);
    expect(p.pingMtu?.find((r) => r.target === "203.0.113.200")?.mtu).toBe(1400);
    expect(p.arping?.find((r) => r.target === "198.51.100.10")).toMatchObject({
      dev: "br0",
      macs: ["52:54:00:00:00:01"],
    });
  });
});
