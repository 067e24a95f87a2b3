import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { UDHCPC_FOREVER } from "../dhcp.js";
import { processAlive, sleep } from "../exec.js";
import { GUESTS } from "../plan.js";
import { strictDhcpClientForever } from "../strict-dhcp-client.js";
import { DHCP_CHECKSUM_RULE } from "../topology.js";
import { must } from "./helpers.js";
import type { Fault } from "./types.js";

const { vm3 } = GUESTS;

/** D. DHCP on the NAT network (catalog #44, #45); the guest keeps asking, as a booting VM does. */
export const dhcpFaults: Fault[] = [
  {
    id: "dhcp_server_missing",
    number: 44,
    description: "the NAT network's dnsmasq was killed; vm3's DHCP client keeps sending DISCOVERs",
    symptom: {
      en: "new vm on the default network gets no IP address",
      zh: "default 网络上的新虚拟机拿不到 IP 地址",
    },
    targets: [vm3.ip],
    needs: ["dhcp"],
    async inject(lab) {
      await lab.enable("dhcp");
      const pid = Number((await readFile(join(lab.dir, "dnsmasq.pid"), "utf8")).trim());
      if (!(pid > 1)) throw new Error("dhcp_server_missing: no dnsmasq pid");
      process.kill(pid, "SIGTERM");
      for (let i = 0; i < 100 && processAlive(pid); i++) await sleep(20);
      lab.background("vm3", UDHCPC_FOREVER);
    },
  },
  {
    id: "dhcp_checksum_offload",
    number: 45,
    description:
      "the mangle CHECKSUM --checksum-fill rule for DHCP replies removed (as libvirt's nftables backend does): " +
      "offers reach vm3 with an unfilled UDP checksum, and its old-style DHCP client (checks checksums on a raw socket) drops them",
    symptom: {
      en: "vm on the default network never gets a DHCP lease, dnsmasq is running",
      zh: "default 网络上的虚拟机一直拿不到 DHCP 地址，dnsmasq 是在运行的",
    },
    targets: [vm3.ip],
    needs: ["dhcp"],
    async inject(lab) {
      await lab.enable("dhcp");
      await must(lab, "host", ["iptables", "-w", "-t", "mangle", "-D", ...DHCP_CHECKSUM_RULE]);
      lab.background("vm3", strictDhcpClientForever());
    },
  },
];
