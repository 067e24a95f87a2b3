import { describe, expect, it } from "vitest";
import { parseNft } from "../../src/probes/nft.js";
import { expectParseError, fixture, GARBAGE, half } from "./fixture.js";

describe("nft", () => {
  it("reads the lab host: iptables-nft chains, the custom inet table, the bridge family", () => {
    const f = parseNft(fixture("nft", "lab"));
    expect(f.tables).toContainEqual({ family: "inet", name: "hmpfw" });
    expect(f.chains).toContainEqual(
      expect.objectContaining({
        family: "ip",
        table: "filter",
        name: "FORWARD",
        hook: "forward",
        policy: "drop",
      }),
    );
    const drop = f.rules.find((r) => r.table === "hmpfw");
    expect(drop).toMatchObject({
      verdict: "drop",
      iifname: "br0",
      saddr: "198.51.100.11",
      comment: "hmp-test",
      chain: "input",
    });
    expect(drop?.text).toContain("iifname br0");
    // xt targets of iptables-nft (§0.2 trap 8)
    const masq = f.rules.find((r) => r.table === "nat");
    expect(masq).toMatchObject({ verdict: "MASQUERADE", saddr: "203.0.113.0/25", daddr: "!203.0.113.0/25" });
    expect(masq?.packets).toBeGreaterThan(0);
    // an xt match followed by a native verdict: the verdict is accept
    const fwd = f.rules.find((r) => r.chain === "FORWARD" && r.oifname === "virbr0");
    expect(fwd?.verdict).toBe("accept");
    expect(f.chains).toContainEqual(
      expect.objectContaining({ family: "bridge", name: "FORWARD", prio: -200 }),
    );
  });

  it("reads the catalog sample (§4.10): policy drop base chain, drop rule with counter", () => {
    const f = parseNft(fixture("nft", "catalog"));
    expect(f.chains.find((c) => c.table === "kbfw" && c.name === "forward")?.policy).toBe("drop");
    expect(f.rules.find((r) => r.table === "kbfw" && r.handle === 4)).toMatchObject({
      verdict: "drop",
      packets: 2,
      iifname: "br0",
    });
    expect(f.rules.find((r) => r.table === "kbfw" && r.handle === 3)).toMatchObject({
      packets: 3,
      comment: "kb-test",
    });
  });

  it("gives an empty ruleset for a bare namespace", () => {
    expect(parseNft(fixture("nft", "empty"))).toEqual({ tables: [], chains: [], rules: [] });
  });

  it("refuses truncated and garbage output", () => {
    expectParseError(() => parseNft(half(fixture("nft", "lab"))), "nft");
    expectParseError(() => parseNft(GARBAGE), "nft");
    expectParseError(() => parseNft('{"nftables": [{"rule": {"family": "ip"}}]}'), "nft");
    expectParseError(() => parseNft("[]"), "nft");
  });
});
