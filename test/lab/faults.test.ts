import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupPrefix, cleanupStalePrefix, namespacesOfPrefix } from "../../src/lab/cleanup.js";
import { UDHCPC_ONCE } from "../../src/lab/dhcp.js";
import { faults } from "../../src/lab/faults/index.js";
import { type Lab, labUp } from "../../src/lab/lab.js";
import { GUESTS, NET, type NsKey } from "../../src/lab/plan.js";
import { strictDhcpClient } from "../../src/lab/strict-dhcp-client.js";
import { DHCP_CHECKSUM_RULE } from "../../src/lab/topology.js";
import { labSkipReason } from "../support/lab.js";

const PREFIX = "hmlf";
const { vm1, vm2, vm5, vm6 } = GUESTS;
const HOST = NET.br0.address;

/** A ping the catalog names for the cause: `ok` after injection; before it, every ping must work. */
interface Check {
  from: NsKey;
  to: string;
  ok: boolean;
  /**
   * Not expected to work in the healthy lab: the extra itself is the cause ("by design"), or the
   * check only makes sense after the injection (a 9000-byte frame).
   */
  skipHealthy?: boolean;
  /** Extra ping arguments (e.g. a large DF ping for MTU). */
  args?: string[];
}

interface Expectation {
  checks: Check[];
  /** Further assertions on the injected state (neighbour states, port states, DHCP...). */
  afterwards?: (lab: Lab) => Promise<void>;
  /** inject() must refuse with this message (cause not reproducible on this kernel). */
  refuses?: RegExp;
}

const ok = (from: NsKey, to: string): Check => ({ from, to, ok: true });
const fails = (from: NsKey, to: string): Check => ({ from, to, ok: false });

async function ping(lab: Lab, c: Pick<Check, "from" | "to" | "args">): Promise<boolean> {
  // Success = one reply within 3 s (proxy ARP may delay the first by up to 0.8 s per hop).
  const r = await lab.exec(c.from, [
    "ping",
    "-n",
    "-q",
    "-c",
    "1",
    "-i",
    "0.2",
    "-w",
    "3",
    ...(c.args ?? []),
    c.to,
  ]);
  return r.code === 0;
}

async function neighState(lab: Lab, ip: string): Promise<string[]> {
  const r = await lab.exec("host", ["ip", "-j", "neigh", "show"]);
  const row = (JSON.parse(r.stdout) as { dst: string; state?: string[] }[]).find((n) => n.dst === ip);
  return row?.state ?? [];
}

/** MAC addresses that answered (Habets arping: "... bytes from MAC (IP)"; iputils: "[MAC]"). */
async function arpingMacs(lab: Lab, ns: NsKey, dev: string, ip: string): Promise<Set<string>> {
  const r = await lab.exec(ns, ["arping", "-c", "3", "-I", dev, ip]);
  return new Set((r.stdout.match(/([0-9a-f]{2}:){5}[0-9a-f]{2}/gi) ?? []).map((m) => m.toLowerCase()));
}

const expectations: Record<string, Expectation> = {
  tap_not_enslaved: { checks: [fails("host", vm1.ip), fails("vm1", HOST), ok("vm2", HOST)] },
  tap_on_wrong_bridge: { checks: [fails("host", vm1.ip), fails("vm1", vm2.ip), ok("vm2", HOST)] },
  bridge_down: { checks: [fails("host", vm1.ip), fails("vm1", vm2.ip), fails("vm3", NET.internet)] },
  tap_admin_down: { checks: [fails("host", vm1.ip), ok("host", vm2.ip)] },
  tap_no_carrier_detached: {
    checks: [fails("host", vm1.ip), ok("host", vm2.ip)],
    afterwards: async (lab) => {
      const r = await lab.exec("host", ["ip", "-j", "-d", "link", "show", "dev", vm1.tap]);
      const link = JSON.parse(r.stdout)[0];
      expect(link.flags).toContain("NO-CARRIER");
      expect(link.linkinfo.info_kind).toBe("tun");
    },
  },
  guest_link_down: { checks: [fails("host", vm1.ip), ok("host", vm2.ip)] },
  uplink_not_enslaved: { checks: [fails("vm1", NET.gateway), ok("vm1", HOST)] },
  uplink_no_carrier: { checks: [fails("vm1", NET.gateway), ok("vm1", HOST)] },
  host_ip_on_enslaved_nic: {
    checks: [fails("host", vm1.ip), ok("vm1", NET.gateway), fails("vm3", NET.internet)],
  },
  stp_forward_delay: {
    checks: [fails("host", vm1.ip), ok("host", vm2.ip)],
    afterwards: async (lab) => {
      const r = await lab.exec("host", ["bridge", "-j", "link", "show", "dev", vm1.tap]);
      expect(["listening", "learning"]).toContain(JSON.parse(r.stdout)[0].state);
    },
  },
  stp_port_blocking: { checks: [fails("host", vm1.ip), ok("host", vm2.ip)] },
  bridge_port_isolated: { checks: [fails("vm1", vm2.ip), ok("vm1", HOST), ok("vm2", HOST)] },
  bridge_port_flood_learning_off: { checks: [fails("host", vm1.ip), ok("host", vm2.ip)] },
  stale_static_fdb: { checks: [fails("host", vm1.ip), ok("host", vm2.ip)] },
  vlan_filtering_mismatch: { checks: [fails("host", vm1.ip)], refuses: /not built in/ },
  mtu_mismatch: {
    checks: [
      { from: "vm1", to: vm2.ip, ok: false, args: ["-M", "do", "-s", "8972"], skipHealthy: true },
      ok("vm1", vm2.ip),
      { from: "vm1", to: vm2.ip, ok: true, args: ["-M", "do", "-s", "1472"] },
    ],
  },
  duplicate_mac: {
    checks: [],
    afterwards: async (lab) => {
      // Both guests keep talking (inject started them): replies land on whichever port spoke last.
      const r = await lab.exec("host", ["ping", "-n", "-q", "-c", "15", "-i", "0.2", "-W", "1", vm1.ip]);
      const loss = Number(/(\d+(?:\.\d+)?)% packet loss/.exec(r.stdout)?.[1] ?? "0");
      expect(loss).toBeGreaterThan(0);
    },
  },
  duplicate_ip: {
    checks: [],
    afterwards: async (lab) => {
      const macs = await arpingMacs(lab, "host", "br0", vm1.ip);
      expect(macs).toEqual(new Set([vm1.mac, vm2.mac]));
    },
  },
  arp_resolution_failed: {
    checks: [fails("host", vm1.ip), ok("host", vm2.ip)],
    afterwards: async (lab) => {
      const state = await neighState(lab, vm1.ip);
      expect(["INCOMPLETE", "FAILED"]).toContain(state[0]);
    },
  },
  macvtap_host_isolation: {
    checks: [
      { ...fails("vm5", NET.eno3.address), skipHealthy: true },
      { ...fails("host", vm5.ip), skipHealthy: true },
      ok("vm5", NET.eno3Lan),
      ok("host", NET.eno3Lan),
    ],
  },
  macvtap_parent_busy: {
    checks: [ok("host", vm1.ip)],
    afterwards: async (lab) => {
      expect(await readFile(join(lab.dir, "faults.log"), "utf8")).toMatch(/Device or resource busy/);
      const links = await lab.exec("host", ["ip", "-br", "link"]);
      expect(links.stdout).not.toMatch(/macvtap1/);
    },
  },
  uplink_drops_foreign_macs: {
    checks: [fails("vm1", NET.gateway), ok("host", NET.gateway), ok("vm1", HOST)],
  },
  subnet_mismatch: { checks: [fails("host", vm1.ip), ok("host", vm2.ip)] },
  guest_default_route_missing: { checks: [fails("vm3", NET.internet), ok("vm3", NET.virbr0.address)] },
  host_route_conflict: { checks: [fails("host", vm1.ip), ok("vm1", vm2.ip)] },
  upstream_return_route_missing: {
    checks: [fails("vm3", NET.internet), ok("vm3", HOST)],
    afterwards: async (lab) => {
      // The catalog's fix: a return route on the LAN router.
      await lab.exec("out", ["ip", "route", "add", NET.virbr0.network, "via", HOST]);
      expect(await ping(lab, { from: "vm3", to: NET.internet })).toBe(true);
    },
  },
  ip_forward_disabled: {
    checks: [fails("vm3", NET.internet), ok("vm3", NET.virbr0.address), ok("vm1", vm2.ip)],
  },
  rp_filter_drop: {
    checks: [fails("vm4", HOST), ok("vm4", NET.br1.address)],
    afterwards: async (lab) => {
      await lab.exec("host", [
        "sysctl",
        "-q",
        "-w",
        "net.ipv4.conf.all.rp_filter=2",
        "net.ipv4.conf.br0.rp_filter=2",
      ]);
      expect(await ping(lab, { from: "vm4", to: HOST })).toBe(true);
    },
  },
  arp_ignore_arp_filter: { checks: [fails("vm3", HOST), ok("vm3", NET.virbr0.address)] },
  proxy_arp_missing: { checks: [fails("vm6", NET.gateway), ok("host", vm6.ip)] },
  proxy_arp_hijack: {
    checks: [fails("host", vm2.ip), ok("host", vm1.ip)],
    afterwards: async (lab) => {
      const macs = await arpingMacs(lab, "vm1", "eth0", vm2.ip);
      expect(macs).toEqual(new Set([vm2.mac, NET.br0.mac]));
    },
  },
  forward_drop_br_netfilter: {
    checks: [fails("vm1", vm2.ip), fails("vm1", NET.gateway), ok("host", vm1.ip), ok("vm3", NET.internet)],
  },
  input_drop_vm_traffic: { checks: [fails("vm1", HOST), fails("host", vm1.ip), ok("vm1", vm2.ip)] },
  masquerade_missing: { checks: [fails("vm3", NET.internet), ok("vm3", NET.virbr0.address)] },
  nftables_drop: {
    checks: [fails("vm1", HOST), fails("vm1", vm2.ip), fails("vm3", NET.internet), ok("vm2", HOST)],
  },
  firewalld_zone_misconfig: {
    checks: [fails("vm3", NET.internet), ok("vm3", NET.virbr0.address)],
    afterwards: async (lab) => {
      const r = await lab.exec("vm3", UDHCPC_ONCE);
      expect(r.code).not.toBe(0);
    },
  },
  libvirt_fw_rules_flushed: { checks: [fails("vm3", NET.internet), ok("vm1", HOST)] },
  libvirt_network_isolated_by_design: { checks: [fails("vm3", NET.internet), ok("vm3", NET.virbr0.address)] },
  ebtables_nwfilter_drop: { checks: [fails("vm1", HOST), fails("vm1", vm2.ip), ok("vm2", HOST)] },
  tc_qdisc_drop: { checks: [fails("host", vm1.ip), ok("host", vm2.ip)] },
  dhcp_server_missing: {
    checks: [ok("vm3", NET.virbr0.address)],
    afterwards: async (lab) => {
      const r = await lab.exec("vm3", UDHCPC_ONCE);
      expect(r.code).not.toBe(0);
      expect(`${r.stdout}${r.stderr}`).toMatch(/no lease/);
    },
  },
  dhcp_checksum_offload: {
    checks: [ok("vm3", NET.virbr0.address)],
    afterwards: async (lab) => {
      const r = await lab.exec("vm3", strictDhcpClient());
      expect(r.code).not.toBe(0);
      expect(r.stdout).toMatch(/dropped: bad udp checksum/);
      // The fix of the catalog brings the lease back.
      await lab.exec("host", ["iptables", "-w", "-t", "mangle", "-A", ...DHCP_CHECKSUM_RULE]);
      expect((await lab.exec("vm3", strictDhcpClient())).stdout).toMatch(/accepted/);
    },
  },
  guest_side_config_or_firewall: {
    checks: [fails("host", vm1.ip), ok("host", vm2.ip)],
    afterwards: async (lab) => {
      // L2 is fine: the guest answers ARP, only its firewall drops.
      expect(await neighState(lab, vm1.ip)).not.toContain("FAILED");
      expect(await neighState(lab, vm1.ip)).not.toEqual([]);
    },
  },
};

/** Catalog §6 rows that say yes or partial (and 15, which this kernel cannot do). */
const CATALOG_NUMBERS = [
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
  31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 42, 44, 45, 49,
];

describe("fault registry", () => {
  it("has one fault per reproducible catalog cause, each with an expectation here", () => {
    expect([...faults.values()].map((f) => f.number)).toEqual(CATALOG_NUMBERS);
    expect(Object.keys(expectations).sort()).toEqual([...faults.keys()].sort());
    for (const f of faults.values()) {
      expect(f.symptom.en.length).toBeGreaterThan(10);
      expect(f.symptom.zh).toMatch(/[\u4e00-\u9fff]/);
    }
  });
});

describe.skipIf(labSkipReason())("faults injected in a real lab", () => {
  beforeAll(() => {
    cleanupStalePrefix(PREFIX);
  });
  afterAll(async () => {
    await cleanupPrefix(PREFIX);
    expect(namespacesOfPrefix(PREFIX)).toEqual([]);
  });

  for (const fault of faults.values()) {
    it(`#${fault.number} ${fault.id}`, async () => {
      const want = expectations[fault.id]!;
      const lab = await labUp({ prefix: PREFIX });
      try {
        for (const extra of fault.needs ?? []) await lab.enable(extra);
        if (fault.id === "dhcp_server_missing") {
          const lease = await lab.exec("vm3", UDHCPC_ONCE);
          expect(`${lease.stdout}${lease.stderr}`).toMatch(/lease of 203\.0\.113\.\d+ obtained/);
        }
        if (fault.id === "dhcp_checksum_offload") {
          expect((await lab.exec("vm3", strictDhcpClient())).stdout).toMatch(
            /offer of 203\.0\.113\.\d+ .* accepted/,
          );
        }
        const healthy = await Promise.all(
          want.checks.filter((c) => !c.skipHealthy).map(async (c) => [c, await ping(lab, c)] as const),
        );
        for (const [c, result] of healthy)
          expect({ ...c, healthyOk: result }).toMatchObject({ healthyOk: true });

        if (want.refuses) {
          const injected = lab.fault(fault.id).then(
            () => null,
            (e: Error) => e,
          );
          const error = await injected;
          // A distro kernel with VLAN filtering injects for real; then the checks below apply.
          if (error) {
            expect(error.message).toMatch(want.refuses);
            return;
          }
        } else {
          await lab.fault(fault.id);
        }

        const after = await Promise.all(want.checks.map(async (c) => [c, await ping(lab, c)] as const));
        for (const [c, result] of after) expect({ ...c, after: result }).toMatchObject({ after: c.ok });
        await want.afterwards?.(lab);
      } finally {
        await lab.down();
      }
    });
  }
});
