import type { ServiceFacts } from "../facts/types.js";
import { ParseError, type Probe } from "./types.js";
import { sections } from "./util.js";

const ID = "services";

export const UNITS = [
  "firewalld",
  "ufw",
  "nftables",
  "docker",
  "libvirtd",
  "virtqemud",
  "virtnetworkd",
  "NetworkManager",
  "ovs-vswitchd",
] as const;

// Markers avoid the word "qemu": `pgrep -f` would otherwise match this very script's command line.
const SCRIPT = [
  `echo "### units"; command -v systemctl >/dev/null 2>&1 && systemctl is-active ${UNITS.join(" ")}`,
  'echo "### dnsmasq"; pgrep -a dnsmasq',
  'echo "### vmm"; pgrep -af qemu',
  'echo "### ufw"; grep -E "^DEFAULT_FORWARD_POLICY=" /etc/default/ufw 2>/dev/null',
  'echo "### firewalld"; command -v firewall-cmd >/dev/null 2>&1 && firewall-cmd --get-active-zones 2>&1',
  "true",
].join("; ");

const PROCESS = /^(\d+) (.+)$/;

/** A qemu process: its program (first word) is qemu-system-*, qemu-kvm or kvm; not this script's shell. */
function isVmm(command: string): boolean {
  const program = command.split(/\s+/)[0]!.split("/").pop() ?? "";
  return /^(qemu-system-|qemu-kvm$|kvm$)/.test(program);
}

/**
 * firewall-cmd --get-active-zones: a zone name line, then indented `interfaces:`/`sources:` lines.
 * Anything else (polkit's "Authorization failed...", "FirewallD is not running") means no zone
 * facts rather than a broken probe: the zones are one optional part of this probe.
 */
function zones(body: string): ServiceFacts["firewalldZones"] {
  const out: NonNullable<ServiceFacts["firewalldZones"]> = [];
  for (const line of body.split("\n")) {
    if (line.trim() === "") continue;
    const m = /^\s+(interfaces|sources): ?(.*)$/.exec(line);
    const zone = out[out.length - 1];
    if (m && zone) {
      const words = m[2]!.trim().split(/\s+/).filter(Boolean);
      if (m[1] === "interfaces") zone.interfaces.push(...words);
      else zone.sources.push(...words);
    } else if (/^\S+$/.test(line)) {
      out.push({ zone: line, interfaces: [], sources: [] });
    } else {
      return undefined;
    }
  }
  return out;
}

export function parseServices(stdout: string): ServiceFacts {
  const parts = new Map(sections(stdout).map((p) => [p.name, p.body] as const));
  if (!parts.has("firewalld")) throw new ParseError(ID, `${ID}: sections missing (truncated?)`);
  const facts: ServiceFacts = { units: {}, processes: [], listeners: [] };
  const states = (parts.get("units") ?? "").split("\n").filter((l) => l.trim() !== "");
  if (states.length > 0) {
    if (states.length !== UNITS.length || states.some((s) => !/^[a-z-]+$/.test(s.trim()))) {
      throw new ParseError(ID, `${ID}: expected ${UNITS.length} unit states, got ${states.length}`);
    }
    UNITS.forEach((u, i) => {
      facts.units[u] = states[i]!.trim();
    });
  }
  for (const name of ["dnsmasq", "vmm"]) {
    for (const line of (parts.get(name) ?? "").split("\n")) {
      if (line.trim() === "") continue;
      const m = PROCESS.exec(line.trim());
      if (!m) throw new ParseError(ID, `${ID}: unexpected process line "${line.slice(0, 60)}"`);
      const command = m[2]!;
      if (name === "vmm" && !isVmm(command)) continue;
      facts.processes.push({ pid: Number(m[1]), command });
    }
  }
  const ufw = /^DEFAULT_FORWARD_POLICY="?([A-Za-z]+)"?/m.exec(parts.get("ufw") ?? "");
  if (ufw) facts.ufwForwardPolicy = ufw[1]!.toUpperCase();
  const fw = parts.get("firewalld") ?? "";
  const fwZones = fw.trim() === "" ? undefined : zones(fw);
  if (fwZones) facts.firewalldZones = fwZones;
  return facts;
}

export const services: Probe<ServiceFacts> = {
  id: ID,
  command: () => SCRIPT,
  timeoutMs: 15_000,
  root: false,
  tool: "sh",
  parse: (stdout) => parseServices(stdout),
};
