import { beforeAll, describe, expect, it } from "vitest";
import type { SymptomCategory } from "../../src/diagnosis/types.js";
import type { HostFacts } from "../../src/facts/types.js";
import { type Knowledge, loadKnowledge } from "../../src/knowledge/index.js";
import type { CaseRecord } from "../../src/knowledge/types.js";
import { healthyHost, LAB_LIKE, linkOf, OTHER_NAMES, pingFails, setFlags } from "./support/facts.js";

let kb: Knowledge;
beforeAll(() => {
  kb = loadKnowledge();
});

const req = (categories: SymptomCategory[], targets: string[] = [], language: "en" | "zh" = "en") => ({
  categories,
  targets,
  language,
});

async function top(
  facts: HostFacts,
  categories: SymptomCategory[],
  targets: string[] = [],
  history: CaseRecord[] = [],
) {
  return kb.evaluate(facts, req(categories, targets), history);
}

describe("healthy host", () => {
  it("no rule fires without a symptom", async () => {
    expect(await top(healthyHost(), [])).toEqual([]);
  });
  it("no rule fires with targets and a symptom, other names too", async () => {
    const f = healthyHost(OTHER_NAMES, ["203.0.113.70", "198.51.100.200"]);
    const found = await top(f, ["host_guest"], ["203.0.113.70", "198.51.100.200"]);
    expect(found.map((x) => `${x.id} ${x.confidence}`)).toEqual([]);
  });
});

describe("single causes on hand-built facts", () => {
  it("tap_not_enslaved: names tap and bridge, fills commands", async () => {
    const f = healthyHost(OTHER_NAMES, ["203.0.113.70"]);
    delete linkOf(f, "tap3").master;
    delete linkOf(f, "tap3").port;
    pingFails(f, "203.0.113.70", "keep");
    const [first] = await top(f, ["host_guest"], ["203.0.113.70"]);
    expect(first?.id).toBe("tap_not_enslaved");
    expect(first?.confidence).toBeGreaterThanOrEqual(0.5);
    expect(first?.fix).toEqual(["ip link set tap3 master lan-br", "ip link set tap3 up"]);
    expect(first?.evidence[0]).toBe("tap3: no master (ip -j -d link show)");
  });

  it("bridge_down with the route gone drops the route command and says so", async () => {
    const f = healthyHost();
    setFlags(linkOf(f, "br0"), false, false);
    f.parsed.routes = f.parsed.routes?.filter((r) => r.dev !== "br0");
    const ev = await kb.diagnose(f, req(["host_guest"]));
    expect(ev.findings[0]?.id).toBe("bridge_down");
    expect(ev.findings[0]?.fix).toEqual(["ip link set br0 up"]);
    expect(ev.notes.join("\n")).toMatch(/bridge_down: fix command left out/);
  });

  it("tap_admin_down", async () => {
    const f = healthyHost();
    setFlags(linkOf(f, "vnet1"), false, false);
    expect((await top(f, ["host_guest"]))[0]?.id).toBe("tap_admin_down");
  });

  it("forward_drop_br_netfilter (FORWARD DROP, bridge-nf-call-iptables=1)", async () => {
    const f = healthyHost();
    const fwd = f.parsed.iptables?.chains.find((c) => c.name === "FORWARD");
    if (fwd) fwd.policy = "DROP";
    const found = await top(f, ["guest_guest"]);
    expect(found[0]?.id).toBe("forward_drop_br_netfilter");
    expect(found[0]?.title).toContain("br0");
    // The NAT bridge's own accept rules let its bridged traffic through: only br0 is named.
    expect(found[0]?.fix).toEqual(["iptables -I FORWARD -m physdev --physdev-is-bridged -j ACCEPT"]);
  });

  it("forward_drop_br_netfilter stays silent when bridge-nf-call-iptables=0", async () => {
    const f = healthyHost();
    const fwd = f.parsed.iptables?.chains.find((c) => c.name === "FORWARD");
    if (fwd) fwd.policy = "DROP";
    f.parsed.sysctls!["net.bridge.bridge-nf-call-iptables"] = "0";
    expect((await top(f, ["guest_guest"])).map((x) => x.id)).not.toContain("forward_drop_br_netfilter");
  });

  it("masquerade_missing on other names", async () => {
    const f = healthyHost(OTHER_NAMES, ["198.51.100.200"]);
    f.parsed.iptables!.rules = f.parsed.iptables!.rules.filter((r) => r.target !== "MASQUERADE");
    pingFails(f, "198.51.100.200", "keep");
    const found = await top(f, ["guest_outside"], ["198.51.100.200"]);
    expect(found[0]?.id).toBe("masquerade_missing");
    expect(found[0]?.fix).toEqual([
      "iptables -t nat -A POSTROUTING -s 192.0.2.0/25 ! -d 192.0.2.0/25 -j MASQUERADE",
    ]);
  });

  it("uplink_not_enslaved", async () => {
    const f = healthyHost(OTHER_NAMES);
    delete linkOf(f, "ens5").master;
    delete linkOf(f, "ens5").port;
    f.parsed.fdb = f.parsed.fdb?.filter((e) => e.ifname !== "ens5");
    const found = await top(f, ["guest_lan"]);
    expect(found[0]?.id).toBe("uplink_not_enslaved");
    expect(found[0]?.fix).toEqual(["ip link set ens5 master lan-br"]);
    expect(found[0]?.risky).toBe(true);
  });

  it("host_ip_on_enslaved_nic", async () => {
    const f = healthyHost();
    for (const a of f.parsed.addresses ?? []) if (a.ifname === "br0") a.ifname = "eno1";
    for (const r of f.parsed.routes ?? []) if (r.dev === "br0") r.dev = "eno1";
    const found = await top(f, ["host_guest"]);
    expect(found[0]?.id).toBe("host_ip_on_enslaved_nic");
    expect(found[0]?.fix).toContain("ip addr add 198.51.100.1/24 dev br0");
  });

  it("mtu_mismatch", async () => {
    const f = healthyHost();
    linkOf(f, "vnet0").mtu = 9000;
    const found = await top(f, ["large_packets"]);
    expect(found[0]?.id).toBe("mtu_mismatch");
    expect(found[0]?.fix).toEqual(["ip link set vnet0 mtu 1500"]);
  });
});

describe("ranking", () => {
  it("red herring: ip_forward=0 does not outrank tap_not_enslaved for a host↔guest complaint", async () => {
    const f = healthyHost(LAB_LIKE, ["198.51.100.10"]);
    f.parsed.sysctls!["net.ipv4.ip_forward"] = "0";
    for (const k of Object.keys(f.parsed.sysctls!)) if (k.endsWith(".forwarding")) f.parsed.sysctls![k] = "0";
    delete linkOf(f, "vnet0").master;
    delete linkOf(f, "vnet0").port;
    pingFails(f, "198.51.100.10", "keep");
    const found = await top(f, ["host_guest"], ["198.51.100.10"]);
    expect(found.map((x) => x.id)).toEqual(["tap_not_enslaved", "ip_forward_disabled"]);
    expect(found[1]!.confidence).toBeLessThan(0.5);
  });

  it("Chinese titles are filled from facts", async () => {
    const f = healthyHost();
    setFlags(linkOf(f, "vnet1"), false, false);
    const [first] = await kb.evaluate(f, req(["host_guest"], [], "zh"));
    expect(first?.title).toBe("虚拟机的 tap 接口 vnet1 被管理性关闭（down）");
  });

  it("case history breaks a tie, and one case does not dominate a stronger finding", async () => {
    const f = healthyHost();
    setFlags(linkOf(f, "vnet0"), false, false);
    setFlags(linkOf(f, "vnet1"), true, true);
    delete linkOf(f, "vnet1").master;
    delete linkOf(f, "vnet1").port;
    const base = await top(f, ["host_guest"]);
    expect(base.slice(0, 2).map((x) => x.confidence)).toEqual([base[0]!.confidence, base[0]!.confidence]);
    const loser = base[1]!.id;
    const history: CaseRecord[] = [
      {
        cause: loser,
        verdict: "confirmed",
        host: "kvm01",
        sameHost: true,
        sameGroup: true,
        categories: ["host_guest"],
      },
    ];
    const after = await top(f, ["host_guest"], [], history);
    expect(after[0]!.id).toBe(loser);
    const ev = await kb.diagnose(f, req(["host_guest"]), history);
    expect(ev.distinguish).toMatch(/are close/);
    // A circumstantial finding cannot be lifted over 0.5 by history.
    const mtu = healthyHost();
    linkOf(mtu, "vnet0").mtu = 9000;
    const many: CaseRecord[] = Array.from({ length: 50 }, () => ({
      cause: "mtu_mismatch",
      verdict: "confirmed" as const,
      host: "kvm01",
      sameHost: true,
      sameGroup: true,
      categories: ["large_packets" as const],
    }));
    const ranked = await top(mtu, ["host_guest"], [], many);
    expect(ranked[0]!.confidence).toBeLessThan(0.5);
  });
});
