import { GUESTS, NET } from "../plan.js";
import { bridgeCmd, ipCmd, keepPinging, must, mustAll, userTraffic } from "./helpers.js";
import type { Fault } from "./types.js";

const { vm1, vm2 } = GUESTS;

/** A. Bridge port state, flags, FDB and VLANs (catalog #10-#15). */
export const bridgeFaults: Fault[] = [
  {
    id: "stp_forward_delay",
    number: 10,
    description:
      "STP on br0 with forward_delay 30 s, vnet0 re-added (a VM start): the port sits in listening, then learning, for a minute",
    symptom: {
      en: `vm ${vm1.ip} just started and has no network`,
      zh: `虚拟机 ${vm1.ip} 刚启动，没有网络`,
    },
    targets: [vm1.ip],
    async inject(lab) {
      // 3000 cs = 30 s per phase, long enough that the port is still listening/learning when the
      // probes run (the catalog reproduced it with the 15 s default).
      await mustAll(lab, "host", [
        ipCmd("link", "set", "br0", "type", "bridge", "stp_state", "1", "forward_delay", "3000"),
        ipCmd("link", "set", vm1.tap, "nomaster"),
        ipCmd("link", "set", vm1.tap, "master", "br0"),
      ]);
      await userTraffic(lab, [["vm1", NET.br0.address]]);
    },
  },
  {
    id: "stp_port_blocking",
    number: 11,
    description:
      "vnet0 forced to port state disabled while its link is up (`bridge link set dev vnet0 state 0`)",
    symptom: { en: `vm ${vm1.ip} is unreachable`, zh: `虚拟机 ${vm1.ip} 不可达` },
    targets: [vm1.ip],
    async inject(lab) {
      await must(lab, "host", bridgeCmd("link", "set", "dev", vm1.tap, "state", "0"));
      await userTraffic(lab, [["host", vm1.ip]]);
    },
  },
  {
    id: "bridge_port_isolated",
    number: 12,
    description: "vnet0 and vnet1 marked isolated: the two guests cannot talk, the host still can",
    symptom: {
      en: `vm ${vm1.ip} cannot reach vm ${vm2.ip}`,
      zh: `虚拟机 ${vm1.ip} 和 ${vm2.ip} 之间不通`,
    },
    targets: [vm1.ip, vm2.ip],
    async inject(lab) {
      await mustAll(lab, "host", [
        bridgeCmd("link", "set", "dev", vm1.tap, "isolated", "on"),
        bridgeCmd("link", "set", "dev", vm2.tap, "isolated", "on"),
      ]);
      await userTraffic(lab, [["vm1", vm2.ip]]);
    },
  },
  {
    id: "bridge_port_flood_learning_off",
    number: 13,
    description:
      "learning and unicast flooding off on vnet0 and its FDB entry gone: nothing is delivered to vm1",
    symptom: { en: `vm ${vm1.ip} cannot be reached`, zh: `虚拟机 ${vm1.ip} 访问不了` },
    targets: [vm1.ip],
    async inject(lab) {
      await must(lab, "host", bridgeCmd("link", "set", "dev", vm1.tap, "learning", "off", "flood", "off"));
      // The entry exists only if vm1 has sent something; either way none may be left.
      await lab.exec("host", bridgeCmd("fdb", "del", vm1.mac, "dev", vm1.tap, "master"));
      await userTraffic(lab, [["host", vm1.ip]]);
    },
  },
  {
    id: "stale_static_fdb",
    number: 14,
    description: "a sticky static FDB entry sends vm1's MAC to vnet1 (vm2's port)",
    symptom: { en: `host cannot ping vm ${vm1.ip}`, zh: `宿主机 ping 不通虚拟机 ${vm1.ip}` },
    targets: [vm1.ip],
    async inject(lab) {
      await must(
        lab,
        "host",
        bridgeCmd("fdb", "replace", vm1.mac, "dev", vm2.tap, "master", "static", "sticky"),
      );
      await userTraffic(lab, [["host", vm1.ip]]);
    },
  },
  {
    id: "vlan_filtering_mismatch",
    number: 15,
    description: "VLAN filtering on br0 and VLAN 1 removed from vnet0 (needs CONFIG_BRIDGE_VLAN_FILTERING)",
    symptom: { en: `vm ${vm1.ip} cannot reach anything`, zh: `虚拟机 ${vm1.ip} 什么都访问不了` },
    targets: [vm1.ip],
    async inject(lab) {
      const on = await lab.exec("host", ipCmd("link", "set", "br0", "type", "bridge", "vlan_filtering", "1"));
      if (on.code !== 0) {
        throw new Error(
          "vlan_filtering_mismatch cannot be injected on this kernel: bridge VLAN filtering is not built in " +
            `(CONFIG_BRIDGE_VLAN_FILTERING; ip said: ${on.stderr.trim()}). Test it with captured evidence instead.`,
        );
      }
      await must(lab, "host", bridgeCmd("vlan", "del", "dev", vm1.tap, "vid", "1"));
      await userTraffic(lab, [["host", vm1.ip]]);
    },
  },
];

/** A. MTU, duplicates and neighbour resolution (catalog #16-#19). */
export const l2Faults: Fault[] = [
  {
    id: "mtu_mismatch",
    number: 16,
    description:
      "vm1 and vnet0 at MTU 9000, vnet1 (vm2) at 1500: large frames vm1 -> vm2 are dropped silently",
    symptom: {
      en: `ssh from vm ${vm1.ip} to ${vm2.ip} hangs, ping works`,
      zh: `虚拟机 ${vm1.ip} ssh 到 ${vm2.ip} 卡住，但是 ping 是通的`,
    },
    targets: [vm1.ip, vm2.ip],
    async inject(lab) {
      await must(lab, "vm1", ipCmd("link", "set", "eth0", "mtu", "9000"));
      await must(lab, "host", ipCmd("link", "set", vm1.tap, "mtu", "9000"));
      await lab.exec("vm1", ["ping", "-n", "-q", "-M", "do", "-s", "8972", "-c", "2", "-W", "1", vm2.ip]);
    },
  },
  {
    id: "duplicate_mac",
    number: 17,
    description:
      "vm2 cloned with vm1's MAC (and its tap with vm1's tap MAC); both guests keep talking, the FDB flaps",
    symptom: {
      en: `vms ${vm1.ip} and ${vm2.ip} keep losing network on and off`,
      zh: `虚拟机 ${vm1.ip} 和 ${vm2.ip} 网络时断时续`,
    },
    targets: [vm1.ip, vm2.ip],
    async inject(lab) {
      await must(lab, "vm2", ipCmd("link", "set", "eth0", "address", vm1.mac));
      await must(lab, "host", ipCmd("link", "set", vm2.tap, "address", vm1.tapMac));
      keepPinging(lab, "vm1", NET.br0.address, "0.3");
      keepPinging(lab, "vm2", NET.br0.address, "0.3");
      await userTraffic(lab, [["host", vm1.ip]]);
    },
  },
  {
    id: "duplicate_ip",
    number: 18,
    description: "vm2 also configured with vm1's address 198.51.100.10: two MACs answer ARP for it",
    symptom: {
      en: `vm ${vm1.ip} is reachable only sometimes`,
      zh: `虚拟机 ${vm1.ip} 有时候能连上，有时候连不上`,
    },
    targets: [vm1.ip],
    async inject(lab) {
      await must(lab, "vm2", ipCmd("addr", "add", `${vm1.ip}/${vm1.prefixLen}`, "dev", "eth0"));
      await userTraffic(lab, [["host", vm1.ip]]);
    },
  },
  {
    id: "arp_resolution_failed",
    number: 19,
    description: "ARP turned off on vm1's NIC: the host's neighbour entry for it stays INCOMPLETE/FAILED",
    symptom: { en: `host cannot ping vm ${vm1.ip}`, zh: `宿主机 ping 不通虚拟机 ${vm1.ip}` },
    targets: [vm1.ip],
    async inject(lab) {
      await must(lab, "vm1", ipCmd("link", "set", "eth0", "arp", "off"));
      // An entry learned before the fault would stay REACHABLE for up to a minute; the user
      // complains later than that, so start from what the host then knows: nothing.
      await lab.exec("host", ipCmd("neigh", "flush", "to", vm1.ip));
      // Someone keeps trying (a monitoring check), so the entry is INCOMPLETE/FAILED whenever probed.
      keepPinging(lab, "host", vm1.ip);
      await userTraffic(lab, [["host", vm1.ip]]);
    },
  },
];
