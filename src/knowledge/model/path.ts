/**
 * The packet path per target, hop by hop: route lookup → egress device → bridge → neighbour →
 * port → tap → guest, and for outside targets guest network → forwarding → filter → NAT → uplink.
 * The first broken hop names where the packet dies; ranking boosts causes on that device.
 */
import type { RouteLookup } from "../../facts/types.js";
import type { Ctx } from "./build.js";
import type { BridgeItem, GuestItem, HostItem, NetworkItem, PathItem, PortItem, TapItem } from "./fields.js";
import * as fw from "./firewall.js";
import { inPrefix, parsePrefix } from "./net.js";

interface Items {
  bridges: BridgeItem[];
  ports: PortItem[];
  taps: TapItem[];
  guests: GuestItem[];
  networks: NetworkItem[];
  host: HostItem;
}

/** Longest-prefix match over the main table when the kernel's own answer was not collected. */
function lookup(c: Ctx, target: string): RouteLookup {
  const given = (c.f.routeLookups ?? []).find((r) => r.target === target);
  if (given) return given;
  let best: { len: number; dev?: string; gateway?: string } | undefined;
  for (const r of c.mainRoutes) {
    const p = parsePrefix(r.dst);
    if (!p || !inPrefix(target, p)) continue;
    if (!best || p.len > best.len) best = { len: p.len, dev: r.dev, gateway: r.gateway };
  }
  if (!best) return { target, error: "Network is unreachable" };
  const out: RouteLookup = { target };
  if (best.dev) out.dev = best.dev;
  if (best.gateway) out.gateway = best.gateway;
  return out;
}

function mostSpecificRoute(c: Ctx, target: string, dev: string): string {
  let best: { len: number; dst: string } | undefined;
  for (const r of c.mainRoutes) {
    if (r.dev !== dev) continue;
    const p = parsePrefix(r.dst);
    if (!p || !inPrefix(target, p)) continue;
    if (!best || p.len > best.len)
      best = { len: p.len, dst: r.dst.includes("/") || r.dst === "default" ? r.dst : `${r.dst}/32` };
  }
  return best?.dst ?? "";
}

const BAD_NEIGH = /FAILED|INCOMPLETE/;

export function buildPaths(c: Ctx, items: Items): PathItem[] {
  const out: PathItem[] = [];
  for (const target of c.targets) {
    const rl = lookup(c, target);
    const ping = (c.f.ping ?? []).find((p) => p.target === target);
    const mtu = (c.f.pingMtu ?? []).find((p) => p.target === target);
    const local = [...c.links.keys()].some((n) => c.ipv4(n).some((a) => a.local === target));
    const guest = items.guests.find((g) => g.ip === target);
    const ownerBridge = items.bridges.find((b) => b.subnet && inPrefix(target, b.subnet));
    const viaTap = !!rl.dev && items.taps.some((t) => t.name === rl.dev);
    const isGuest = !local && target !== c.gateway && (!!guest || !!ownerBridge || viaTap);
    const devLink = rl.dev ? c.links.get(rl.dev) : undefined;
    const onlink = !local && !isGuest && !rl.gateway && !!devLink && devLink.kind !== "bridge";
    const p: PathItem = {
      target,
      kind: local ? "local" : isGuest ? "guest" : onlink ? "onlink" : "outside",
      dev: rl.dev ?? "",
      expectedDev: "",
      gateway: rl.gateway ?? "",
      neighState: "",
      neighMac: "",
      port: "",
      tap: guest?.tap ?? "",
      bridge: "",
      brokenHop: "",
      brokenAt: "",
      reason: "",
      pingSent: ping?.sent ?? -1,
      pingReceived: ping?.received ?? -1,
      pingFailed: !!ping && ping.sent > 0 && ping.received === 0,
      mtuPingFailed: !!mtu && mtu.sent > 0 && mtu.received === 0,
      hostSideClean: false,
      routeConflict: false,
      conflictPrefix: "",
      guestNet: "",
      guestNetBridge: "",
      devIsBridge: devLink?.kind === "bridge",
      devIp: rl.dev ? (c.ipv4(rl.dev)[0]?.local ?? "") : "",
      expectedProxyArp: -1,
      outsideOk: false,
      guestMoved: "",
      guestMoveUnsure: false,
    };
    if (viaTap && !p.tap) p.tap = rl.dev ?? "";
    const breakAt = (hop: string, at: string, reason: string) => {
      if (p.brokenHop) return;
      p.brokenHop = hop;
      p.brokenAt = at;
      p.reason = reason;
    };
    if (p.kind === "guest") {
      guestPath(c, items, p, rl, guest, ownerBridge, breakAt);
      p.outsideOk = outsideIntact(c, items, p.bridge);
    } else if (p.kind === "outside") outsidePath(c, items, p, rl, breakAt);
    else if (p.kind === "onlink") {
      const neigh = (c.f.neighbours ?? []).find((n) => n.dst === target);
      p.neighState = neigh?.state.join(",") ?? "";
      p.neighMac = neigh?.lladdr?.toLowerCase() ?? "";
      if (BAD_NEIGH.test(p.neighState))
        breakAt("neigh", rl.dev ?? "", `ARP for ${target} on ${rl.dev} is ${p.neighState}`);
    }
    if (rl.error) breakAt("route", "", rl.error);
    p.hostSideClean = !p.brokenHop && p.pingFailed;
    if (p.pingFailed && !p.brokenHop) breakAt("guest", p.tap, "no reply although the host side looks fine");
    out.push(p);
  }
  return out;
}

type BreakAt = (hop: string, at: string, reason: string) => void;

function guestPath(
  c: Ctx,
  items: Items,
  p: PathItem,
  rl: RouteLookup,
  guest: GuestItem | undefined,
  ownerBridge: BridgeItem | undefined,
  breakAt: BreakAt,
): void {
  let tap = items.taps.find((t) => t.name === p.tap);
  const expected = tap?.expectedBridge || ownerBridge?.name || guest?.bridge || "";
  if (!tap) {
    // The target's ARP entry lost its MAC, so no tap is known for it. A single broken tap of that
    // bridge whose guest has no known address is, most likely, the target's.
    const broken = items.taps.filter(
      (t) =>
        !t.guestIp &&
        (t.master === expected || (!t.enslaved && t.expectedBridge === expected)) &&
        (!t.adminUp || !t.carrier || !t.enslaved || (t.portState !== "" && t.portState !== "forwarding")),
    );
    if (broken.length === 1) {
      tap = broken[0];
      p.tap = tap?.name ?? "";
    }
  }
  p.expectedDev = expected;
  p.bridge = expected;
  p.expectedProxyArp = items.bridges.find((b) => b.name === expected)?.proxyArp ?? -1;
  if (rl.dev && expected && rl.dev !== expected && rl.dev !== p.tap) {
    // Through a port of the expected bridge itself, the host's address sits on the port (#9): the
    // packet dies there, but no other network claims the guest's prefix.
    p.routeConflict = c.links.get(rl.dev)?.master !== expected;
    if (p.routeConflict) p.conflictPrefix = mostSpecificRoute(c, p.target, rl.dev);
    breakAt("route", rl.dev, `the route to ${p.target} leaves through ${rl.dev}, not ${expected}`);
  }
  const br = items.bridges.find((b) => b.name === (rl.dev || expected));
  if (br && !br.adminUp) breakAt("bridge", br.name, `${br.name} is down`);
  const neigh = (c.f.neighbours ?? []).find(
    (n) => n.dst === p.target && (!n.dev || n.dev === rl.dev || !rl.dev),
  );
  p.neighState = neigh?.state.join(",") ?? "";
  p.neighMac = neigh?.lladdr?.toLowerCase() ?? "";
  if (p.neighMac) {
    const fdb = (c.f.fdb ?? []).find(
      (e) => e.mac.toLowerCase() === p.neighMac && (!e.master || e.master === expected),
    );
    p.port = fdb?.ifname ?? "";
  }
  if (tap) {
    if (!tap.enslaved && !tap.ovsPort && !tap.routed) breakAt("tap", tap.name, `${tap.name} is in no bridge`);
    else if (expected && tap.master && tap.master !== expected && !tap.ovsPort)
      breakAt("tap", tap.name, `${tap.name} is in ${tap.master}, not ${expected}`);
    if (!tap.adminUp) breakAt("tap", tap.name, `${tap.name} is down`);
    else if (!tap.carrier) breakAt("tap", tap.name, `${tap.name} has no carrier`);
    const port = items.ports.find((x) => x.name === tap.name);
    if (port?.state && port.state !== "forwarding") breakAt("port", tap.name, `${tap.name} is ${port.state}`);
    if (p.port && p.port !== tap.name)
      breakAt("port", p.port, `${p.neighMac} is learned on ${p.port}, not ${tap.name}`);
  }
  if (BAD_NEIGH.test(p.neighState)) {
    breakAt("neigh", p.tap || rl.dev || "", `ARP for ${p.target} is ${p.neighState}`);
    if (!tap) {
      p.guestMoved = movedGuest(c, items, p.target, expected);
      p.guestMoveUnsure = !!p.guestMoved && moveUnsure(items, expected, p.guestMoved);
    }
  } else if (p.neighMac && p.pingFailed && arpSilent(c, p.target)) {
    // The cache still holds the MAC (entries stay REACHABLE for a while after the guest changed its
    // address), but nobody answers ARP for the target any more: the guest behind that MAC may now
    // answer from another address.
    breakAt(
      "neigh",
      p.tap || rl.dev || "",
      `nobody answers ARP for ${p.target} (the cached ${p.neighMac} is stale)`,
    );
    p.guestMoved = movedGuest(c, items, p.target, expected, p.neighMac);
  }
}

/** arping was sent to the target and no MAC answered. */
export function arpSilent(c: Ctx, target: string): boolean {
  const a = (c.f.arping ?? []).find((x) => x.target === target);
  return !!a && (a.sent ?? 0) > 0 && a.macs.length === 0;
}

/**
 * The target does not answer ARP and no tap is known for it. If exactly one guest on the expected
 * bridge answers from an address no request names, seen recently, that guest was probably
 * re-addressed (wrong static IP or prefix): its IP, for subnet_mismatch.
 */
function movedGuest(c: Ctx, items: Items, target: string, bridge: string, mac = ""): string {
  const known = new Set(c.targets);
  const candidates = items.guests.filter(
    (g) =>
      g.ip !== target &&
      !known.has(g.ip) &&
      (mac ? g.mac === mac : !!g.tap) &&
      g.bridge === bridge &&
      /REACHABLE|STALE|DELAY|PROBE/.test(g.neighState),
  );
  const fresh = candidates.filter((g) => {
    const n = (c.f.neighbours ?? []).find((x) => x.dst === g.ip);
    return n?.updated === undefined || n.updated <= 120;
  });
  return fresh.length === 1 ? (fresh[0]?.ip ?? "") : "";
}

/**
 * Another guest of the bridge is known only by its MAC (a tap whose guest answers from no address):
 * the target may just as well be that silent guest as the re-addressed one, so a move is a guess.
 */
function moveUnsure(items: Items, bridge: string, movedIp: string): boolean {
  const moved = items.guests.find((g) => g.ip === movedIp);
  return items.taps.some((t) => t.master === bridge && t.name !== moved?.tap && !!t.guestMac && !t.guestIp);
}

/** Would traffic from this bridge's guests to the outside get through the host (forwarding, filters, NAT)? */
function outsideIntact(c: Ctx, items: Items, bridge: string): boolean {
  const net = items.networks.find((n) => n.bridge === bridge);
  if (net) {
    if (net.ipForward === 0 || net.ifForwarding === 0 || net.rejectRules) return false;
    if (
      fw.iptForwardBlock(c.f, net.bridge, net.subnet, false) ||
      fw.nftBlock(c.f, "forward", net.bridge, net.subnet)
    )
      return false;
    return net.masquerade || net.forwardMode === "route" || net.forwardMode === "open";
  }
  const br = items.bridges.find((b) => b.name === bridge);
  return (
    !!br &&
    !br.forwardBlocked &&
    !br.expectsUplink &&
    items.ports.some((p) => p.bridge === bridge && p.role === "uplink" && p.carrier)
  );
}

function outsidePath(c: Ctx, items: Items, p: PathItem, rl: RouteLookup, breakAt: BreakAt): void {
  // Which guest network does the traffic come from? A guest target in the same request wins, else the
  // first host-internal network with guests, else the bridge that carries the default route.
  const guestTargets = items.guests.filter((g) => c.targets.includes(g.ip));
  const fromBridge = guestTargets[0]?.bridge;
  const net =
    items.networks.find((n) => n.bridge === fromBridge) ??
    (fromBridge ? undefined : items.networks.find((n) => n.tapCount > 0 && n.forwardMode !== "isolated"));
  const egress = rl.dev ?? "";
  if (net) {
    p.guestNet = net.subnet;
    p.guestNetBridge = net.bridge;
    if (net.ipForward === 0) breakAt("forward", net.bridge, "net.ipv4.ip_forward=0");
    else if (net.ifForwarding === 0)
      breakAt("forward", net.bridge, `net.ipv4.conf.${net.bridge}.forwarding=0`);
    if (net.rejectRules) breakAt("filter", net.bridge, net.rejectText);
    const block =
      fw.iptForwardBlock(c.f, net.bridge, net.subnet, false) ??
      fw.nftBlock(c.f, "forward", net.bridge, net.subnet);
    if (block) breakAt("filter", net.bridge, block.by);
    if (!net.masquerade && (net.forwardMode === "nat" || net.forwardMode === ""))
      breakAt("nat", net.bridge, `no MASQUERADE for ${net.subnet}`);
  } else {
    const br = items.bridges.find((b) => b.name === (fromBridge || egress));
    if (br) {
      p.guestNetBridge = br.name;
      p.guestNet = br.subnet;
      if (br.forwardBlocked) breakAt("filter", br.name, br.forwardBlockedBy);
      if (br.expectsUplink) breakAt("uplink", br.name, `${br.name} has no uplink port`);
    }
  }
  const egressLink = c.links.get(egress);
  if (egressLink && egressLink.kind === "bridge") {
    const up = items.ports.find((x) => x.bridge === egress && x.role === "uplink");
    if (up && !up.carrier) breakAt("uplink", up.name, `${up.name} has no carrier`);
  } else if (egressLink && !egressLink.carrier) breakAt("uplink", egress, `${egress} has no carrier`);
  if (p.gateway) {
    const gw = (c.f.neighbours ?? []).find((n) => n.dst === p.gateway);
    p.neighState = gw?.state.join(",") ?? "";
    p.neighMac = gw?.lladdr?.toLowerCase() ?? "";
  }
  p.expectedDev = c.defaultDev;
}
