import { GUESTS, NET } from "../plan.js";
import { ipCmd, must, mustAll, sysctlCmd, userTraffic } from "./helpers.js";
import type { Fault } from "./types.js";

const { vm1, vm2, vm3, vm4, vm6 } = GUESTS;
const NAT_NET = NET.virbr0.network;

/** B. L3 addressing and routing (catalog #24-#32). */
export const routingFaults: Fault[] = [
  {
    id: "subnet_mismatch",
    number: 24,
    description:
      "vm1 readdressed to 198.51.100.140/25 (a wrong static config): the host's ARP for .10 goes unanswered",
    symptom: { en: `host cannot reach vm ${vm1.ip}`, zh: `宿主机连不上虚拟机 ${vm1.ip}` },
    targets: [vm1.ip],
    async inject(lab) {
      await mustAll(lab, "vm1", [
        ipCmd("addr", "flush", "dev", "eth0"),
        ipCmd("addr", "add", "198.51.100.140/25", "brd", "+", "dev", "eth0"),
        ipCmd("route", "replace", "default", "via", NET.gateway),
      ]);
      await userTraffic(lab, [
        ["host", vm1.ip],
        ["vm1", NET.br0.address],
      ]);
    },
  },
  {
    id: "guest_default_route_missing",
    number: 25,
    description: "the NAT guest vm3 lost its default route",
    symptom: {
      en: `vm ${vm3.ip} cannot reach the internet (${NET.internet}), the host is fine`,
      zh: `虚拟机 ${vm3.ip} 上不了外网（${NET.internet}），宿主机正常`,
    },
    targets: [vm3.ip],
    async inject(lab) {
      await must(lab, "vm3", ipCmd("route", "del", "default"));
      await userTraffic(lab, [["vm3", NET.internet]]);
    },
  },
  {
    id: "host_route_conflict",
    number: 26,
    description:
      "198.51.100.2/25 added on virbr0: the host now routes 198.51.100.0/25 (vm1, vm2) to the NAT bridge",
    symptom: { en: `host cannot reach vm ${vm1.ip}`, zh: `宿主机访问不了虚拟机 ${vm1.ip}` },
    targets: [vm1.ip],
    async inject(lab) {
      await must(lab, "host", ipCmd("addr", "add", "198.51.100.2/25", "dev", "virbr0"));
      await userTraffic(lab, [["host", vm1.ip]]);
    },
  },
  {
    id: "upstream_return_route_missing",
    number: 27,
    description:
      "virbr0 turned into a routed libvirt network (no MASQUERADE, plain accept rules); the LAN router has no route back to 203.0.113.0/25",
    symptom: {
      en: `vm ${vm3.ip} cannot reach ${NET.internet}`,
      zh: `虚拟机 ${vm3.ip} 访问不了 ${NET.internet}`,
    },
    targets: [vm3.ip],
    async inject(lab) {
      // The rules libvirt installs for <forward mode='route'/>: forward both ways, no NAT.
      await mustAll(lab, "host", [
        ["iptables", "-w", "-t", "nat", "-F", "LIBVIRT_PRT"],
        ["iptables", "-w", "-F", "LIBVIRT_FWI"],
        ["iptables", "-w", "-A", "LIBVIRT_FWI", "-d", NAT_NET, "-o", "virbr0", "-j", "ACCEPT"],
        [
          "iptables",
          "-w",
          "-A",
          "LIBVIRT_FWI",
          "-o",
          "virbr0",
          "-j",
          "REJECT",
          "--reject-with",
          "icmp-port-unreachable",
        ],
      ]);
      await userTraffic(lab, [["vm3", NET.internet]]);
    },
  },
  {
    id: "ip_forward_disabled",
    number: 28,
    description: "net.ipv4.ip_forward=0 in the host: NAT guests cannot leave it",
    symptom: {
      en: `vm ${vm3.ip} has no internet, it can ping the host`,
      zh: `虚拟机 ${vm3.ip} 上不了网，但能 ping 通宿主机`,
    },
    targets: [vm3.ip],
    async inject(lab) {
      await must(lab, "host", sysctlCmd("net.ipv4.ip_forward=0"));
      await userTraffic(lab, [["vm3", NET.internet]]);
    },
  },
  {
    id: "rp_filter_drop",
    number: 29,
    description:
      "strict rp_filter on the host while vm4 (br1) reaches br0's address through the LAN router: the way back is br1",
    symptom: {
      en: `vm ${vm4.ip} cannot reach the host ${NET.br0.address}`,
      zh: `虚拟机 ${vm4.ip} 访问不了宿主机 ${NET.br0.address}`,
    },
    targets: [vm4.ip, NET.br0.address],
    needs: ["secondBridge"],
    async inject(lab) {
      await lab.enable("secondBridge");
      await must(
        lab,
        "host",
        sysctlCmd(
          "net.ipv4.conf.all.rp_filter=1",
          "net.ipv4.conf.br0.rp_filter=1",
          "net.ipv4.conf.all.log_martians=1",
          "net.ipv4.conf.br0.log_martians=1",
        ),
      );
      await userTraffic(lab, [["vm4", NET.br0.address]]);
    },
  },
  {
    id: "arp_ignore_arp_filter",
    number: 30,
    description:
      "arp_ignore=1 on the host while NAT guest vm3 uses the host's br0 IP as an on-link neighbour through virbr0",
    symptom: {
      en: `vm ${vm3.ip} cannot reach the host ${NET.br0.address}`,
      zh: `虚拟机 ${vm3.ip} 访问不了宿主机 ${NET.br0.address}`,
    },
    targets: [vm3.ip, NET.br0.address],
    async inject(lab) {
      // The "Hetzner-style" guest config: the host's main IP on-link.
      await must(lab, "vm3", ipCmd("route", "add", `${NET.br0.address}/32`, "dev", "eth0"));
      await must(lab, "host", sysctlCmd("net.ipv4.conf.all.arp_ignore=1"));
      await userTraffic(lab, [["vm3", NET.br0.address]]);
    },
  },
  {
    id: "proxy_arp_missing",
    number: 31,
    description: "routed guest vm6 (198.51.100.50/32 via vnet6) without proxy ARP on vnet6 and br0",
    symptom: {
      en: `vm ${vm6.ip} cannot reach the gateway ${NET.gateway}`,
      zh: `虚拟机 ${vm6.ip} 访问不了网关 ${NET.gateway}`,
    },
    targets: [vm6.ip],
    needs: ["routed"],
    async inject(lab) {
      await lab.enable("routed");
      await must(
        lab,
        "host",
        sysctlCmd(`net.ipv4.conf.${vm6.tap}.proxy_arp=0`, "net.ipv4.conf.br0.proxy_arp=0"),
      );
      // Answers given while proxy ARP was on would be cached for a while; a guest that booted into
      // this setup never had them.
      await lab.exec("vm6", ipCmd("neigh", "flush", "dev", "eth0"));
      await lab.exec("out", ipCmd("neigh", "flush", "to", vm6.ip));
      await userTraffic(lab, [["vm6", NET.gateway]]);
    },
  },
  {
    id: "proxy_arp_hijack",
    number: 32,
    description: "proxy_arp on br0 plus a /32 route for vm2's IP via virbr0: the host answers ARP for vm2",
    symptom: {
      en: `vm ${vm2.ip} is reachable only sometimes, looks like a duplicate IP`,
      zh: `虚拟机 ${vm2.ip} 时通时不通，像是 IP 冲突`,
    },
    targets: [vm2.ip],
    async inject(lab) {
      await must(lab, "host", sysctlCmd("net.ipv4.conf.br0.proxy_arp=1"));
      await must(lab, "host", ipCmd("route", "add", `${vm2.ip}/32`, "dev", "virbr0"));
      await userTraffic(lab, [
        ["host", vm2.ip],
        ["vm1", vm2.ip],
      ]);
    },
  },
];
