import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { inNs, runOk } from "./exec.js";
import { NET } from "./plan.js";

/** dnsmasq on virbr0 in the host namespace, configured the way libvirt runs it for a NAT network. */
export async function startDnsmasq(hostNs: string, dir: string): Promise<number> {
  const pidFile = join(dir, "dnsmasq.pid");
  await runOk(
    inNs(hostNs, [
      "dnsmasq",
      "--conf-file=/dev/null",
      `--pid-file=${pidFile}`,
      "--interface=virbr0",
      "--except-interface=lo",
      "--bind-interfaces",
      "--no-resolv",
      "--no-hosts",
      "--strict-order",
      "--user=root",
      `--dhcp-range=${NET.dhcpRange[0]},${NET.dhcpRange[1]},255.255.255.128,1h`,
      "--dhcp-no-override",
      "--dhcp-authoritative",
      `--dhcp-leasefile=${join(dir, "dnsmasq.leases")}`,
      `--log-facility=${join(dir, "dnsmasq.log")}`,
      "--log-dhcp",
    ]),
  );
  return Number((await readFile(pidFile, "utf8")).trim());
}

/**
 * One DHCP attempt from a guest with busybox udhcpc (no IP is applied: the script is /bin/true).
 * Patient enough for dnsmasq's ping check, which holds the first OFFER for a new address ~3 s.
 */
export const UDHCPC_ONCE = [
  "busybox",
  "udhcpc",
  "-i",
  "eth0",
  "-n",
  "-q",
  "-f",
  "-t",
  "4",
  "-T",
  "2",
  "-s",
  "/bin/true",
];

/** A DHCP client that keeps retrying, like a guest stuck at boot waiting for an address. */
export const UDHCPC_FOREVER = [
  "busybox",
  "udhcpc",
  "-i",
  "eth0",
  "-f",
  "-t",
  "3",
  "-T",
  "1",
  "-A",
  "2",
  "-s",
  "/bin/true",
];
