/**
 * An independent KVM-like host in network namespaces, with configurable names, subnets and MACs, so
 * the diagnosis can be judged on hosts that do not look like src/lab. Namespaces and root-side links
 * start with "hmh" (HELDOUT_PREFIX). The host namespace runs a real sshd on a management /30 from 192.0.2.192/26.
 */
import type { ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keygen, Sshd } from "../../src/lab/sshd.js";
import { background, inNs, type Out, run, runOk, sleep } from "./exec.js";

/**
 * HELDOUT_PREFIX lets a second run (e.g. while someone's full test run holds "hmh") use other names;
 * lowercase letters and digits, short enough for `${PREFIX}<key>m0` to fit IFNAMSIZ.
 */
export const PREFIX = (() => {
  const p = process.env.HELDOUT_PREFIX ?? "hmh";
  if (!/^[a-z][a-z0-9]{1,8}$/.test(p))
    throw new Error(`HELDOUT_PREFIX must match ^[a-z][a-z0-9]{1,8}$ (got "${p}")`);
  return p;
})();

export interface GuestSpec {
  ip: string;
  prefixLen: number;
  gateway: string;
  mac: string;
  /** Host-side tap name and its MAC ("" lets the kernel choose). */
  tap: string;
  tapMac: string;
}

export interface Variant {
  /** One lowercase letter: namespaces are hmh<key>host, hmh<key>out, hmh<key>g1..g3. */
  key: string;
  hostName: string;
  bridge: string;
  bridgeMac: string;
  uplink: string;
  /** The LAN behind the uplink. */
  lan: { network: string; prefixLen: number; host: string; gateway: string; gatewayMac: string };
  /** Two guests on the bridge and one on the NAT network. */
  guests: [GuestSpec, GuestSpec];
  nat: { bridge: string; network: string; prefixLen: number; host: string; mac: string; guest: GuestSpec };
  /** An address beyond the gateway ("the internet"). */
  internet: string;
  /**
   * Warm: the host has talked to its guests and gateway before the fault (neighbour and FDB entries
   * exist, some still REACHABLE when the complaint comes). Cold: freshly built, as src/lab is.
   */
  warm: boolean;
  /** libvirt creates NAT bridges with stp='on' delay='0' (the kernel clamps the delay to 2 s). */
  natStp: boolean;
  /** A guest routed (not bridged) through its own tap with a /32 and proxy ARP, on the LAN's addresses. */
  routed: { tap: string; ip: string; mac: string };
  /** A host NIC with its own address and a macvlan (bridge mode) guest on it; `lan` is the far end. */
  macvlan: {
    nic: string;
    nicMac: string;
    prefixLen: number;
    host: string;
    guest: string;
    lan: string;
    mac: string;
  };
  /** A second bridge with its own uplink to the LAN router: its guest reaches the LAN through the router. */
  second: {
    bridge: string;
    uplink: string;
    network: string;
    prefixLen: number;
    host: string;
    router: string;
    guest: string;
    tap: string;
    mac: string;
  };
  description: string;
}

const g = (
  ip: string,
  prefixLen: number,
  gateway: string,
  mac: string,
  tap: string,
  tapMac: string,
): GuestSpec => ({
  ip,
  prefixLen,
  gateway,
  mac,
  tap,
  tapMac,
});

/** libvirt's convention: the tap carries the guest MAC with the first byte fe. */
const feOf = (mac: string) => `fe${mac.slice(2)}`;

export const ipToInt = (ip: string) => ip.split(".").reduce((a, p) => a * 256 + Number(p), 0);
export const intToIp = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");

export const VARIANTS: Variant[] = [
  {
    key: "a",
    hostName: "kvm-lab-a7",
    bridge: "lan-br",
    bridgeMac: "02:11:22:33:44:05",
    uplink: "ens5",
    lan: {
      network: "192.0.2.0/24",
      prefixLen: 24,
      host: "192.0.2.1",
      gateway: "192.0.2.254",
      gatewayMac: "02:11:22:33:44:fe",
    },
    guests: [
      g("192.0.2.21", 24, "192.0.2.254", "52:54:00:7a:10:21", "tap3", feOf("52:54:00:7a:10:21")),
      g("192.0.2.22", 24, "192.0.2.254", "52:54:00:7a:10:22", "tap4", feOf("52:54:00:7a:10:22")),
    ],
    nat: {
      bridge: "virbr1",
      network: "203.0.113.64/26",
      prefixLen: 26,
      host: "203.0.113.65",
      mac: "52:54:00:9c:00:01",
      guest: g("203.0.113.90", 26, "203.0.113.65", "52:54:00:7a:10:90", "tap5", feOf("52:54:00:7a:10:90")),
    },
    internet: "198.51.100.200",
    natStp: false,
    routed: { tap: "tap6", ip: "192.0.2.50", mac: "52:54:00:7a:10:50" },
    macvlan: {
      nic: "ens6",
      nicMac: "02:11:22:33:44:06",
      prefixLen: 29,
      host: "198.51.100.17",
      guest: "198.51.100.18",
      lan: "198.51.100.22",
      mac: "52:54:00:7a:10:18",
    },
    second: {
      bridge: "lan-br2",
      uplink: "ens7",
      network: "198.51.100.64/26",
      prefixLen: 26,
      host: "198.51.100.65",
      router: "198.51.100.126",
      guest: "198.51.100.80",
      tap: "tap7",
      mac: "52:54:00:7a:10:80",
    },
    warm: true,
    description: "bridge lan-br, taps tap3/tap4, uplink ens5, LAN 192.0.2.0/24, NAT virbr1 203.0.113.64/26",
  },
  {
    key: "b",
    hostName: "compute-b12.dc2",
    bridge: "br-vm",
    bridgeMac: "0e:42:a1:00:00:10",
    uplink: "bond0",
    lan: {
      network: "203.0.113.0/25",
      prefixLen: 25,
      host: "203.0.113.1",
      gateway: "203.0.113.126",
      gatewayMac: "0e:42:a1:00:00:fe",
    },
    // Taps whose MACs do not follow libvirt's fe: convention (the kernel picks them).
    guests: [
      g("203.0.113.20", 25, "203.0.113.126", "52:54:00:b2:07:20", "vnet7", ""),
      g("203.0.113.21", 25, "203.0.113.126", "52:54:00:b2:07:21", "vnet8", ""),
    ],
    nat: {
      bridge: "virbr3",
      network: "198.51.100.128/26",
      prefixLen: 26,
      host: "198.51.100.129",
      mac: "52:54:00:b2:aa:01",
      guest: g("198.51.100.150", 26, "198.51.100.129", "52:54:00:b2:07:50", "vnet9", ""),
    },
    internet: "198.51.100.250",
    natStp: false,
    routed: { tap: "vnet10", ip: "203.0.113.50", mac: "52:54:00:b2:07:60" },
    macvlan: {
      nic: "eth2",
      nicMac: "0e:42:a1:00:00:12",
      prefixLen: 29,
      host: "192.0.2.17",
      guest: "192.0.2.18",
      lan: "192.0.2.22",
      mac: "52:54:00:b2:07:18",
    },
    second: {
      bridge: "br-stor",
      uplink: "bond1",
      network: "192.0.2.64/26",
      prefixLen: 26,
      host: "192.0.2.65",
      router: "192.0.2.126",
      guest: "192.0.2.80",
      tap: "vnet11",
      mac: "52:54:00:b2:07:80",
    },
    warm: false,
    description:
      "bridge br-vm, taps vnet7/vnet8 (kernel MACs), uplink bond0, LAN 203.0.113.0/25, NAT 198.51.100.128/26",
  },
  {
    key: "c",
    hostName: "hv-east-3",
    bridge: "br0",
    bridgeMac: "3c:ec:ef:10:20:30",
    uplink: "eno1",
    lan: {
      network: "198.51.100.0/24",
      prefixLen: 24,
      host: "198.51.100.5",
      gateway: "198.51.100.1",
      gatewayMac: "3c:ec:ef:10:20:ff",
    },
    guests: [
      g("198.51.100.31", 24, "198.51.100.1", "52:54:00:3c:4d:31", "vnet0", feOf("52:54:00:3c:4d:31")),
      g("198.51.100.32", 24, "198.51.100.1", "52:54:00:3c:4d:32", "vnet1", feOf("52:54:00:3c:4d:32")),
    ],
    nat: {
      bridge: "virbr0",
      network: "192.0.2.128/26",
      prefixLen: 26,
      host: "192.0.2.129",
      mac: "52:54:00:3c:aa:01",
      guest: g("192.0.2.140", 26, "192.0.2.129", "52:54:00:3c:4d:40", "vnet2", feOf("52:54:00:3c:4d:40")),
    },
    internet: "203.0.113.200",
    natStp: true,
    routed: { tap: "vnet6", ip: "198.51.100.60", mac: "52:54:00:3c:4d:60" },
    macvlan: {
      nic: "eno3",
      nicMac: "3c:ec:ef:10:20:33",
      prefixLen: 29,
      host: "203.0.113.17",
      guest: "203.0.113.18",
      lan: "203.0.113.22",
      mac: "52:54:00:3c:4d:18",
    },
    second: {
      bridge: "br1",
      uplink: "eno2",
      network: "203.0.113.128/26",
      prefixLen: 26,
      host: "203.0.113.129",
      router: "203.0.113.190",
      guest: "203.0.113.140",
      tap: "vnet3",
      mac: "52:54:00:3c:4d:70",
    },
    warm: true,
    description:
      "default names br0/vnet0/eno1/virbr0, other MACs and subnets (NAT 192.0.2.128/26), host hv-east-3",
  },
  {
    key: "d",
    hostName: "hv-west-1",
    // A bridged LAN whose bridge is named like libvirt's NAT bridges, and a NAT bridge with a plain name.
    bridge: "virbr1",
    bridgeMac: "02:5e:10:00:00:01",
    uplink: "ens5",
    lan: {
      network: "203.0.113.64/26",
      prefixLen: 26,
      host: "203.0.113.65",
      gateway: "203.0.113.126",
      gatewayMac: "02:5e:10:00:00:fe",
    },
    guests: [
      g("203.0.113.70", 26, "203.0.113.126", "52:54:00:d4:00:70", "tap3", feOf("52:54:00:d4:00:70")),
      g("203.0.113.71", 26, "203.0.113.126", "52:54:00:d4:00:71", "tap4", ""),
    ],
    nat: {
      bridge: "natbr0",
      network: "192.0.2.0/25",
      prefixLen: 25,
      host: "192.0.2.1",
      mac: "52:54:00:d4:aa:01",
      guest: g("192.0.2.33", 25, "192.0.2.1", "52:54:00:d4:00:33", "tap9", ""),
    },
    internet: "198.51.100.77",
    natStp: false,
    routed: { tap: "tap7", ip: "203.0.113.90", mac: "52:54:00:d4:00:90" },
    macvlan: {
      nic: "enp3s0",
      nicMac: "02:5e:10:00:00:03",
      prefixLen: 29,
      host: "198.51.100.17",
      guest: "198.51.100.18",
      lan: "198.51.100.22",
      mac: "52:54:00:d4:00:18",
    },
    second: {
      bridge: "virbr2",
      uplink: "ens6",
      network: "198.51.100.128/26",
      prefixLen: 26,
      host: "198.51.100.129",
      router: "198.51.100.190",
      guest: "198.51.100.140",
      tap: "tap8",
      mac: "52:54:00:d4:00:40",
    },
    warm: false,
    description:
      "LAN bridge named virbr1 (203.0.113.64/26), taps tap3/tap4 (one fe:, one kernel MAC), NAT natbr0 192.0.2.0/25, host hv-west-1",
  },
];

/** g4: the guest of an extra (routed, macvlan or second-bridge guest); lan: the wire behind a macvlan parent NIC. */
export type NsKey = "host" | "out" | "g1" | "g2" | "g3" | "g4" | "lan";
const EXTRA_NS = ["g4", "lan"] as const;

/** The libvirt iptables backend's rules for a NAT network (chain names as libvirt makes them). */
export function libvirtRules(v: Variant): string {
  const net = v.nat.network;
  const br = v.nat.bridge;
  return [
    "*mangle",
    ":LIBVIRT_PRT - [0:0]",
    "-A POSTROUTING -j LIBVIRT_PRT",
    `-A LIBVIRT_PRT -o ${br} -p udp -m udp --dport 68 -j CHECKSUM --checksum-fill`,
    "COMMIT",
    "*nat",
    ":LIBVIRT_PRT - [0:0]",
    "-A POSTROUTING -j LIBVIRT_PRT",
    `-A LIBVIRT_PRT -s ${net} -d 224.0.0.0/24 -j RETURN`,
    `-A LIBVIRT_PRT -s ${net} -d 255.255.255.255/32 -j RETURN`,
    `-A LIBVIRT_PRT -s ${net} ! -d ${net} -p tcp -j MASQUERADE --to-ports 1024-65535`,
    `-A LIBVIRT_PRT -s ${net} ! -d ${net} -p udp -j MASQUERADE --to-ports 1024-65535`,
    `-A LIBVIRT_PRT -s ${net} ! -d ${net} -j MASQUERADE`,
    "COMMIT",
    "*filter",
    ":INPUT ACCEPT [0:0]",
    ":FORWARD ACCEPT [0:0]",
    ":OUTPUT ACCEPT [0:0]",
    ":LIBVIRT_INP - [0:0]",
    ":LIBVIRT_OUT - [0:0]",
    ":LIBVIRT_FWO - [0:0]",
    ":LIBVIRT_FWI - [0:0]",
    ":LIBVIRT_FWX - [0:0]",
    "-A INPUT -j LIBVIRT_INP",
    "-A FORWARD -j LIBVIRT_FWX",
    "-A FORWARD -j LIBVIRT_FWI",
    "-A FORWARD -j LIBVIRT_FWO",
    "-A OUTPUT -j LIBVIRT_OUT",
    `-A LIBVIRT_INP -i ${br} -p udp -m udp --dport 53 -j ACCEPT`,
    `-A LIBVIRT_INP -i ${br} -p tcp -m tcp --dport 53 -j ACCEPT`,
    `-A LIBVIRT_INP -i ${br} -p udp -m udp --dport 67 -j ACCEPT`,
    `-A LIBVIRT_INP -i ${br} -p tcp -m tcp --dport 67 -j ACCEPT`,
    `-A LIBVIRT_OUT -o ${br} -p udp -m udp --dport 53 -j ACCEPT`,
    `-A LIBVIRT_OUT -o ${br} -p udp -m udp --dport 68 -j ACCEPT`,
    `-A LIBVIRT_FWO -s ${net} -i ${br} -j ACCEPT`,
    `-A LIBVIRT_FWO -i ${br} -j REJECT --reject-with icmp-port-unreachable`,
    `-A LIBVIRT_FWI -d ${net} -o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    `-A LIBVIRT_FWI -o ${br} -j REJECT --reject-with icmp-port-unreachable`,
    `-A LIBVIRT_FWX -i ${br} -o ${br} -j ACCEPT`,
    "COMMIT",
    "",
  ].join("\n");
}

/**
 * 192.0.2.x/30 bases in 192.0.2.192/26 not used by any address or more specific route of the root
 * namespace (a second run under another prefix, or a src/lab instance, may hold some of them).
 */
async function freeMgmtBases(): Promise<number[]> {
  const used = new Set<number>();
  const addrs = JSON.parse((await runOk(["ip", "-j", "-4", "addr", "show"])) || "[]") as {
    addr_info?: { local?: string }[];
  }[];
  const routes = JSON.parse((await runOk(["ip", "-j", "-4", "route", "show", "table", "all"])) || "[]") as {
    dst?: string;
    gateway?: string;
  }[];
  const mark = (ip: string | undefined) => {
    const m = ip?.match(/^192\.0\.2\.(\d+)$/);
    if (m) used.add(Number(m[1]) & ~3);
  };
  for (const a of addrs) for (const x of a.addr_info ?? []) mark(x.local);
  for (const r of routes) {
    mark(r.gateway);
    const [ip, len] = (r.dst ?? "").split("/");
    if (ip && len && Number(len) > 24) {
      const m = ip.match(/^192\.0\.2\.(\d+)$/);
      if (m) {
        const start = Number(m[1]);
        const size = 2 ** (32 - Number(len));
        for (let b = start & ~3; b < start + size; b += 4) used.add(b);
      }
    }
  }
  return Array.from({ length: 16 }, (_, i) => 192 + 4 * i).filter((b) => !used.has(b));
}

/** Addresses a variant uses inside its host namespace: its management /30 must not hold any of them. */
function variantAddresses(v: Variant): string[] {
  return [
    v.lan.host,
    v.lan.gateway,
    ...v.guests.map((s) => s.ip),
    v.nat.host,
    v.nat.guest.ip,
    v.internet,
    v.routed.ip,
    v.macvlan.host,
    v.macvlan.guest,
    v.macvlan.lan,
    v.second.host,
    v.second.router,
    v.second.guest,
  ];
}

/** Removes every namespace and root-side link starting with the prefix, and the processes in them. */
export async function cleanupAll(prefix = PREFIX): Promise<void> {
  const list = (await run(["ip", "netns", "list"])).stdout
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(prefix));
  for (const ns of list) {
    const pids = (await run(["ip", "netns", "pids", ns])).stdout.split(/\s+/).filter(Boolean).map(Number);
    for (const pid of pids)
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone already
      }
    await run(["ip", "netns", "del", ns]);
  }
  const links = JSON.parse((await run(["ip", "-j", "link", "show"])).stdout || "[]") as { ifname: string }[];
  for (const l of links) if (l.ifname.startsWith(prefix)) await run(["ip", "link", "del", l.ifname]);
}

export class HeldoutHost {
  readonly ns: Record<NsKey, string>;
  readonly mgmtLink: string;
  dir = "";
  mgmt = { root: "", peer: "" };
  inventoryFile = "";
  knownHostsFile = "";
  keyFile = "";
  private sshd: Sshd | null = null;
  private children: ChildProcess[] = [];
  private baseSysctls = new Map<string, string>();
  private dnsmasqPid = 0;

  constructor(readonly v: Variant) {
    const n = (s: string) => `${PREFIX}${v.key}${s}`;
    this.ns = {
      host: n("host"),
      out: n("out"),
      g1: n("g1"),
      g2: n("g2"),
      g3: n("g3"),
      g4: n("g4"),
      lan: n("lan"),
    };
    this.mgmtLink = n("m0");
  }

  exec(key: NsKey, argv: readonly string[], input?: string): Promise<Out> {
    return run(inNs(this.ns[key], argv), input === undefined ? {} : { input });
  }

  async must(key: NsKey, argv: readonly string[], input?: string): Promise<string> {
    const r = await this.exec(key, argv, input);
    if (r.code !== 0)
      throw new Error(
        `${this.ns[key]}: ${argv.join(" ")} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`,
      );
    return r.stdout;
  }

  async ipBatch(key: NsKey, lines: string[]): Promise<void> {
    await runOk(["ip", "-n", this.ns[key], "-batch", "-"], { input: `${lines.join("\n")}\n` });
  }

  /** A user who keeps trying; killed at reset and at destroy. */
  keepPinging(key: NsKey, target: string, interval = "0.5"): void {
    this.children.push(background(this.ns[key], ["ping", "-n", "-q", "-i", interval, target]));
  }

  /** A few pings whose results do not matter: counters, neighbour entries and log lines now exist. */
  async traffic(pings: [NsKey, string][]): Promise<void> {
    await Promise.all(
      pings.map(([k, t]) => this.exec(k, ["ping", "-n", "-q", "-c", "2", "-i", "0.3", "-W", "1", t])),
    );
  }

  /** Namespaces, management link, sshd, keys, known_hosts and inventory; then the data plane. */
  async create(mgmtBase: number): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), `${PREFIX}-${this.v.key}-`));
    this.mgmt = { root: `192.0.2.${mgmtBase + 1}`, peer: `192.0.2.${mgmtBase + 2}` };
    await runOk(["ip", "netns", "add", this.ns.host]);
    await runOk([
      "ip",
      "link",
      "add",
      this.mgmtLink,
      "type",
      "veth",
      "peer",
      "name",
      "mgmt0",
      "netns",
      this.ns.host,
    ]);
    await runOk(["ip", "addr", "add", `${this.mgmt.root}/30`, "dev", this.mgmtLink]);
    await runOk(["ip", "link", "set", this.mgmtLink, "up"]);
    await this.ipBatch("host", [
      "link set lo up",
      `addr add ${this.mgmt.peer}/30 dev mgmt0`,
      "link set mgmt0 up",
    ]);
    for (const k of [
      "net.ipv4.ip_forward",
      "net.ipv4.conf.all.arp_ignore",
      "net.ipv4.conf.all.rp_filter",
      "net.ipv4.conf.default.rp_filter",
      "net.ipv4.conf.all.log_martians",
      "net.ipv4.conf.all.proxy_arp",
      "net.bridge.bridge-nf-call-iptables",
    ]) {
      const r = await this.exec("host", ["sysctl", "-n", k]);
      if (r.code === 0) this.baseSysctls.set(k, r.stdout.trim());
    }
    const authorized = join(this.dir, "authorized");
    await mkdir(authorized, { recursive: true, mode: 0o755 });
    await mkdir(join(this.dir, "sshd"), { mode: 0o755 });
    this.keyFile = join(this.dir, "id_ed25519");
    this.sshd = new Sshd({
      ns: this.ns.host,
      dir: join(this.dir, "sshd"),
      keysDir: authorized,
      address: this.mgmt.peer,
      port: 22,
    });
    const [clientKey, hostKey] = await Promise.all([
      keygen(this.keyFile, `${PREFIX}-${this.v.key}`),
      this.sshd.prepare(),
    ]);
    await writeFile(join(authorized, "root.keys"), `${clientKey}\n`, { mode: 0o644 });
    await this.sshd.start();
    const [type, key] = hostKey.split(/\s+/);
    this.knownHostsFile = join(this.dir, "known_hosts");
    await writeFile(this.knownHostsFile, `${this.mgmt.peer} ${type} ${key}\n`);
    this.inventoryFile = join(this.dir, "inventory.yml");
    await writeFile(
      this.inventoryFile,
      [
        "all:",
        "  children:",
        "    hypervisors:",
        "      hosts:",
        `        ${this.v.hostName}:`,
        `          ansible_host: ${this.mgmt.peer}`,
        "          ansible_port: 22",
        "          ansible_user: root",
        `          ansible_ssh_private_key_file: ${this.keyFile}`,
        "",
      ].join("\n"),
    );
    await this.buildDataPlane();
  }

  /** Everything except the management link and sshd: guests, LAN router, bridges, firewall. */
  private async buildDataPlane(): Promise<void> {
    const v = this.v;
    for (const k of ["out", "g1", "g2", "g3"] as const) await runOk(["ip", "netns", "add", this.ns[k]]);
    const tapLine = (s: GuestSpec, peerNs: string) =>
      `link add ${s.tap} netns ${this.ns.host}${s.tapMac ? ` address ${s.tapMac}` : ""} type veth peer name eth0 netns ${peerNs} address ${s.mac}`;
    const [g1, g2] = v.guests;
    const g3 = v.nat.guest;
    await runOk(["ip", "-batch", "-"], {
      input: `${[
        `link add ${v.uplink} netns ${this.ns.host} type veth peer name lan0 netns ${this.ns.out} address ${v.lan.gatewayMac}`,
        tapLine(g1, this.ns.g1),
        tapLine(g2, this.ns.g2),
        tapLine(g3, this.ns.g3),
      ].join("\n")}\n`,
    });
    await this.ipBatch("host", [
      `link add ${v.bridge} address ${v.bridgeMac} type bridge stp_state 0`,
      `link add ${v.nat.bridge} address ${v.nat.mac} type bridge stp_state ${v.natStp ? 1 : 0} forward_delay 0`,
      `link set ${v.uplink} master ${v.bridge}`,
      `link set ${g1.tap} master ${v.bridge}`,
      `link set ${g2.tap} master ${v.bridge}`,
      `link set ${g3.tap} master ${v.nat.bridge}`,
      `addr add ${v.lan.host}/${v.lan.prefixLen} brd + dev ${v.bridge}`,
      `addr add ${v.nat.host}/${v.nat.prefixLen} brd + dev ${v.nat.bridge}`,
      `link set ${v.uplink} up`,
      `link set ${g1.tap} up`,
      `link set ${g2.tap} up`,
      `link set ${g3.tap} up`,
      `link set ${v.bridge} up`,
      `link set ${v.nat.bridge} up`,
      `route add default via ${v.lan.gateway} dev ${v.bridge}`,
    ]);
    const guestLines = (s: GuestSpec) => [
      "link set lo up",
      `addr add ${s.ip}/${s.prefixLen} brd + dev eth0`,
      "link set eth0 up",
      `route add default via ${s.gateway}`,
    ];
    await Promise.all([
      this.ipBatch("out", [
        "link set lo up",
        `addr add ${v.internet}/32 dev lo`,
        `addr add ${v.lan.gateway}/${v.lan.prefixLen} brd + dev lan0`,
        "link set lan0 up",
      ]),
      this.ipBatch("g1", guestLines(g1)),
      this.ipBatch("g2", guestLines(g2)),
      this.ipBatch("g3", guestLines(g3)),
      this.must("out", ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]),
    ]);
    await this.must("host", ["iptables-restore", "-w"], libvirtRules(v));
    await this.must("host", ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
    await this.settle();
    if (!v.warm) return;
    // A host that has been up a while knows its guests and its gateway.
    await this.traffic([
      ["host", g1.ip],
      ["host", g2.ip],
      ["host", g3.ip],
      ["host", v.lan.gateway],
    ]);
  }

  /** A process in a namespace until reset (a DHCP client that keeps asking, a monitoring ping). */
  background(key: NsKey, argv: readonly string[]): void {
    this.children.push(background(this.ns[key], argv));
  }

  /** A guest (g4) routed through its own tap with a /32, proxy ARP on the tap and the LAN bridge. */
  async addRouted(): Promise<void> {
    const v = this.v;
    const r = v.routed;
    await runOk(["ip", "netns", "add", this.ns.g4]);
    await runOk([
      "ip",
      "link",
      "add",
      r.tap,
      "netns",
      this.ns.host,
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      this.ns.g4,
      "address",
      r.mac,
    ]);
    await this.ipBatch("host", [
      `link set ${r.tap} up`,
      `route add ${r.ip}/32 dev ${r.tap} src ${v.lan.host}`,
    ]);
    await this.ipBatch("g4", [
      "link set lo up",
      `addr add ${r.ip}/${v.lan.prefixLen} brd + dev eth0`,
      "link set eth0 up",
      `route add default via ${v.lan.gateway}`,
    ]);
    await this.must("host", [
      "sysctl",
      "-q",
      "-w",
      `net.ipv4.conf.${r.tap}.proxy_arp=1`,
      `net.ipv4.conf.${v.bridge}.proxy_arp=1`,
    ]);
  }

  /** A host NIC with an address of its own and a guest (g4) on a macvlan of it; the wire ends in `lan`. */
  async addMacvlan(): Promise<void> {
    const m = this.v.macvlan;
    await runOk(["ip", "netns", "add", this.ns.lan]);
    await runOk(["ip", "netns", "add", this.ns.g4]);
    await runOk([
      "ip",
      "link",
      "add",
      m.nic,
      "netns",
      this.ns.host,
      "address",
      m.nicMac,
      "type",
      "veth",
      "peer",
      "name",
      "wire0",
      "netns",
      this.ns.lan,
    ]);
    // libvirt's type='direct' makes a macvtap; a macvlan is the same driver and can move to a namespace.
    await this.ipBatch("host", [
      `addr add ${m.host}/${m.prefixLen} brd + dev ${m.nic}`,
      `link set ${m.nic} up`,
      `link add link ${m.nic} name macvtap0 address ${m.mac} type macvlan mode bridge`,
      `link set macvtap0 netns ${this.ns.g4}`,
    ]);
    await this.ipBatch("lan", [
      "link set lo up",
      `addr add ${m.lan}/${m.prefixLen} brd + dev wire0`,
      "link set wire0 up",
    ]);
    await this.ipBatch("g4", [
      "link set lo up",
      "link set macvtap0 name eth0",
      `addr add ${m.guest}/${m.prefixLen} brd + dev eth0`,
      "link set eth0 up",
      `route add default via ${m.lan}`,
    ]);
  }

  /**
   * A second bridge with its own uplink to the LAN router (out) and a guest (g4) whose route to the
   * LAN goes through that router: the host's way back to it is the second bridge (asymmetric).
   */
  async addSecondBridge(): Promise<void> {
    const v = this.v;
    const b = v.second;
    await runOk(["ip", "netns", "add", this.ns.g4]);
    await runOk(["ip", "-batch", "-"], {
      input: `${[
        `link add ${b.uplink} netns ${this.ns.host} type veth peer name lan1 netns ${this.ns.out}`,
        `link add ${b.tap} netns ${this.ns.host} type veth peer name eth0 netns ${this.ns.g4} address ${b.mac}`,
      ].join("\n")}\n`,
    });
    await this.ipBatch("host", [
      `link add ${b.bridge} type bridge stp_state 0`,
      `link set ${b.uplink} master ${b.bridge}`,
      `link set ${b.tap} master ${b.bridge}`,
      `addr add ${b.host}/${b.prefixLen} brd + dev ${b.bridge}`,
      `link set ${b.uplink} up`,
      `link set ${b.tap} up`,
      `link set ${b.bridge} up`,
    ]);
    await this.ipBatch("out", [`addr add ${b.router}/${b.prefixLen} brd + dev lan1`, "link set lan1 up"]);
    await this.ipBatch("g4", [
      "link set lo up",
      `addr add ${b.guest}/${b.prefixLen} brd + dev eth0`,
      "link set eth0 up",
      `route add default via ${b.host}`,
      `route add ${v.lan.network} via ${b.router}`,
    ]);
    await this.settle();
  }

  /** dnsmasq on the NAT bridge as libvirt runs it (DHCP for the NAT network); stopped at reset. */
  async startDnsmasq(): Promise<number> {
    const v = this.v;
    const base = ipToInt(v.nat.host);
    const mask = intToIp((0xffffffff << (32 - v.nat.prefixLen)) >>> 0);
    const pidFile = join(this.dir, "dnsmasq.pid");
    await this.must("host", [
      "dnsmasq",
      "--conf-file=/dev/null",
      `--pid-file=${pidFile}`,
      `--interface=${v.nat.bridge}`,
      "--except-interface=lo",
      "--bind-interfaces",
      "--no-resolv",
      "--no-hosts",
      "--strict-order",
      "--user=root",
      `--dhcp-range=${intToIp(base + 20)},${intToIp(base + 40)},${mask},1h`,
      "--dhcp-no-override",
      "--dhcp-authoritative",
      `--dhcp-leasefile=${join(this.dir, "dnsmasq.leases")}`,
      `--log-facility=${join(this.dir, "dnsmasq.log")}`,
    ]);
    this.dnsmasqPid = Number((await readFile(pidFile, "utf8")).trim());
    return this.dnsmasqPid;
  }

  stopDnsmasq(): void {
    if (this.dnsmasqPid > 1)
      try {
        process.kill(this.dnsmasqPid, "SIGKILL");
      } catch {
        // gone
      }
    this.dnsmasqPid = 0;
  }

  /** Ports come up a moment after they are enslaved (and pass STP's states): wait until all forward. */
  async settle(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const r = await this.exec("host", ["bridge", "-j", "link", "show"]);
      const ports = JSON.parse(r.stdout || "[]") as { state?: string }[];
      if (ports.length > 0 && ports.every((p) => p.state === "forwarding")) return;
      await sleep(100);
    }
  }

  /** Undo any fault: background users stopped, data plane, firewall and sysctls rebuilt from scratch. */
  async reset(): Promise<void> {
    for (const c of this.children) c.kill("SIGKILL");
    this.children = [];
    this.stopDnsmasq();
    for (const k of ["out", "g1", "g2", "g3", ...EXTRA_NS] as const) {
      const pids = (await run(["ip", "netns", "pids", this.ns[k]])).stdout.split(/\s+/).filter(Boolean);
      for (const p of pids)
        try {
          process.kill(Number(p), "SIGKILL");
        } catch {
          // gone
        }
      await run(["ip", "netns", "del", this.ns[k]]);
    }
    const links = JSON.parse((await this.exec("host", ["ip", "-j", "link", "show"])).stdout || "[]") as {
      ifname: string;
    }[];
    const del = links
      .filter((l) => l.ifname !== "lo" && l.ifname !== "mgmt0")
      .map((l) => `link del ${l.ifname}`);
    if (del.length) await this.exec("host", ["ip", "-force", "-batch", "-"], `${del.join("\n")}\n`);
    await this.exec("host", ["nft", "flush", "ruleset"]);
    await this.exec("host", ["ip", "neigh", "flush", "all"]);
    const settings = [...this.baseSysctls].map(([k, val]) => `${k}=${val}`);
    if (settings.length) await this.exec("host", ["sysctl", "-q", "-w", ...settings]);
    await this.buildDataPlane();
  }

  async destroy(): Promise<void> {
    for (const c of this.children) c.kill("SIGKILL");
    this.children = [];
    this.stopDnsmasq();
    await this.sshd?.stop().catch(() => {});
    for (const k of Object.keys(this.ns) as NsKey[]) {
      const pids = (await run(["ip", "netns", "pids", this.ns[k]])).stdout.split(/\s+/).filter(Boolean);
      for (const p of pids)
        try {
          process.kill(Number(p), "SIGKILL");
        } catch {
          // gone
        }
      await run(["ip", "netns", "del", this.ns[k]]);
    }
    await run(["ip", "link", "del", this.mgmtLink]);
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

const OWNER_FILE = join(tmpdir(), `${PREFIX}-heldout.owner`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Takes the prefix (HELDOUT_PREFIX, "hmh" by default) for this process: waits while another live process holds it (a second run of
 * this file, e.g. from someone's full test run), so one run's start never pulls another run's hosts away.
 */
export async function acquirePrefix(timeoutMs = 900_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const owner = Number((await readFile(OWNER_FILE, "utf8").catch(() => "")).trim());
    if (!owner || owner === process.pid || !alive(owner)) break;
    if (Date.now() > deadline) throw new Error(`the ${PREFIX} prefix is held by process ${owner}`);
    await sleep(2_000);
  }
  await writeFile(OWNER_FILE, `${process.pid}\n`);
}

export async function releasePrefix(): Promise<void> {
  const owner = Number((await readFile(OWNER_FILE, "utf8").catch(() => "")).trim());
  if (owner === process.pid) await rm(OWNER_FILE, { force: true });
}

/** Builds one host per variant, each on its own management /30. */
export async function createHosts(variants: Variant[]): Promise<HeldoutHost[]> {
  await acquirePrefix();
  await cleanupAll();
  const hosts = variants.map((v) => new HeldoutHost(v));
  try {
    const free = await freeMgmtBases();
    const chosen = variants.map((v) => {
      const clash = (b: number) =>
        variantAddresses(v).some((ip) => {
          const m = ip.match(/^192\.0\.2\.(\d+)$/);
          return m !== null && (Number(m[1]) & ~3) === b;
        });
      const i = free.findIndex((b) => !clash(b));
      if (i < 0) throw new Error(`no free management /30 in 192.0.2.192/26 for variant ${v.key}`);
      return free.splice(i, 1)[0]!;
    });
    await Promise.all(hosts.map((h, i) => h.create(chosen[i]!)));
    return hosts;
  } catch (e) {
    for (const h of hosts) await h.destroy().catch(() => {});
    await cleanupAll();
    await releasePrefix();
    throw e;
  }
}
