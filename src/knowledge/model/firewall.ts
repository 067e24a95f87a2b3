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
  /** "family name" of an nft table. */
  table?: string;
  family?: string;
  tableName?: string;
  chain?: string;
  handle?: number;
  /** The chain's policy is the drop (no rule to delete). */
  policy?: boolean;
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

/** Chains a built-in chain reaches through -j/-g (libvirt's LIBVIRT_FWI, Docker's DOCKER-USER, ...). */
function reach(set: IptablesFacts, table: string, from: string): Set<string> {
  const seen = new Set([from]);
  const todo = [from];
  while (todo.length) {
    const chain = todo.pop() as string;
    for (const r of set.rules)
      if (
        r.table === table &&
        r.chain === chain &&
        r.target &&
        !seen.has(r.target) &&
        set.chains.some((c) => c.table === table && c.name === r.target)
      ) {
        seen.add(r.target);
        todo.push(r.target);
      }
  }
  return seen;
}

const reachCache = new WeakMap<IptablesFacts, Map<string, Set<string>>>();
export function chainsOf(set: IptablesFacts, table: string, from: string): Set<string> {
  let m = reachCache.get(set);
  if (!m) {
    m = new Map();
    reachCache.set(set, m);
  }
  const key = `${table}/${from}`;
  let r = m.get(key);
  if (!r) {
    r = reach(set, table, from);
    m.set(key, r);
  }
  return r;
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
function iptAcceptsBridged(set: IptablesFacts, br: string): boolean {
  const fwd = chainsOf(set, "filter", "FORWARD");
  return set.rules.some((r) => {
    if (r.table !== "filter" || !r.target || !ACCEPTS.has(r.target)) return false;
    if (!fwd.has(r.chain)) return false;
    if (/physdev-is-bridged/.test(r.spec)) return true;
    if (ifaceIs(r.inIface, br) && (!r.outIface || ifaceIs(r.outIface, br)) && !/ctstate|--state/.test(r.spec))
      return true;
    // An unconditional accept (no interface, address or match).
    return !r.inIface && !r.outIface && !r.source && !r.destination && !/-m |-p /.test(r.spec);
  });
}

function iptDropFor(
  set: IptablesFacts,
  chain: string,
  iface: string,
  subnet: string,
): IptablesRule | undefined {
  const chains = chainsOf(set, "filter", chain);
  return set.rules.find(
    (r) =>
      r.table === "filter" &&
      chains.has(r.chain) &&
      !!r.target &&
      DROPS.has(r.target) &&
      (ifaceIs(r.inIface, iface) ||
        (chain === "FORWARD" && ifaceIs(r.outIface, iface)) ||
        addrCovers(r.source, subnet) ||
        (r.chain === chain && !r.inIface && !r.outIface && !r.source && !r.destination)),
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
      c.table !== "firewalld" &&
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
    const accepted = bridged ? iptAcceptsBridged(set, br) : false;
    const drop = bridged ? iptDropFor(set, "FORWARD", br, subnet) : undefined;
    if (drop && !accepted)
      return { by: `${label} filter: -A ${drop.chain} ${drop.spec} [${drop.packets} packets]` };
    if (fwd?.policy === "DROP" && !accepted) {
      if (!bridged && routedAccept(set, br, subnet)) continue;
      return { by: `${label} :FORWARD DROP [${fwd.packets}:${fwd.bytes}]` };
    }
  }
  return undefined;
}

function routedAccept(set: IptablesFacts, br: string, subnet: string): boolean {
  const fwd = chainsOf(set, "filter", "FORWARD");
  return set.rules.some(
    (r) =>
      r.table === "filter" &&
      fwd.has(r.chain) &&
      r.target === "ACCEPT" &&
      (ifaceIs(r.inIface, br) || addrCovers(r.source, subnet)) &&
      !/ctstate|--state/.test(r.spec),
  );
}

/** INPUT verdict for traffic from guests on `br`. */
export function iptInputBlock(f: ParsedFacts, br: string, subnet: string): Block | undefined {
  for (const set of iptSets(f)) {
    const label = set === f.iptablesLegacy ? "iptables-legacy" : "iptables";
    const drop = iptDropFor(set, "INPUT", br, subnet);
    if (drop) return { by: `${label} filter: -A ${drop.chain} ${drop.spec} [${drop.packets} packets]` };
    const input = set.chains.find((c) => c.table === "filter" && c.name === "INPUT");
    if (input?.policy === "DROP") {
      const inChains = chainsOf(set, "filter", "INPUT");
      const accepted = set.rules.some(
        (r) =>
          r.table === "filter" &&
          inChains.has(r.chain) &&
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
    const base = { table: `${c.family} ${c.table}`, family: c.family, tableName: c.table, chain: c.name };
    const drop = nftChainRules(nft, c).find(
      (r) => (r.verdict === "drop" || r.verdict === "reject") && (r.packets ?? 0) > 0,
    );
    if (drop) return { ...base, by: `${c.family} ${c.table} ${c.name}: ${drop.text}`, handle: drop.handle };
    if (c.policy === "drop") {
      const accepts = nftChainRules(nft, c).some(
        (r) => r.verdict === "accept" && !/ct state|ctstate/.test(r.text),
      );
      if (!accepts || hook === "forward")
        return { ...base, by: `${c.family} ${c.table} ${c.name}: policy drop`, policy: true };
    }
  }
  return undefined;
}

/** firewalld's own nft table rejecting traffic (a zone without forwarding or services for the guests). */
export function firewalldRejects(f: ParsedFacts): string {
  const nft = f.nft;
  if (!nft) return "";
  for (const r of nft.rules)
    if (r.table === "firewalld" && (r.verdict === "reject" || r.verdict === "drop") && (r.packets ?? 0) > 0)
      return `${r.family} ${r.table} ${r.chain}: ${r.text}`;
  return "";
}

/** How a host-internal network leaves the host, read from its firewall rules (libvirt's shapes). */
export function networkMode(f: ParsedFacts, bridge: string, subnet: string): string {
  if (subnet && hasMasquerade(f, subnet)) return "nat";
  let outAccept = false;
  let inPlainAccept = false;
  let reject = false;
  for (const set of iptSets(f)) {
    const fwd = chainsOf(set, "filter", "FORWARD");
    for (const r of set.rules) {
      if (r.table !== "filter" || !fwd.has(r.chain)) continue;
      const inOut = ifaceIs(r.inIface, bridge) && ifaceIs(r.outIface, bridge);
      if (
        r.target === "ACCEPT" &&
        !inOut &&
        (ifaceIs(r.inIface, bridge) || addrCovers(r.source, subnet)) &&
        !/ctstate|--state/.test(r.spec)
      )
        outAccept = true;
      if (
        r.target === "ACCEPT" &&
        !inOut &&
        (ifaceIs(r.outIface, bridge) || addrCovers(r.destination, subnet)) &&
        !/ctstate|--state/.test(r.spec)
      )
        inPlainAccept = true;
      if (r.target === "REJECT" && (ifaceIs(r.inIface, bridge) || ifaceIs(r.outIface, bridge)) && !inOut)
        reject = true;
    }
  }
  if (outAccept && inPlainAccept) return "route";
  if (reject && !outAccept) return "isolated";
  return "";
}

/** Packets that hit an accept for DHCP (udp/67) from the bridge: guests are asking for leases. */
export function dhcpRequests(f: ParsedFacts, bridge: string): number {
  let n = 0;
  for (const set of iptSets(f))
    for (const r of set.rules)
      if (
        r.table === "filter" &&
        r.target === "ACCEPT" &&
        ifaceIs(r.inIface, bridge) &&
        /-p udp\b.*--dport 67\b/.test(r.spec)
      )
        n += r.packets;
  return n;
}

/** An ebtables drop of frames leaving the uplink with a source MAC other than the host's. */
export function ebtForeignMacDrop(f: ParsedFacts, uplink: string): string {
  for (const r of f.ebtables?.rules ?? [])
    if (r.target === "DROP" && r.outIface === uplink && /(!\s*-s|-s\s*!)/.test(r.spec))
      return `${r.table} ${r.chain}: ${r.spec}`;
  return "";
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

/** REJECT rules aimed at a bridge with nothing letting its guests out: libvirt's isolated network. */
export function isolationRejects(f: ParsedFacts, bridge: string, subnet = ""): string {
  if (networkMode(f, bridge, subnet) !== "isolated") return "";
  for (const set of iptSets(f)) {
    const fwd = chainsOf(set, "filter", "FORWARD");
    for (const r of set.rules)
      if (
        r.table === "filter" &&
        fwd.has(r.chain) &&
        r.target === "REJECT" &&
        (ifaceIs(r.inIface, bridge) || ifaceIs(r.outIface, bridge))
      )
        return `-A ${r.chain} ${r.spec}`;
  }
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
        chainsOf(set, "filter", "INPUT").has(r.chain) &&
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
