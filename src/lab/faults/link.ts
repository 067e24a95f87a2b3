import { GUESTS, NET } from "../plan.js";
import { ipCmd, must, mustAll, userTraffic } from "./helpers.js";
import type { Fault } from "./types.js";

const vm1 = GUESTS.vm1;

/** A. Link / L2 plumbing: taps, bridge and uplink (catalog #1-#9). */
export const linkFaults: Fault[] = [
  {
    id: "tap_not_enslaved",
    number: 1,
    description: "vnet0 (vm1's tap) taken out of br0 with `ip link set vnet0 nomaster`",
    symptom: { en: `vm ${vm1.ip} cannot reach the host`, zh: `虚拟机 ${vm1.ip} 无法访问宿主机` },
    targets: [vm1.ip],
    async inject(lab) {
      await must(lab, "host", ipCmd("link", "set", vm1.tap, "nomaster"));
      await userTraffic(lab, [
        ["host", vm1.ip],
        ["vm1", NET.br0.address],
      ]);
    },
  },
  {
    id: "tap_on_wrong_bridge",
    number: 2,
    description: "vnet0 moved from br0 to the NAT bridge virbr0",
    symptom: {
      en: `vm ${vm1.ip} lost its network, host cannot ping it`,
      zh: `虚拟机 ${vm1.ip} 断网了，宿主机 ping 不通`,
    },
    targets: [vm1.ip],
    async inject(lab) {
      await must(lab, "host", ipCmd("link", "set", vm1.tap, "master", "virbr0"));
      await userTraffic(lab, [
        ["host", vm1.ip],
        ["vm1", NET.br0.address],
      ]);
    },
  },
  {
    id: "bridge_down",
    number: 3,
    description: "br0 set administratively down (its connected and default routes vanish)",
    symptom: {
      en: `all VMs on br0 (${GUESTS.vm1.ip}, ${GUESTS.vm2.ip}) lost network`,
      zh: `br0 上的所有虚拟机（${GUESTS.vm1.ip}、${GUESTS.vm2.ip}）都断网了`,
    },
    targets: [GUESTS.vm1.ip, GUESTS.vm2.ip],
    async inject(lab) {
      await must(lab, "host", ipCmd("link", "set", "br0", "down"));
      await userTraffic(lab, [
        ["vm1", NET.br0.address],
        ["vm2", GUESTS.vm1.ip],
      ]);
    },
  },
  {
    id: "tap_admin_down",
    number: 4,
    description: "vnet0 set administratively down on the host",
    symptom: { en: `vm ${vm1.ip} is unreachable`, zh: `虚拟机 ${vm1.ip} 不可达` },
    targets: [vm1.ip],
    async inject(lab) {
      await must(lab, "host", ipCmd("link", "set", vm1.tap, "down"));
      await userTraffic(lab, [["host", vm1.ip]]);
    },
  },
  {
    id: "tap_no_carrier_detached",
    number: 5,
    description:
      "vm1's qemu is gone: vnet0 is now a persistent tun/tap port of br0 with no process attached (NO-CARRIER)",
    symptom: { en: `vm ${vm1.ip} is down, cannot ping it`, zh: `虚拟机 ${vm1.ip} 挂了，ping 不通` },
    targets: [vm1.ip],
    async inject(lab) {
      // Deleting the veth removes the guest's NIC with it: the "guest" is gone, as when qemu dies.
      await mustAll(lab, "host", [
        ipCmd("link", "del", vm1.tap),
        ipCmd("tuntap", "add", "dev", vm1.tap, "mode", "tap"),
        ipCmd("link", "set", vm1.tap, "address", vm1.tapMac, "master", "br0", "up"),
      ]);
      await userTraffic(lab, [["host", vm1.ip]]);
    },
  },
  {
    id: "guest_link_down",
    number: 6,
    description: "vm1's NIC set down inside the guest (veth stand-in for `virsh domif-setlink ... down`)",
    symptom: { en: `vm ${vm1.ip} has no network`, zh: `虚拟机 ${vm1.ip} 没有网络` },
    targets: [vm1.ip],
    async inject(lab) {
      await must(lab, "vm1", ipCmd("link", "set", "eth0", "down"));
      await userTraffic(lab, [["host", vm1.ip]]);
    },
  },
  {
    id: "uplink_not_enslaved",
    number: 7,
    description: "the uplink eno1 taken out of br0: guests reach the host but not the LAN",
    symptom: {
      en: `vm ${vm1.ip} cannot reach the gateway ${NET.gateway}, the host works`,
      zh: `虚拟机 ${vm1.ip} 访问不了网关 ${NET.gateway}，宿主机可以`,
    },
    targets: [vm1.ip, NET.gateway],
    async inject(lab) {
      await must(lab, "host", ipCmd("link", "set", "eno1", "nomaster"));
      await userTraffic(lab, [["vm1", NET.gateway]]);
    },
  },
  {
    id: "uplink_no_carrier",
    number: 8,
    description: "the far end of eno1 (lan0 of the LAN router) went down: eno1 has NO-CARRIER",
    symptom: { en: `VMs on br0 cannot reach ${NET.gateway}`, zh: `br0 上的虚拟机访问不了 ${NET.gateway}` },
    targets: [vm1.ip, NET.gateway],
    async inject(lab) {
      await must(lab, "out", ipCmd("link", "set", "lan0", "down"));
      await userTraffic(lab, [["vm1", NET.gateway]]);
    },
  },
  {
    id: "host_ip_on_enslaved_nic",
    number: 9,
    description: "the host IP 198.51.100.1/24 and the default route moved from br0 to its port eno1",
    symptom: { en: `host cannot reach vm ${vm1.ip}`, zh: `宿主机访问不了虚拟机 ${vm1.ip}` },
    targets: [vm1.ip],
    async inject(lab) {
      const cidr = `${NET.br0.address}/${NET.br0.prefixLen}`;
      await mustAll(lab, "host", [
        ipCmd("addr", "del", cidr, "dev", "br0"),
        ipCmd("addr", "add", cidr, "brd", "+", "dev", "eno1"),
        ipCmd("route", "replace", "default", "via", NET.gateway, "dev", "eno1"),
      ]);
      await userTraffic(lab, [
        ["host", vm1.ip],
        ["vm3", NET.internet],
      ]);
    },
  },
];
