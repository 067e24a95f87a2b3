import { GUESTS, NET } from "../plan.js";
import { keepPinging, must, mustAll, userTraffic } from "./helpers.js";
import type { Fault } from "./types.js";

const { vm1, vm2, vm3 } = GUESTS;

const ipt = (...args: string[]): string[] => ["iptables", "-w", ...args];

async function nftLoad(lab: Parameters<Fault["inject"]>[0], ruleset: string): Promise<void> {
  const r = await lab.exec("host", ["bash", "-c", 'printf "%s" "$0" | nft -f -', ruleset]);
  if (r.code !== 0) throw new Error(`nft -f: ${r.stderr.trim()}`);
}

/** C. Packet filtering (catalog #33-#40, #42). */
export const filteringFaults: Fault[] = [
  {
    id: "forward_drop_br_netfilter",
    number: 33,
    description:
      "FORWARD policy DROP (as Docker sets it) while br_netfilter passes bridged frames through iptables",
    symptom: {
      en: `vm ${vm1.ip} cannot reach vm ${vm2.ip} or the LAN, the host can reach both`,
      zh: `虚拟机 ${vm1.ip} 访问不了 ${vm2.ip} 和局域网，宿主机都能访问`,
    },
    targets: [vm1.ip, vm2.ip],
    async inject(lab) {
      const nf = await lab.exec("host", ["sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=1"]);
      if (nf.code !== 0) {
        throw new Error(
          "forward_drop_br_netfilter needs br_netfilter (/proc/sys/net/bridge) on this machine",
        );
      }
      await must(lab, "host", ipt("-P", "FORWARD", "DROP"));
      await userTraffic(lab, [
        ["vm1", vm2.ip],
        ["vm1", NET.gateway],
      ]);
    },
  },
  {
    id: "input_drop_vm_traffic",
    number: 34,
    description: "an INPUT rule drops everything from 198.51.100.0/24 arriving on br0",
    symptom: {
      en: `vm ${vm1.ip} cannot reach the host, other vms can reach it`,
      zh: `虚拟机 ${vm1.ip} 访问不了宿主机，但能访问其他虚拟机`,
    },
    targets: [vm1.ip],
    async inject(lab) {
      await must(lab, "host", ipt("-I", "INPUT", "-i", "br0", "-s", "198.51.100.0/24", "-j", "DROP"));
      await userTraffic(lab, [["vm1", NET.br0.address]]);
    },
  },
  {
    id: "masquerade_missing",
    number: 35,
    description: "the MASQUERADE rules of the NAT network deleted (nat LIBVIRT_PRT flushed)",
    symptom: {
      en: `vm ${vm3.ip} cannot reach the internet ${NET.internet}`,
      zh: `虚拟机 ${vm3.ip} 访问不了外网 ${NET.internet}`,
    },
    targets: [vm3.ip],
    async inject(lab) {
      await must(lab, "host", ipt("-t", "nat", "-F", "LIBVIRT_PRT"));
      await userTraffic(lab, [["vm3", NET.internet]]);
    },
  },
  {
    id: "nftables_drop",
    number: 36,
    description:
      'a custom nftables table "inet filter" with forward policy drop and an input drop for vm1 (iptables still accepts)',
    symptom: {
      en: `vms lost network: ${vm1.ip} cannot reach the host, ${vm3.ip} has no internet`,
      zh: `虚拟机都断网了：${vm1.ip} 访问不了宿主机，${vm3.ip} 上不了外网`,
    },
    targets: [vm1.ip, vm3.ip],
    async inject(lab) {
      await nftLoad(
        lab,
        [
          "table inet filter {",
          "  chain input {",
          "    type filter hook input priority filter; policy accept;",
          `    iifname "br0" ip saddr ${vm1.ip} counter drop`,
          "  }",
          "  chain forward {",
          "    type filter hook forward priority filter; policy drop;",
          "    counter",
          "  }",
          "  chain output {",
          "    type filter hook output priority filter; policy accept;",
          "  }",
          "}",
          "",
        ].join("\n"),
      );
      await userTraffic(lab, [
        ["vm1", NET.br0.address],
        ["vm3", NET.internet],
        ["vm1", vm2.ip],
      ]);
    },
  },
  {
    id: "firewalld_zone_misconfig",
    number: 37,
    description:
      'emulated firewalld (nftables backend) with virbr0 in the "public" zone instead of "libvirt": forwarding and DHCP/DNS rejected',
    symptom: {
      en: `vm ${vm3.ip} has no internet after firewalld was enabled`,
      zh: `开启 firewalld 之后虚拟机 ${vm3.ip} 上不了网`,
    },
    targets: [vm3.ip],
    async inject(lab) {
      // The shape of firewalld's own table (filter_INPUT/filter_FORWARD + zone dispatch), trimmed.
      await nftLoad(
        lab,
        [
          "table inet firewalld {",
          "  chain filter_INPUT {",
          "    type filter hook input priority filter + 10; policy accept;",
          "    ct state { established, related } accept",
          "    ct state invalid drop",
          '    iifname "lo" accept',
          "    jump filter_INPUT_ZONES",
          "    reject with icmpx admin-prohibited",
          "  }",
          "  chain filter_FORWARD {",
          "    type filter hook forward priority filter + 10; policy accept;",
          "    ct state { established, related } accept",
          "    ct state invalid drop",
          '    iifname "lo" accept',
          "    counter reject with icmpx admin-prohibited",
          "  }",
          "  chain filter_INPUT_ZONES {",
          '    iifname "virbr0" goto filter_IN_public',
          '    iifname "br0" goto filter_IN_public',
          "    goto filter_IN_public",
          "  }",
          "  chain filter_IN_public {",
          "    meta l4proto { icmp, ipv6-icmp } accept",
          "    tcp dport 22 accept",
          "    udp dport 546 accept",
          "  }",
          "}",
          "",
        ].join("\n"),
      );
      await userTraffic(lab, [["vm3", NET.internet]]);
    },
  },
  {
    id: "libvirt_fw_rules_flushed",
    number: 38,
    description:
      "`nft flush ruleset` in the host (an nftables.service restart): libvirt's chains and NAT are gone",
    symptom: {
      en: `vm ${vm3.ip} lost internet access, nothing changed on the VM`,
      zh: `虚拟机 ${vm3.ip} 突然上不了网，虚拟机上什么都没改`,
    },
    targets: [vm3.ip],
    async inject(lab) {
      await must(lab, "host", ["nft", "flush", "ruleset"]);
      await userTraffic(lab, [["vm3", NET.internet]]);
    },
  },
  {
    id: "libvirt_network_isolated_by_design",
    number: 39,
    description:
      "virbr0's rules as libvirt makes them for an isolated network (no <forward>): REJECT in and out",
    symptom: {
      en: `vm ${vm3.ip} can reach the host but never the internet`,
      zh: `虚拟机 ${vm3.ip} 能访问宿主机，但是上不了外网`,
    },
    targets: [vm3.ip],
    async inject(lab) {
      await mustAll(lab, "host", [
        ipt("-t", "nat", "-F", "LIBVIRT_PRT"),
        ipt("-F", "LIBVIRT_FWO"),
        ipt("-F", "LIBVIRT_FWI"),
        ipt("-A", "LIBVIRT_FWO", "-i", "virbr0", "-j", "REJECT", "--reject-with", "icmp-port-unreachable"),
        ipt("-A", "LIBVIRT_FWI", "-o", "virbr0", "-j", "REJECT", "--reject-with", "icmp-port-unreachable"),
      ]);
      await userTraffic(lab, [["vm3", NET.internet]]);
    },
  },
  {
    id: "ebtables_nwfilter_drop",
    number: 40,
    description:
      "ebtables drops everything from vnet0 (FORWARD) and vm1's IPv4 to the host (INPUT), as a stale nwfilter would",
    symptom: { en: `vm ${vm1.ip} cannot reach anything`, zh: `虚拟机 ${vm1.ip} 什么都访问不了` },
    targets: [vm1.ip],
    async inject(lab) {
      await mustAll(lab, "host", [
        ["ebtables", "-A", "FORWARD", "-i", vm1.tap, "-j", "DROP"],
        ["ebtables", "-A", "INPUT", "-p", "IPv4", "-i", vm1.tap, "--ip-src", vm1.ip, "-j", "DROP"],
      ]);
      await userTraffic(lab, [
        ["vm1", NET.br0.address],
        ["vm1", vm2.ip],
      ]);
    },
  },
  {
    id: "tc_qdisc_drop",
    number: 42,
    description: "a tiny tbf qdisc on vnet0 (8 bit/s) drops nearly everything (netem is not in this kernel)",
    symptom: {
      en: `vm ${vm1.ip} is unreachable, link looks fine`,
      zh: `虚拟机 ${vm1.ip} 不可达，链路看着正常`,
    },
    targets: [vm1.ip],
    async inject(lab) {
      await must(lab, "host", [
        "tc",
        "qdisc",
        "add",
        "dev",
        vm1.tap,
        "root",
        "tbf",
        "rate",
        "8bit",
        "burst",
        "64",
        "limit",
        "64",
      ]);
      keepPinging(lab, "host", vm1.ip);
      await userTraffic(lab, [["host", vm1.ip]]);
    },
  },
];

/** D. The guest's own firewall (catalog #49). */
export const guestFaults: Fault[] = [
  {
    id: "guest_side_config_or_firewall",
    number: 49,
    description: "the guest vm1 drops all incoming IPv4 with its own iptables (ARP still answered)",
    symptom: { en: `cannot ping vm ${vm1.ip} from the host`, zh: `宿主机 ping 不通虚拟机 ${vm1.ip}` },
    targets: [vm1.ip],
    async inject(lab) {
      await must(lab, "vm1", ipt("-A", "INPUT", "-j", "DROP"));
      await userTraffic(lab, [["host", vm1.ip]]);
    },
  },
];
