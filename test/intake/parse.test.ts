import { describe, expect, it } from "vitest";
import type { SymptomCategory } from "../../src/diagnosis/types.js";
import { isIPv4, parseRequest, suggestNames } from "../../src/intake/index.js";

const inv = { hosts: ["kvm01", "kvm02", "hv-lab.example.net"], groups: ["kvm", "edge"] };
const cats = (text: string) => parseRequest(text, inv).categories;

describe("intake: hosts, targets, language", () => {
  it("reads the CONTRACT example", () => {
    const r = parseRequest("kvm01: vm 198.51.100.10 can't reach the host", inv);
    expect(r.hosts).toEqual(["kvm01"]);
    expect(r.targets).toEqual(["198.51.100.10"]);
    expect(r.symptom).toBe("vm 198.51.100.10 can't reach the host");
    expect(r.language).toBe("en");
    expect(r.categories).toEqual(["host_guest"]);
    expect(r.unknownHostLike).toBeUndefined();
  });

  it("finds hosts inside Chinese text without spaces and marks it zh", () => {
    const r = parseRequest("kvm02上的虚拟机198.51.100.11无法上网", inv);
    expect(r.hosts).toEqual(["kvm02"]);
    expect(r.targets).toEqual(["198.51.100.11"]);
    expect(r.language).toBe("zh");
    expect(r.categories).toEqual(["guest_outside"]);
  });

  it("matches host names case-insensitively, with dots, and returns the inventory spelling", () => {
    const r = parseRequest("Check HV-LAB.example.net. and KVM01, please", inv);
    expect(r.hosts).toEqual(["hv-lab.example.net", "kvm01"]);
    expect(r.categories).toEqual([]);
  });

  it("matches a group only when it is named as one, not as the common word", () => {
    expect(parseRequest("my kvm guest can't reach the gateway", inv).hosts).toEqual([]);
    expect(parseRequest("group kvm: guests lose packets", inv).hosts).toEqual(["kvm"]);
    expect(parseRequest("kvm: guests lose packets", inv).hosts).toEqual(["kvm"]);
    expect(parseRequest("edge vms are slow", inv).hosts).toEqual(["edge"]);
  });

  it("keeps only valid IPv4 targets and skips networks", () => {
    const r = parseRequest(
      "vm 198.51.100.300 and 203.0.113.7, not 1.2.3.4.5 or 010.1.1.1; subnet 198.51.100.0/24; again 203.0.113.7",
      inv,
    );
    expect(r.targets).toEqual(["203.0.113.7"]);
    expect(isIPv4("0.0.0.0")).toBe(true);
    expect(isIPv4("255.255.255.256")).toBe(false);
    expect(isIPv4("1.2.3")).toBe(false);
  });

  it("accepts full-width digits and colons from Chinese input methods", () => {
    const r = parseRequest("ｋｖｍ０１：虚拟机１９８.５１.１００.１０ ping不通宿主机", inv);
    expect(r.hosts).toEqual(["kvm01"]);
    expect(r.targets).toEqual(["198.51.100.10"]);
    expect(r.categories).toContain("host_guest");
  });

  it("records vm names after a Chinese guest word, with or without a space", () => {
    expect(
      parseRequest("kvm01 虚拟机 web-01 连不上宿主机", { hosts: ["kvm01"], groups: [] }).vmNames,
    ).toEqual(["web-01"]);
    expect(parseRequest("虚拟机web01无法上网", { hosts: ["kvm01"], groups: [] }).vmNames).toEqual(["web01"]);
  });

  it("reports host-like words missing from the inventory and records vm names", () => {
    const r = parseRequest("kvm1: vm web01 can't reach the internet", inv);
    expect(r.hosts).toEqual([]);
    expect(r.unknownHostLike).toEqual(["kvm1"]);
    expect(r.vmNames).toEqual(["web01"]);
    expect(suggestNames("kvm1", inv.hosts)).toEqual(["kvm01", "kvm02"]);
    expect(parseRequest("on host db07 the guests are slow", inv).unknownHostLike).toEqual(["db07"]);
    expect(parseRequest("vm1 cannot ping vm2", inv).vmNames).toEqual(["vm1", "vm2"]);
  });

  it("handles empty and garbage text", () => {
    for (const t of ["", "   ", "!!!", "\u0000\u0001", "????????"]) {
      const r = parseRequest(t, inv);
      expect(r).toMatchObject({ hosts: [], targets: [], categories: [], vmNames: [] });
    }
    expect(parseRequest("a".repeat(20000), inv).hosts).toEqual([]);
  });

  it("reads only the first part of a very long message, quickly, and keeps the whole symptom", () => {
    const long = `kvm01: vm 198.51.100.10 cannot reach the host ${"after start ".repeat(5000)} 203.0.113.9`;
    const t0 = performance.now();
    const r = parseRequest(long, inv);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(r.hosts).toEqual(["kvm01"]);
    expect(r.targets).toEqual(["198.51.100.10"]);
    expect(r.symptom.startsWith("vm 198.51.100.10 cannot reach the host after start")).toBe(true);
    expect(r.symptom.endsWith("after start 203.0.113.9")).toBe(true);
  });

  it("strips a Slack mention and leading hosts from the symptom", () => {
    expect(parseRequest("<@U123ABC> kvm01 kvm02, guests slow", inv).symptom).toBe("guests slow");
  });
});

const cases: Array<[string, SymptomCategory[]]> = [
  // host <-> guest
  ["the host cannot ping vm 198.51.100.10", ["host_guest"]],
  ["can't ssh into the guest from the hypervisor", ["host_guest"]],
  ["host to vm traffic is broken", ["host_guest"]],
  ["宿主机和虚拟机网络不通", ["host_guest"]],
  ["虚拟机ping不通宿主机", ["host_guest"]],
  // "except": what comes after it fails unless what comes before already failed
  ["guest 198.51.100.18 talks to everything on the LAN except its own hypervisor kvm01", ["host_guest"]],
  ["vm 198.51.100.10 reaches everything except the host", ["host_guest"]],
  ["vm 198.51.100.10 cannot reach anything except the host", []],
  // "beyond the host": the far side, not the host
  ["guest 203.0.113.10 pings 203.0.113.1 fine, but nothing beyond the host ever works", ["guest_outside"]],
  ["从宿主机访问不了虚机", ["host_guest"]],
  ["在宿主机上ping不通虚拟机", ["host_guest"]],
  // an inventory host named as the one that cannot reach
  ["cannot ping 198.51.100.10 from kvm01", ["host_guest"]],
  ["kvm01 cannot reach vm 198.51.100.10", ["host_guest"]],
  ["从kvm01 ping不通198.51.100.10", ["host_guest"]],
  ["kvm01 host cannot reach vm 198.51.100.10", ["host_guest"]],
  // a host name before "host and vm" does not turn the host word into a name
  ["kvm01 宿主机和虚拟机网络不通", ["host_guest"]],
  ["kvm01 虚拟机与宿主机之间不通", ["host_guest"]],
  ["kvm01 host and vm cannot talk", ["host_guest"]],
  ["在kvm01上的虚拟机访问不了外网", ["guest_outside"]],
  ["kvm01: vm can't reach the internet", ["guest_outside"]],
  ["the host kvm01 cannot ping the gateway 198.51.100.254", ["guest_lan"]],
  // guest <-> guest
  ["guests can't talk to each other", ["guest_guest"]],
  ["vm1 cannot reach another vm on the same bridge", ["guest_guest"]],
  ["no traffic between the VMs", ["guest_guest"]],
  ["虚拟机之间互相ping不通", ["guest_guest"]],
  ["两台虚拟机不能互通", ["guest_guest"]],
  ["虚拟机互ping不通", ["guest_guest"]],
  // LAN
  ["vm can't reach the LAN", ["guest_lan"]],
  ["the guest cannot ping its gateway", ["guest_lan"]],
  ["VMs cannot reach other machines on the office network", ["guest_lan"]],
  ["虚拟机访问不了局域网其他主机", ["guest_lan"]],
  ["虚拟机ping不通网关", ["guest_lan"]],
  // outside
  ["vm can't reach the internet", ["guest_outside"]],
  ["guest has no internet access", ["guest_outside"]],
  ["the VM cannot access external networks", ["guest_outside"]],
  ["apt update hangs inside the vm", ["guest_outside"]],
  ["虚拟机无法上网", ["guest_outside"]],
  ["虚机访问不了外网", ["guest_outside"]],
  ["the vm can't resolve DNS names", ["guest_outside"]],
  ["虚拟机域名解析失败", ["guest_outside"]],
  // the host is where the vm lives, not what it fails to reach
  ["the vm on the host can't reach the internet", ["guest_outside"]],
  ["宿主机上的虚拟机上不了网", ["guest_outside"]],
  // what works is not a symptom
  ["the vm can ping the host but not the gateway", ["guest_lan"]],
  ["宿主机能ping通虚拟机，但是虚拟机上不了网", ["guest_outside"]],
  ["host to guest works fine, the LAN is unreachable from the vm", ["guest_lan"]],
  // large packets
  ["small pings work but large packets hang", ["large_packets"]],
  ["ssh to the vm hangs right after login", ["large_packets"]],
  ["from the host, ssh to the vm hangs right after login", ["host_guest", "large_packets"]],
  ["ping -s 1472 fails, ping without size works", ["large_packets"]],
  ["MTU problem on the guest?", ["large_packets"]],
  ["大包不通", ["large_packets"]],
  ["ping 小包通大包不通", ["large_packets"]],
  ["虚拟机传大文件卡住", ["large_packets"]],
  ["虚拟机传大文件很慢", ["large_packets", "slow"]],
  ["packets larger than 1400 bytes are dropped", ["large_packets"]],
  ["虚拟机ssh登录后卡住", ["large_packets"]],
  // intermittent
  ["connectivity to the vm is intermittent", ["intermittent"]],
  ["vm network drops out every few minutes", ["intermittent"]],
  ["the guest loses packets sometimes", ["intermittent"]],
  ["时断时续", ["intermittent"]],
  ["虚拟机网络断断续续，经常丢包", ["intermittent"]],
  // slow
  ["network in the vm is slow", ["slow"]],
  ["high latency to the guest", ["slow"]],
  ["虚拟机网速很慢", ["slow"]],
  // no ip
  ["虚拟机获取不到IP", ["no_ip"]],
  ["the new guest doesn't get an IP address", ["no_ip"]],
  ["vm has no ip, dhcp times out", ["no_ip"]],
  ["guest only has a 169.254.3.4 address", ["no_ip"]],
  ["虚拟机拿不到地址", ["no_ip"]],
  // after start
  ["after start it takes 30 seconds before the vm is reachable", ["after_start"]],
  ["network only works after the first 30 seconds", ["after_start"]],
  ["after reboot the guest has no network for half a minute", ["after_start"]],
  ["虚拟机刚启动时网络不通，过一会儿就好了", ["after_start"]],
  ["虚拟机重启后30秒才能ping通", ["after_start"]],
  ["the vm comes up after reboot but needs about a minute before it answers", ["after_start"]],
  // a start alone is a plain outage, not the delayed-start category
  ["after reboot the vm has no network at all", []],
  ["虚拟机重启后网络不通", []],
  ["network comes up only 30s after the domain starts", ["after_start"]],
  // won't start
  ["the vm won't start: network default is not active", ["vm_wont_start"]],
  ["virsh start fails with failed to start domain", ["vm_wont_start"]],
  ["虚拟机起不来", ["vm_wont_start"]],
  ["虚拟机启动失败", ["vm_wont_start"]],
  // several at once
  ["guests on kvm01 can't reach the internet and ssh to them is slow", ["guest_outside", "slow"]],
  ["虚拟机无法上网，而且时断时续", ["guest_outside", "intermittent"]],
  // dots inside addresses do not end a clause
  ["scp from 198.51.100.10 to 198.51.100.11 stalls while ping is fine", ["large_packets"]],
  // what still works is not a symptom
  ["the guest 198.51.100.10 lost the gateway, the host still reaches it", ["guest_lan"]],
  [
    "NAT vm 203.0.113.10 has no outbound access although the host can also reach 203.0.113.200",
    ["guest_outside"],
  ],
  ["虚拟机 203.0.113.10 上不了外网，不过能 ping 通宿主机", ["guest_outside"]],
  // two guests named with two addresses
  ["guest 198.51.100.10 can't ping guest 198.51.100.11", ["guest_guest"]],
  ["traffic between vm 198.51.100.10 and 198.51.100.11 is blocked", ["guest_guest"]],
  ["虚拟机 198.51.100.10 与 198.51.100.11 之间 ping 不通", ["guest_guest"]],
  ["vm 203.0.113.10 cannot reach the host 198.51.100.1", ["host_guest"]],
  // just started
  ["guest 198.51.100.12 was just booted and cannot reach anything yet", ["after_start"]],
  ["kvm01 lost contact with vm 198.51.100.10", ["host_guest"]],
  // nothing specific: a full check
  ["please check kvm01", []],
  ["看看kvm01", []],
];

describe("intake: symptom categories", () => {
  it.each(cases)("%s", (text, expected) => {
    expect(cats(text)).toEqual(expected);
  });
});
