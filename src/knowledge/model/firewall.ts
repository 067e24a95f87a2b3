/**
 * Firewall summaries over iptables (nft or legacy backend), native nftables tables and ebtables.
 * nftables semantics: every base chain on a hook must accept; an accept in one table does not
 * override a drop in another (catalog #36), so each table is judged on its own.
 */
import type {
  IptablesFacts,
  IptablesRule,
  NftChain,
  NftFacts,
  NftRule,
  ParsedFacts,
} from "../../facts/types.js";
import { inPrefix, overlaps, parsePrefix } from "./net.js";

export interface Block {
  /** Readable description for evidence lines. */
  by: string;
  table?: string;
  chain?: string;
  handle?: number;
}

const IPT_TABLE_NAMES = new Set(["filter", "nat", "mangle", "raw", "security"]);
const IPT_CHAIN = /^[A-Z][A-Z0-9_-]*$/;

/** nft chains that iptables-nft or ebtables-nft made: already seen through iptables-save / ebtables. */
export function isCompatChain(c: { family: string; table: string; chain?: string; name?: string }): boolean {
  const chain = c.chain ?? c.name ?? "";
  if (c.family === "bridge" && IPT_TABLE_NAMES.has(c.table) && IPT_CHAIN.test(chain)) return true;
  return (c.family === "ip" || c.family === "ip6") && IPT_TABLE_NAMES.has(c.table) && IPT_CHAIN.test(chain);
}

/** libvirt's own nft table: its rules accept guest traffic, its chains do not count as foreign drops. */
export function isLibvirtTable(table: string): boolean {
  return table.startsWith("libvirt");
}

function iptSets(f: ParsedFacts): IptablesFacts[] {
  return [f.iptables, f.iptablesLegacy].filter((x): x is IptablesFacts => !!x);
}

function ifaceIs(value: string | undefined, name: string): boolean {
  if (!value) return false;
  if (value.startsWith("!")) return false;
  if (value.endsWith("+")) return name.startsWith(value.slice(0, -1));
  return value === name;
}

function addrCovers(value: string | undefined, subnet: string): boolean {
  if (!value || value.startsWith("!") || !subnet) return false;
  return overlaps(value.includes("/") ? value : `${value}/32`, subnet);
}

const ACCEPTS = new Set(["ACCEPT"]);
const DROPS = new Set(["DROP", "REJECT"]);

/** Does any accept let bridged traffic of bridge `br` through FORWARD (one iptables ruleset)? */
function iptAcceptsBridged(rules: IptablesRule[], br: string): boolean {
  return rules.some((r) => {
    if (r.table !== "filter" || !r.target || !ACCEPTS.has(r.target)) return false;
    if (!["FORWARD", "DOCKER-USER"].includes(r.chain)) return false;
    if (/physdev-is-bridged/.test(r.spec)) return true;
    if (ifaceIs(r.inIface, br) && (!r.outIface || ifaceIs(r.outIface, br)) && !/ctstate|--state/.test(r.spec))
      return true;
    // An unconditional accept (no interface, address or match).
    return !r.inIface && !r.outIface && !r.source && !r.destination && !/-m |-p /.test(r.spec);
  });
}

function iptDropFor(
  rules: IptablesRule[],
  chain: string,
  iface: string,
  subnet: string,
): IptablesRule | undefined {
  return rules.find(
    (r) =>
      r.table === "filter" &&
      r.chain === chain &&
      !!r.target &&
      DROPS.has(r.target) &&
      (ifaceIs(r.inIface, iface) ||
        (chain === "FORWARD" && ifaceIs(r.outIface, iface)) ||
        addrCovers(r.source, subnet) ||
        (!r.inIface && !r.outIface && !r.source && !r.destination)),
  );
}

function nftBaseChains(nft: NftFacts | undefined, hook: string): NftChain[] {
  if (!nft) return [];
  return nft.chains.filter(
    (c) =>
      c.hook === hook &&
      (c.type === undefined || c.type === "filter") &&
      !isCompatChain(c) &&
      !isLibvirtTable(c.table) &&
      ["ip", "inet"].includes(c.family),
  );
}

function nftChainRules(nft: NftFacts, c: NftChain): NftRule[] {
  return nft.rules.filter((r) => r.family === c.family && r.table === c.table && r.chain === c.name);
}

/** Is traffic arriving on `iface` (source in `subnet`) dropped by a native nft base chain on `hook`? */
export function nftBlock(
  f: ParsedFacts,
  hook: "forward" | "input",
  iface: string,
  subnet: string,
): Block | undefined {
  const nft = f.nft;
  if (!nft) return undefined;
  for (const c of nftBaseChains(nft, hook)) {
    const rules = nftChainRules(nft, c);
    const matches = (r: NftRule) =>
      (r.iifname ? r.iifname === iface : true) &&
      (r.saddr ? addrCovers(r.saddr, subnet) || (!!subnet && r.saddr === subnet) : true);
    const drop = rules.find(
      (r) => (r.verdict === "drop" || r.verdict === "reject") && (r.iifname || r.saddr) && matches(r),
    );
    if (drop)
      return {
        by: `${c.family} ${c.table} ${c.name}: ${drop.text}`,
        table: `${c.family} ${c.table}`,
        chain: c.name,
        handle: drop.handle,
      };
    if (c.policy === "drop") {
      const accepted = rules.some(
        (r) =>
          r.verdict === "accept" &&
          (r.iifname === iface || r.oifname === iface) &&
          !/ct state|ctstate/.test(r.text),
      );
      if (!accepted)
        return {
          by: `${c.family} ${c.table} ${c.name}: policy drop`,
          table: `${c.family} ${c.table}`,
          chain: c.name,
        };
    }
  }
  return undefined;
}

/** FORWARD verdict for bridged frames of bridge `br` in iptables (both backends). */
export function iptForwardBlock(
  f: ParsedFacts,
  br: string,
  subnet: string,
  bridged: boolean,
): Block | undefined {
  for (const set of iptSets(f)) {
    const label = set.backend === "legacy" || set === f.iptablesLegacy ? "iptables-legacy" : "iptables";
    const fwd = set.chains.find((c) => c.table === "filter" && c.name === "FORWARD");
    const accepted = bridged ? iptAcceptsBridged(set.rules, br) : false;
    const drop = iptDropFor(set.rules, "FORWARD", br, subnet);
    if (drop && !accepted)
      return { by: `${label} filter FORWARD: -A FORWARD ${drop.spec} [${drop.packets} packets]` };
    if (fwd?.policy === "DROP" && !accepted) {
      if (!bridged && routedAccept(set.rules, br, subnet)) continue;
      return { by: `${label} :FORWARD DROP [${fwd.packets}:${fwd.bytes}]` };
    }
  }
  return undefined;
}

function routedAccept(rules: IptablesRule[], br: string, subnet: string): boolean {
  return rules.some(
    (r) =>
      r.table === "filter" &&
      r.chain === "FORWARD" &&
      r.target === "ACCEPT" &&
      (ifaceIs(r.inIface, br) || addrCovers(r.source, subnet)) &&
      !/ctstate|--state/.test(r.spec),
  );
}

/** INPUT verdict for traffic from guests on `br`. */
export function iptInputBlock(f: ParsedFacts, br: string, subnet: string): Block | undefined {
  for (const set of iptSets(f)) {
    const label = set === f.iptablesLegacy ? "iptables-legacy" : "iptables";
    const drop = iptDropFor(set.rules, "INPUT", br, subnet);
    if (drop) return { by: `${label} filter INPUT: -A INPUT ${drop.spec} [${drop.packets} packets]` };
    const input = set.chains.find((c) => c.table === "filter" && c.name === "INPUT");
    if (input?.policy === "DROP") {
      const accepted = set.rules.some(
        (r) =>
          r.table === "filter" &&
          r.chain === "INPUT" &&
          r.target === "ACCEPT" &&
          (ifaceIs(r.inIface, br) ||
            addrCovers(r.source, subnet) ||
            (!r.inIface && !r.source && !/-p |--dport/.test(r.spec))),
      );
      if (!accepted) return { by: `${label} :INPUT DROP [${input.packets}:${input.bytes}]` };
    }
  }
  return undefined;
}

/** The effective IPv4 FORWARD policy: "drop" if any ruleset's base forward chain drops by default. */
export function forwardPolicy(f: ParsedFacts): string {
  let known = false;
  for (const set of iptSets(f)) {
    const fwd = set.chains.find((c) => c.table === "filter" && c.name === "FORWARD");
    if (fwd?.policy) {
      known = true;
      if (fwd.policy === "DROP") return "drop";
    }
  }
  for (const c of nftBaseChains(f.nft, "forward")) {
    known = true;
    if (c.policy === "drop") return "drop";
  }
  return known ? "accept" : "";
}

export function inputPolicy(f: ParsedFacts): string {
  for (const set of iptSets(f)) {
    const c = set.chains.find((x) => x.table === "filter" && x.name === "INPUT");
    if (c?.policy === "DROP") return "drop";
  }
  for (const c of nftBaseChains(f.nft, "input")) if (c.policy === "drop") return "drop";
  return "accept";
}

/** Any drop in a native nft base chain on the hook (for the host-wide nftables_drop facts). */
export function nftAnyDrop(f: ParsedFacts, hook: "forward" | "input"): Block | undefined {
  const nft = f.nft;
  if (!nft) return undefined;
  for (const c of nftBaseChains(nft, hook)) {
    const drop = nftChainRules(nft, c).find(
      (r) => (r.verdict === "drop" || r.verdict === "reject") && (r.packets ?? 0) > 0,
    );
    if (drop)
      return {
        by: `${c.family} ${c.table} ${c.name}: ${drop.text}`,
        table: `${c.family} ${c.table}`,
        chain: c.name,
        handle: drop.handle,
      };
    if (c.policy === "drop")
      return {
        by: `${c.family} ${c.table} ${c.name}: policy drop`,
        table: `${c.family} ${c.table}`,
        chain: c.name,
      };
  }
  return undefined;
}

/** A MASQUERADE/SNAT for traffic from `subnet` (iptables nat POSTROUTING or nft nat/libvirt tables). */
export function hasMasquerade(f: ParsedFacts, subnet: string): boolean {
  const natTargets = new Set(["MASQUERADE", "SNAT"]);
  for (const set of iptSets(f))
    for (const r of set.rules)
      if (
        r.table === "nat" &&
        r.target &&
        natTargets.has(r.target) &&
        (!r.source || addrCovers(r.source, subnet))
      )
        return true;
  for (const r of f.nft?.rules ?? []) {
    if (isCompatChain(r) && !isLibvirtTable(r.table)) continue;
    const v = (r.verdict ?? "").toLowerCase();
    if (
      (v === "masquerade" || v === "snat") &&
      (!r.saddr || addrCovers(r.saddr, subnet) || r.saddr === subnet)
    )
      return true;
  }
  return false;
}

/** Rules anywhere that mention the subnet or the bridge (is there any firewall state for this network?). */
export function subnetRuleCount(f: ParsedFacts, bridge: string, subnet: string): number {
  let n = 0;
  for (const set of iptSets(f))
    for (const r of set.rules)
      if (
        ifaceIs(r.inIface, bridge) ||
        ifaceIs(r.outIface, bridge) ||
        addrCovers(r.source, subnet) ||
        addrCovers(r.destination, subnet)
      )
        n++;
  for (const r of f.nft?.rules ?? []) {
    if (isCompatChain(r)) continue;
    if (
      r.iifname === bridge ||
      r.oifname === bridge ||
      addrCovers(r.saddr, subnet) ||
      addrCovers(r.daddr, subnet)
    )
      n++;
  }
  return n;
}

export function firewallRuleCount(f: ParsedFacts): number {
  let n = 0;
  for (const set of iptSets(f)) n += set.rules.length;
  for (const r of f.nft?.rules ?? []) if (!isCompatChain(r)) n++;
  return n;
}

/** REJECT/DROP rules aimed at a bridge in FORWARD, the way libvirt isolates a network without <forward>. */
export function isolationRejects(f: ParsedFacts, bridge: string): string {
  for (const set of iptSets(f))
    for (const r of set.rules)
      if (
        r.table === "filter" &&
        /^(FORWARD|LIBVIRT_FWI|LIBVIRT_FWO)$/.test(r.chain) &&
        r.target === "REJECT" &&
        (ifaceIs(r.inIface, bridge) || ifaceIs(r.outIface, bridge))
      )
        return `-A ${r.chain} ${r.spec}`;
  for (const r of f.nft?.rules ?? [])
    if (isLibvirtTable(r.table) && r.verdict === "reject" && (r.iifname === bridge || r.oifname === bridge))
      return r.text;
  return "";
}

export function libvirtRulesPresent(f: ParsedFacts): boolean {
  for (const set of iptSets(f)) if (set.chains.some((c) => c.name.startsWith("LIBVIRT_"))) return true;
  return (f.nft?.tables ?? []).some((t) => isLibvirtTable(t.name));
}

/** INPUT drops of DHCP (udp/67) on the bridge. */
export function dhcpBlock(f: ParsedFacts, bridge: string): string {
  for (const set of iptSets(f))
    for (const r of set.rules)
      if (
        r.table === "filter" &&
        r.chain === "INPUT" &&
        r.target &&
        DROPS.has(r.target) &&
        (ifaceIs(r.inIface, bridge) || !r.inIface) &&
        /--dport 67\b|--dports \S*\b67\b/.test(r.spec)
      )
        return `-A INPUT ${r.spec}`;
  return "";
}

export function checksumFill(f: ParsedFacts, bridge: string): boolean {
  for (const set of iptSets(f))
    for (const r of set.rules)
      if (r.table === "mangle" && r.target === "CHECKSUM" && (!r.outIface || ifaceIs(r.outIface, bridge)))
        return true;
  return false;
}

export { inPrefix, parsePrefix };
