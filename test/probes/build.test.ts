import { describe, expect, it } from "vitest";
import { buildFacts } from "../../src/facts/build.js";
import type { Evidence, EvidenceBundle } from "../../src/probes/types.js";
import { fixture, half } from "./fixture.js";

function evidence(
  probe: string,
  stdout: string,
  status: Evidence["status"],
  extra: Partial<Evidence> = {},
): Evidence {
  return {
    probe,
    command: "(captured)",
    stdout,
    stderr: "",
    exitCode: 0,
    durationMs: 5,
    truncated: false,
    status,
    ...extra,
  };
}

const bundle: EvidenceBundle = {
  version: 1,
  host: "kvm01",
  time: "2026-11-30T01:00:00Z",
  targets: ["198.51.100.10"],
  evidence: [
    evidence("links", fixture("links", "lab"), "ok"),
    evidence("neighbours", fixture("neighbours", "lab"), "ok"),
    evidence("nft", half(fixture("nft", "lab")), "ok", { truncated: true }),
    evidence("addresses", "garbage", "ok"),
    evidence("virsh", "", "missing_tool", { exitCode: 127 }),
    evidence("iptables", "", "permission_denied", { exitCode: 1, stderr: "sudo: a password is required" }),
    evidence("conntrack", "", "failed", {
      exitCode: 1,
      stderr: "conntrack v1.4.7: Operation failed: invalid parameters\n",
    }),
    evidence("qdiscs", "", "timeout", { exitCode: null, durationMs: 10000 }),
    evidence("ping", fixture("ping", "lab"), "ok"),
    evidence("retired", "x", "ok"),
  ],
};

describe("buildFacts", () => {
  const facts = buildFacts(bundle);

  it("puts each parsed fact under its probe id", () => {
    expect(facts.host).toBe("kvm01");
    expect(facts.parsed.links?.find((l) => l.ifname === "vnet0")?.master).toBe("br0");
    expect(facts.parsed.neighbours?.find((n) => n.dst === "198.51.100.77")?.state).toEqual(["FAILED"]);
    expect(facts.parsed.ping?.[0]?.received).toBe(2);
    expect(facts.status).toMatchObject({ links: "ok", neighbours: "ok", ping: "ok" });
  });

  it("turns parse errors into status parse_error with a note, never a throw", () => {
    expect(facts.status.nft).toBe("parse_error");
    expect(facts.status.addresses).toBe("parse_error");
    expect(facts.parsed.nft).toBeUndefined();
    expect(facts.notes).toContain(
      "nft: output is not JSON (truncated?); the output was cut at the size limit",
    );
    expect(facts.notes).toContain("addresses: output is not JSON (truncated?)");
  });

  it("says which tools are missing, denied, failed or slow", () => {
    expect(facts.status).toMatchObject({
      virsh: "missing_tool",
      iptables: "permission_denied",
      conntrack: "failed",
      qdiscs: "timeout",
    });
    expect(facts.notes).toContain("virsh: virsh is not installed");
    expect(facts.notes.find((n) => n.startsWith("iptables:"))).toMatch(/permission denied/);
    expect(facts.notes.find((n) => n.startsWith("conntrack:"))).toMatch(/exit 1.*invalid parameters/);
    expect(facts.notes.find((n) => n.startsWith("qdiscs:"))).toMatch(/timed out after 10000 ms/);
  });

  it("marks registry probes without evidence as skipped and ignores unknown evidence", () => {
    expect(facts.status.arping).toBe("skipped");
    expect(facts.status.retired).toBe("skipped");
    expect(facts.parsed.retired).toBeUndefined();
    expect(facts.notes.some((n) => n.startsWith("retired:"))).toBe(true);
  });

  it("survives a parser that throws something other than ParseError", () => {
    const broken = [
      {
        id: "links",
        command: () => "true",
        timeoutMs: 1,
        root: false,
        tool: "true",
        parse: () => {
          throw new TypeError("boom");
        },
      },
    ];
    const f = buildFacts({ ...bundle, evidence: [evidence("links", "[]", "ok")] }, broken);
    expect(f.status.links).toBe("parse_error");
    expect(f.notes[0]).toMatch(/^links: parser failed \(boom\)/);
  });
});
