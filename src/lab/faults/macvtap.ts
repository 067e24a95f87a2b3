import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GUESTS, NET } from "../plan.js";
import { ipCmd, userTraffic } from "./helpers.js";
import type { Fault } from "./types.js";

const { vm1, vm5 } = GUESTS;

/** A. macvtap and uplink limits (catalog #21-#23). */
export const macvtapFaults: Fault[] = [
  {
    id: "macvtap_host_isolation",
    number: 21,
    description:
      "guest vm5 on a macvlan (bridge mode) of eno3, which holds the host IP: vm5 reaches the LAN, never the host",
    symptom: {
      en: `vm ${vm5.ip} cannot reach the host ${NET.eno3.address}, the LAN works`,
      zh: `虚拟机 ${vm5.ip} 访问不了宿主机 ${NET.eno3.address}，局域网是通的`,
    },
    targets: [vm5.ip],
    needs: ["macvtap"],
    async inject(lab) {
      // By design: the topology part is the cause.
      await lab.enable("macvtap");
      await userTraffic(lab, [
        ["vm5", NET.eno3.address],
        ["host", vm5.ip],
      ]);
    },
  },
  {
    id: "macvtap_parent_busy",
    number: 22,
    description:
      "a macvtap for a new guest is created on eno1, which is already a br0 port: the kernel refuses (EBUSY), the guest gets no NIC",
    symptom: {
      en: "new vm with a direct (macvtap) NIC on eno1 will not start: Device or resource busy",
      zh: "新虚拟机用 eno1 的 direct（macvtap）网卡启动失败：Device or resource busy",
    },
    targets: [],
    async inject(lab) {
      const attempt = await lab.exec(
        "host",
        ipCmd("link", "add", "link", "eno1", "name", "macvtap1", "type", "macvlan", "mode", "bridge"),
      );
      if (attempt.code === 0) {
        await lab.exec("host", ipCmd("link", "del", "macvtap1"));
        throw new Error(
          "macvtap_parent_busy: the kernel accepted a macvlan on a bridge port; cannot reproduce",
        );
      }
      // What libvirt would have logged for the failed start (kept in the lab dir for people, not probes).
      await writeFile(
        join(lab.dir, "faults.log"),
        `error creating macvtap interface macvtap1@eno1 (52:54:00:00:00:07): ${attempt.stderr.trim()}\n`,
        { flag: "a" },
      );
    },
  },
  {
    id: "uplink_drops_foreign_macs",
    number: 23,
    description:
      "emulated MAC filtering upstream: ebtables drops frames leaving eno1 whose source is not the host's MAC",
    symptom: {
      en: `vm ${vm1.ip} cannot reach the LAN ${NET.gateway}, the host can`,
      zh: `虚拟机 ${vm1.ip} 访问不了局域网 ${NET.gateway}，宿主机可以`,
    },
    targets: [vm1.ip, NET.gateway],
    async inject(lab) {
      const r = await lab.exec("host", [
        "ebtables",
        "-A",
        "FORWARD",
        "-o",
        "eno1",
        "!",
        "-s",
        NET.br0.mac,
        "-j",
        "DROP",
      ]);
      if (r.code !== 0) throw new Error(`ebtables: ${r.stderr.trim()}`);
      await userTraffic(lab, [["vm1", NET.gateway]]);
    },
  },
];
