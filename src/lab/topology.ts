import { inNs, run, runOk } from "./exec.js";
import { GUESTS, type GuestPlan, NET, type NsKey, nsName } from "./plan.js";

/** What the builders need to know about one lab instance. */
export interface TopologyContext {
  prefix: string;
  mgmt: { root: string; peer: string; prefixLen: number };
}

const ns = (ctx: TopologyContext, key: NsKey) => nsName(ctx.prefix, key);

/** Runs `ip -batch` (in namespace `netns` when given): one process for many changes. */
export async function ipBatch(lines: string[], netns?: string): Promise<void> {
  if (lines.length === 0) return;
  const argv = netns ? ["ip", "-n", netns, "-batch", "-"] : ["ip", "-batch", "-"];
  await runOk(argv, { input: `${lines.join("\n")}\n` });
}

export async function sysctl(netns: string, settings: Record<string, string | number>): Promise<void> {
  const args = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
  await runOk(inNs(netns, ["sysctl", "-q", "-w", ...args]));
}

export async function addNamespaces(ctx: TopologyContext, keys: NsKey[]): Promise<void> {
  await ipBatch(keys.map((k) => `netns add ${ns(ctx, k)}`));
}

/**
 * ifindex for the far ends of veths. The kernel applies a carrier change at once only when a veth's
 * ifindex differs from its peer's (linkwatch "urgent" event); two fresh namespaces both numbering
 * their first link 2 would delay eno1's carrier by a second. iproute2 honours `index` only on the
 * first-named end, so the far end is named first and the host end is the peer.
 */
export const FAR_INDEX = 100;

/** `link add` of a guest's tap (in the host) with its NIC in the guest namespace, from the root namespace. */
function guestVeth(ctx: TopologyContext, g: GuestPlan): string {
  return (
    `link add eth0 netns ${ns(ctx, g.ns)} address ${g.mac} index ${FAR_INDEX} type veth ` +
    `peer name ${g.tap} netns ${ns(ctx, "host")} address ${g.tapMac}`
  );
}

function guestConfig(g: GuestPlan, routes: string[] = [`route add default via ${g.gateway}`]): string[] {
  return ["link set lo up", `addr add ${g.ip}/${g.prefixLen} brd + dev eth0`, "link set eth0 up", ...routes];
}

/**
 * libvirt's DHCP checksum fix (mangle LIBVIRT_PRT, after -A or -D): fills the UDP checksum of replies
 * to guests on virbr0, which old DHCP clients check.
 */
export const DHCP_CHECKSUM_RULE = [
  "LIBVIRT_PRT",
  "-o",
  "virbr0",
  "-p",
  "udp",
  "-m",
  "udp",
  "--dport",
  "68",
  "-j",
  "CHECKSUM",
  "--checksum-fill",
] as const;

/**
 * The libvirt-style firewall of the host: the iptables backend's LIBVIRT_* chains for the NAT network
 * virbr0 (as `virsh net-start default` leaves them), including the DHCP checksum fix.
 */
export function libvirtRuleset(): string {
  const net = NET.virbr0.network;
  return [
    "*mangle",
    ":LIBVIRT_PRT - [0:0]",
    "-A POSTROUTING -j LIBVIRT_PRT",
    `-A ${DHCP_CHECKSUM_RULE.join(" ")}`,
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
    "-A LIBVIRT_INP -i virbr0 -p udp -m udp --dport 53 -j ACCEPT",
    "-A LIBVIRT_INP -i virbr0 -p tcp -m tcp --dport 53 -j ACCEPT",
    "-A LIBVIRT_INP -i virbr0 -p udp -m udp --dport 67 -j ACCEPT",
    "-A LIBVIRT_INP -i virbr0 -p tcp -m tcp --dport 67 -j ACCEPT",
    "-A LIBVIRT_OUT -o virbr0 -p udp -m udp --dport 53 -j ACCEPT",
    "-A LIBVIRT_OUT -o virbr0 -p tcp -m tcp --dport 53 -j ACCEPT",
    "-A LIBVIRT_OUT -o virbr0 -p udp -m udp --dport 68 -j ACCEPT",
    "-A LIBVIRT_OUT -o virbr0 -p tcp -m tcp --dport 68 -j ACCEPT",
    `-A LIBVIRT_FWO -s ${net} -i virbr0 -j ACCEPT`,
    "-A LIBVIRT_FWO -i virbr0 -j REJECT --reject-with icmp-port-unreachable",
    `-A LIBVIRT_FWI -d ${net} -o virbr0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    "-A LIBVIRT_FWI -o virbr0 -j REJECT --reject-with icmp-port-unreachable",
    "-A LIBVIRT_FWX -i virbr0 -o virbr0 -j ACCEPT",
    "COMMIT",
    "",
  ].join("\n");
}

/** The core topology of common.md: host, out, vm1..vm3 and the management link. */
export async function buildCore(ctx: TopologyContext): Promise<void> {
  const host = ns(ctx, "host");
  const out = ns(ctx, "out");
  const { vm1, vm2, vm3 } = GUESTS;
  await addNamespaces(ctx, ["host", "out", "vm1", "vm2", "vm3"]);
  await ipBatch([
    `link add lan0 netns ${out} address ${NET.outMac} index ${FAR_INDEX} type veth peer name eno1 netns ${host} address ${NET.br0.mac}`,
    guestVeth(ctx, vm1),
    guestVeth(ctx, vm2),
    guestVeth(ctx, vm3),
    `link add mgmt0 netns ${host} index ${FAR_INDEX} type veth peer name ${ctx.prefix}m0`,
    `addr add ${ctx.mgmt.root}/${ctx.mgmt.prefixLen} dev ${ctx.prefix}m0`,
    `link set ${ctx.prefix}m0 up`,
  ]);
  await Promise.all([
    ipBatch(
      [
        "link set lo up",
        // The bridge carries eno1's MAC, as NetworkManager and ifupdown set it up.
        `link add br0 address ${NET.br0.mac} type bridge stp_state 0`,
        `link add virbr0 address ${NET.virbr0.mac} type bridge stp_state 0 forward_delay 0`,
        "link set eno1 master br0",
        `link set ${vm1.tap} master br0`,
        `link set ${vm2.tap} master br0`,
        `link set ${vm3.tap} master virbr0`,
        `addr add ${NET.br0.address}/${NET.br0.prefixLen} brd + dev br0`,
        `addr add ${NET.virbr0.address}/${NET.virbr0.prefixLen} brd + dev virbr0`,
        `addr add ${ctx.mgmt.peer}/${ctx.mgmt.prefixLen} dev mgmt0`,
        "link set eno1 up",
        `link set ${vm1.tap} up`,
        `link set ${vm2.tap} up`,
        `link set ${vm3.tap} up`,
        "link set br0 up",
        "link set virbr0 up",
        "link set mgmt0 up",
        `route add default via ${NET.gateway} dev br0`,
      ],
      host,
    ),
    ipBatch(
      [
        "link set lo up",
        `addr add ${NET.internet}/32 dev lo`,
        `addr add ${NET.gateway}/24 brd + dev lan0`,
        "link set lan0 up",
      ],
      out,
    ),
    ipBatch(guestConfig(vm1), ns(ctx, "vm1")),
    ipBatch(guestConfig(vm2), ns(ctx, "vm2")),
    ipBatch(guestConfig(vm3), ns(ctx, "vm3")),
    sysctl(host, { "net.ipv4.ip_forward": 1 }),
    sysctl(out, { "net.ipv4.ip_forward": 1 }),
    runOk(inNs(host, ["iptables-restore", "-w"]), { input: libvirtRuleset() }),
  ]);
}

/**
 * Waits until every link that is up in the host namespace has carrier (bridge ports forwarding), so
 * that the first capture after labUp sees the healthy host and not links still coming up.
 */
export async function settle(hostNs: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await run(["ip", "-n", hostNs, "-j", "link", "show"]);
    const links =
      r.code === 0 ? (JSON.parse(r.stdout || "[]") as { flags?: string[]; linkinfo?: unknown }[]) : [];
    const waiting = links.filter((l) => l.flags?.includes("UP") && l.flags.includes("NO-CARRIER"));
    if (r.code === 0 && waiting.length === 0) return;
    await new Promise((res) => setTimeout(res, 25));
  }
}

/** #21: guest vm5 on a macvlan (bridge mode) of eno3, whose wire ends in the LAN namespace `${P}lan`. */
export async function buildMacvtap(ctx: TopologyContext): Promise<void> {
  const host = ns(ctx, "host");
  const lan = ns(ctx, "lan");
  const g = GUESTS.vm5;
  await addNamespaces(ctx, ["lan", "vm5"]);
  await ipBatch([
    `link add lan0 netns ${lan} index ${FAR_INDEX} type veth peer name eno3 netns ${host} address ${NET.eno3.mac}`,
  ]);
  // libvirt type='direct' creates macvtapN on the parent; a macvlan is the same driver family and,
  // unlike a macvtap char device, can be handed to a namespace that plays the guest.
  await ipBatch(
    [
      `addr add ${NET.eno3.address}/${NET.eno3.prefixLen} brd + dev eno3`,
      "link set eno3 up",
      `link add link eno3 name ${g.tap} address ${g.mac} type macvlan mode bridge`,
      `link set ${g.tap} netns ${nsName(ctx.prefix, "vm5")}`,
    ],
    host,
  );
  await Promise.all([
    ipBatch(
      ["link set lo up", `addr add ${NET.eno3Lan}/${NET.eno3.prefixLen} brd + dev lan0`, "link set lan0 up"],
      lan,
    ),
    ipBatch(
      [
        "link set lo up",
        `link set ${g.tap} name eth0`,
        `addr add ${g.ip}/${g.prefixLen} brd + dev eth0`,
        "link set eth0 up",
        `route add default via ${NET.eno3Lan}`,
      ],
      ns(ctx, "vm5"),
    ),
  ]);
}

/** #31: guest vm6 198.51.100.50 routed (not bridged) through vnet6 with a /32, with proxy ARP as it should be. */
export async function buildRouted(ctx: TopologyContext): Promise<void> {
  const host = ns(ctx, "host");
  const g = GUESTS.vm6;
  await addNamespaces(ctx, ["vm6"]);
  await ipBatch([guestVeth(ctx, g)]);
  await Promise.all([
    // src: the tap has no address of its own, and the host must speak to the guest from its LAN IP.
    ipBatch([`link set ${g.tap} up`, `route add ${g.ip}/32 dev ${g.tap} src ${NET.br0.address}`], host),
    ipBatch(guestConfig(g), ns(ctx, "vm6")),
  ]);
  await sysctl(host, {
    [`net.ipv4.conf.${g.tap}.proxy_arp`]: 1,
    "net.ipv4.conf.br0.proxy_arp": 1,
  });
}

/**
 * #29: a second bridge br1 (203.0.113.129/25, uplink eno2 to lan1 of `${P}out` = 203.0.113.254) with
 * guest vm4, whose route to the br0 subnet goes through the router `${P}out`: the host's way back
 * to vm4 is br1, the way in is br0 (asymmetric, as on multi-homed hosts).
 */
export async function buildSecondBridge(ctx: TopologyContext): Promise<void> {
  const host = ns(ctx, "host");
  const out = ns(ctx, "out");
  const g = GUESTS.vm4;
  await addNamespaces(ctx, ["vm4"]);
  await ipBatch([
    `link add lan1 netns ${out} index ${FAR_INDEX + 1} type veth peer name eno2 netns ${host} address ${NET.br1.mac}`,
    guestVeth(ctx, g),
  ]);
  await Promise.all([
    ipBatch(
      [
        `link add br1 address ${NET.br1.mac} type bridge stp_state 0`,
        "link set eno2 master br1",
        `link set ${g.tap} master br1`,
        `addr add ${NET.br1.address}/${NET.br1.prefixLen} brd + dev br1`,
        "link set eno2 up",
        `link set ${g.tap} up`,
        "link set br1 up",
      ],
      host,
    ),
    ipBatch([`addr add ${NET.outBr1}/${NET.br1.prefixLen} brd + dev lan1`, "link set lan1 up"], out),
    ipBatch(
      guestConfig(g, [
        `route add default via ${NET.br1.address}`,
        `route add 198.51.100.0/24 via ${NET.outBr1}`,
      ]),
      ns(ctx, "vm4"),
    ),
  ]);
}
