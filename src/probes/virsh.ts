import type { VirshDomain, VirshFacts, VirshInterface, VirshNetwork } from "../facts/types.js";
import { ParseError, type Probe } from "./types.js";
import { requireTool, sections } from "./util.js";

const ID = "virsh";

/**
 * One read-only script over a read-only connection to the system libvirt (`virsh -r -c qemu:///system`). `### kind name` markers
 * separate the parts; virsh has no JSON (§0.2 trap 10), so `-q` text is split on whitespace and the
 * few XML attributes needed are read with small regexes.
 */
export const VIRSH_SCRIPT = [
  requireTool("virsh"),
  // qemu:///system even for a non-root login (whose default would be the empty session URI).
  "V='virsh -r -c qemu:///system -q'",
  'echo "### list"; $V list --all 2>&1',
  // Commands inside the read loops take </dev/null so they cannot eat the loop's input.
  '$V list --all --name 2>/dev/null | while IFS= read -r d; do [ -n "$d" ] || continue;' +
    ' echo "### domiflist $d"; $V domiflist "$d" 2>&1 </dev/null;' +
    ' $V domiflist "$d" 2>/dev/null </dev/null | while read -r i _ _ _ mac; do [ "$i" = "-" ] && i=$mac;' +
    ' echo "### getlink $d $i"; $V domif-getlink "$d" "$i" 2>&1 </dev/null; done;' +
    ' a=$($V domifaddr "$d" --source lease 2>/dev/null </dev/null);' +
    ' [ -n "$a" ] || a=$($V domifaddr "$d" --source arp 2>/dev/null </dev/null);' +
    ' echo "### domifaddr $d"; printf \'%s\\n\' "$a"; done',
  'echo "### net-list"; $V net-list --all 2>&1',
  '$V net-list --all --name 2>/dev/null | while IFS= read -r n; do [ -n "$n" ] || continue;' +
    ' echo "### net-dumpxml $n"; $V net-dumpxml "$n" 2>&1 </dev/null; done',
  "true",
].join("; ");

const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

function isError(line: string): boolean {
  return /^error:/.test(line.trim());
}

function rows(body: string, errors: string[]): string[][] {
  const out: string[][] = [];
  for (const line of body.split("\n")) {
    if (line.trim() === "") continue;
    if (isError(line)) {
      errors.push(line.trim());
      continue;
    }
    out.push(line.trim().split(/\s+/));
  }
  return out;
}

function attr(xml: string, element: string, name: string): string | undefined {
  const el = new RegExp(`<${element}\\b[^>]*>`).exec(xml)?.[0];
  if (!el) return undefined;
  return new RegExp(`\\b${name}=['"]([^'"]*)['"]`).exec(el)?.[1];
}

function maskToPrefix(mask: string): number | undefined {
  const parts = mask.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) return undefined;
  const bits = parts.map((p) => p.toString(2).padStart(8, "0")).join("");
  if (!/^1*0*$/.test(bits)) return undefined; // not a contiguous mask
  return bits.replace(/0+$/, "").length;
}

function network(xml: string, base: VirshNetwork): VirshNetwork {
  if (!/<\/network>/.test(xml))
    throw new ParseError(ID, `${ID}: net-dumpxml ${base.name} is cut (no </network>)`);
  const net = { ...base };
  const bridge = attr(xml, "bridge", "name");
  if (bridge !== undefined) net.bridge = bridge;
  if (/<forward\b/.test(xml)) net.forwardMode = attr(xml, "forward", "mode") ?? "nat";
  const address = attr(xml, "ip", "address");
  if (address !== undefined) {
    net.address = address;
    const prefix = attr(xml, "ip", "prefix");
    const netmask = attr(xml, "ip", "netmask");
    const p =
      prefix !== undefined ? Number(prefix) : netmask !== undefined ? maskToPrefix(netmask) : undefined;
    if (p !== undefined && Number.isInteger(p)) net.prefix = p;
  }
  const start = attr(xml, "range", "start");
  const end = attr(xml, "range", "end");
  if (start !== undefined && end !== undefined) net.dhcpRange = { start, end };
  return net;
}

export function parseVirsh(stdout: string): VirshFacts {
  const facts: VirshFacts = { domains: [], networks: [] };
  const errors: string[] = [];
  const parts = sections(stdout);
  if (!parts.some((p) => p.name === "list")) throw new ParseError(ID, `${ID}: no domain list section`);
  if (!parts.some((p) => p.name === "net-list"))
    throw new ParseError(ID, `${ID}: no network list (truncated?)`);
  const domains = new Map<string, VirshDomain>();
  const networks = new Map<string, VirshNetwork>();
  for (const { name, body } of parts) {
    const [kind, ...args] = name.split(" ");
    const arg = args.join(" ");
    if (kind === "list") {
      // " 1    vm1    running" / " -    vm2    shut off"
      for (const cols of rows(body, errors)) {
        if (cols.length < 3) throw new ParseError(ID, `${ID}: bad list row "${cols.join(" ")}"`);
        domains.set(cols[1]!, {
          name: cols[1]!,
          state: cols.slice(2).join(" "),
          interfaces: [],
          addresses: [],
        });
      }
    } else if (kind === "domiflist") {
      const dom = domains.get(arg);
      for (const cols of rows(body, errors)) {
        // Interface Type Source Model MAC
        if (cols.length !== 5 || !MAC.test(cols[4]!)) {
          throw new ParseError(ID, `${ID}: bad domiflist row "${cols.join(" ").slice(0, 60)}"`);
        }
        const iface: VirshInterface = {
          target: cols[0]!,
          type: cols[1]!,
          source: cols[2]!,
          mac: cols[4]!.toLowerCase(),
        };
        if (cols[3] !== "-") iface.model = cols[3]!;
        dom?.interfaces.push(iface);
      }
    } else if (kind === "getlink") {
      const ifname = args[args.length - 1];
      const domName = args.slice(0, -1).join(" ");
      const cols = rows(body, errors)[0];
      const state = cols?.[cols.length - 1];
      const iface = domains
        .get(domName)
        ?.interfaces.find((i) => i.target === ifname || i.mac === ifname?.toLowerCase());
      if (iface && (state === "up" || state === "down")) iface.link = state;
    } else if (kind === "domifaddr") {
      const dom = domains.get(arg);
      let last: { target: string; mac: string } | undefined;
      for (const cols of rows(body, errors)) {
        // Name MAC Protocol Address; continuation rows print "-" for name and MAC.
        if (cols.length !== 4)
          throw new ParseError(ID, `${ID}: bad domifaddr row "${cols.join(" ").slice(0, 60)}"`);
        const target = cols[0] === "-" && last ? last.target : cols[0]!;
        const mac = cols[1] === "-" && last ? last.mac : cols[1]!.toLowerCase();
        last = { target, mac };
        if (cols[2] !== "ipv4") continue;
        const [address, prefix] = cols[3]!.split("/");
        dom?.addresses.push({ target, mac, address: address!, prefix: Number(prefix ?? 32) });
      }
    } else if (kind === "net-list") {
      // Name State Autostart Persistent
      for (const cols of rows(body, errors)) {
        if (cols.length < 3) throw new ParseError(ID, `${ID}: bad net-list row "${cols.join(" ")}"`);
        networks.set(cols[0]!, {
          name: cols[0]!,
          active: cols[1] === "active",
          autostart: cols[2] === "yes",
        });
      }
    } else if (kind === "net-dumpxml") {
      const base = networks.get(arg) ?? { name: arg, active: false, autostart: false };
      if (isError(body)) errors.push(body.trim());
      else networks.set(arg, network(body, base));
    } else {
      throw new ParseError(ID, `${ID}: unknown section "${name.slice(0, 40)}"`);
    }
  }
  facts.domains = [...domains.values()];
  facts.networks = [...networks.values()];
  if (errors.length > 0) facts.errors = errors;
  return facts;
}

export const virsh: Probe<VirshFacts> = {
  id: ID,
  command: () => VIRSH_SCRIPT,
  timeoutMs: 30_000,
  root: false,
  tool: "virsh",
  parse: (stdout) => parseVirsh(stdout),
};
