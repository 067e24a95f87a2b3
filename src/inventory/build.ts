import { homedir } from "node:os";
import { dirname, isAbsolute, resolve as resolvePath } from "node:path";
import { EmptyGroupError, EmptyInventoryError, InventoryError, UnknownHostError } from "./errors.js";
import { type JumpSpec, parseJump, parsePort } from "./jump.js";
import { closestNames } from "./suggest.js";
import type { Inventory, InventoryHost, JumpHost, RawInventory, SourcedValue } from "./types.js";

const HOST_RE = /^[A-Za-z0-9_.:%-]{1,253}$/;
const USER_RE = /^[A-Za-z0-9_.][A-Za-z0-9_.@-]{0,63}$/;

/** Merges group and host variables (Ansible precedence) and checks every host's connection settings. */
export function buildInventory(raw: RawInventory, file: string): Inventory {
  const depth = groupDepths(raw, file);
  const groupsOf = hostGroups(raw);
  const merged = new Map<string, Map<string, SourcedValue>>();
  for (const host of raw.hostVars.keys()) {
    const groups = [...(groupsOf.get(host) ?? new Set(["all"]))].sort(
      (a, b) => (depth.get(a) ?? 0) - (depth.get(b) ?? 0) || a.localeCompare(b),
    );
    const vars = new Map<string, SourcedValue>();
    for (const g of groups) for (const [k, v] of raw.groups.get(g)?.vars ?? []) vars.set(k, v);
    for (const [k, v] of raw.hostVars.get(host) ?? []) vars.set(k, v);
    merged.set(host, vars);
  }

  const base = dirname(resolvePath(file));
  const hosts = new Map<string, InventoryHost>();
  for (const [name, vars] of merged) {
    hosts.set(name, connectionSettings(name, vars, raw.hostLines.get(name), file, base, groupsOf));
  }
  for (const host of hosts.values()) {
    const args = [
      vars(merged, host.name, "ansible_ssh_common_args"),
      vars(merged, host.name, "ansible_ssh_extra_args"),
    ];
    for (const a of args) {
      if (!a) continue;
      if (typeof a.value !== "string") {
        throw new InventoryError(file, `${host.name}: ssh args must be a string`, a.line);
      }
      let spec: JumpSpec | undefined;
      try {
        spec = parseJump(a.value);
      } catch (e) {
        throw new InventoryError(file, `${host.name}: ${(e as Error).message}`, a.line);
      }
      // A group-wide `-J bastion` also reaches the bastion itself: like ssh, it then connects directly.
      if (spec && spec.host !== host.name) host.jump = jumpHost(spec, hosts, base);
    }
  }
  return new LoadedInventory(file, hosts, raw, groupsOf);
}

function vars(
  merged: Map<string, Map<string, SourcedValue>>,
  host: string,
  key: string,
): SourcedValue | undefined {
  return merged.get(host)?.get(key);
}

/** A jump host that is itself an inventory host takes that host's address, port, user and key. */
function jumpHost(spec: JumpSpec, hosts: Map<string, InventoryHost>, base: string): JumpHost {
  const known = hosts.get(spec.host);
  const jump: JumpHost = known
    ? { name: known.name, address: known.address, port: known.port }
    : { address: spec.host, port: 22 };
  const user = spec.user ?? known?.user;
  if (user !== undefined) jump.user = user;
  if (spec.port !== undefined) jump.port = spec.port;
  const keyFile = spec.keyFile !== undefined ? keyPath(spec.keyFile, base) : known?.keyFile;
  if (keyFile !== undefined) jump.keyFile = keyFile;
  return jump;
}

function connectionSettings(
  name: string,
  vars: Map<string, SourcedValue>,
  hostLine: number | undefined,
  file: string,
  base: string,
  groupsOf: Map<string, Set<string>>,
): InventoryHost {
  const pick = (...keys: string[]) =>
    keys.map((k) => [k, vars.get(k)] as const).find(([, v]) => v !== undefined);
  const fail = (problem: string, at?: SourcedValue) =>
    new InventoryError(file, `${name}: ${problem}`, at?.line ?? hostLine);

  if (!HOST_RE.test(name)) throw fail(`"${name}" is not a valid host name`);
  const conn = pick("ansible_connection");
  let kind: InventoryHost["kind"] = name === "localhost" ? "local" : "ssh";
  if (conn) {
    const c = String(conn[1]!.value);
    if (c === "local") kind = "local";
    else if (!["ssh", "paramiko", "smart"].includes(c)) {
      throw fail(`ansible_connection '${c}' is not supported (only ssh and local)`, conn[1]);
    }
  }

  let address = name;
  const hostVar = pick("ansible_host", "ansible_ssh_host");
  if (hostVar) {
    const v = hostVar[1]!.value;
    if (typeof v !== "string" || !HOST_RE.test(v)) {
      throw fail(`${hostVar[0]} '${String(v)}' is not a host name or address`, hostVar[1]);
    }
    address = v;
  }

  let port = 22;
  const portVar = pick("ansible_port", "ansible_ssh_port");
  if (portVar) {
    const v = portVar[1]!.value;
    const text = typeof v === "number" ? String(v) : typeof v === "string" ? v.trim() : "";
    if (!/^\d+$/.test(text)) throw fail(`${portVar[0]} '${String(v)}' is not a number`, portVar[1]);
    try {
      port = parsePort(text, portVar[0]);
    } catch (e) {
      throw fail((e as Error).message, portVar[1]);
    }
  }

  const host: InventoryHost = {
    name,
    kind,
    address,
    port,
    groups: [...(groupsOf.get(name) ?? new Set(["all"]))].sort(),
    vars: Object.fromEntries([...vars].map(([k, v]) => [k, v.value])),
  };

  const userVar = pick("ansible_user", "ansible_ssh_user");
  if (userVar) {
    const v = userVar[1]!.value;
    if (typeof v !== "string" || !USER_RE.test(v)) {
      throw fail(`${userVar[0]} '${String(v)}' is not a valid user name`, userVar[1]);
    }
    host.user = v;
  }

  const keyVar = pick("ansible_ssh_private_key_file", "ansible_private_key_file");
  if (keyVar) {
    const v = keyVar[1]!.value;
    if (typeof v !== "string" || v.trim() === "") {
      throw fail(`${keyVar[0]} must be a file path`, keyVar[1]);
    }
    host.keyFile = keyPath(v.trim(), base);
  }
  return host;
}

/** `~/x` is the home directory; a relative path is taken from the inventory file's directory. */
function keyPath(path: string, base: string): string {
  if (path === "~" || path.startsWith("~/")) return resolvePath(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolvePath(base, path);
}

/** Longest path from `all`: deeper (more specific) groups' vars win, as in Ansible. */
function groupDepths(raw: RawInventory, file: string): Map<string, number> {
  const depth = new Map<string, number>();
  const walk = (name: string, d: number, path: string[]): void => {
    if (path.includes(name)) {
      throw new InventoryError(
        file,
        `groups form a cycle: ${[...path, name].join(" -> ")}`,
        raw.groups.get(name)?.line,
      );
    }
    if ((depth.get(name) ?? -1) >= d && d > 0) return;
    depth.set(name, Math.max(d, depth.get(name) ?? 0));
    for (const child of raw.groups.get(name)?.children ?? []) walk(child, d + 1, [...path, name]);
  };
  walk("all", 0, []);
  for (const name of raw.groups.keys()) if (!depth.has(name)) walk(name, 1, []);
  return depth;
}

/** host → every group it is in, through children too. */
function hostGroups(raw: RawInventory): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const group of raw.groups.keys()) {
    for (const host of hostsOfGroup(raw, group)) add(host, group);
  }
  for (const host of raw.hostVars.keys()) add(host, "all");
  return out;

  function add(host: string, group: string): void {
    const s = out.get(host) ?? new Set<string>();
    s.add(group);
    out.set(host, s);
  }
}

function hostsOfGroup(raw: RawInventory, group: string, seen = new Set<string>()): Set<string> {
  const hosts = new Set<string>();
  if (seen.has(group)) return hosts;
  seen.add(group);
  const g = raw.groups.get(group);
  if (!g) return hosts;
  if (group === "all") for (const h of raw.hostVars.keys()) hosts.add(h);
  for (const h of g.hosts) hosts.add(h);
  for (const c of g.children) for (const h of hostsOfGroup(raw, c, seen)) hosts.add(h);
  return hosts;
}

class LoadedInventory implements Inventory {
  constructor(
    readonly file: string,
    private readonly hosts: Map<string, InventoryHost>,
    private readonly raw: RawInventory,
    private readonly groupsOf: Map<string, Set<string>>,
  ) {}

  hostNames(): string[] {
    return [...this.hosts.keys()].sort();
  }

  groupNames(): string[] {
    return [...this.raw.groups.keys()].sort();
  }

  resolve(nameOrGroup: string): InventoryHost[] {
    const wanted = nameOrGroup.trim();
    if (wanted === "localhost") return [this.hosts.get("localhost") ?? localhost()];
    const host = this.hosts.get(wanted);
    if (host) return [host];
    if (this.raw.groups.has(wanted)) {
      const members = [...hostsOfGroup(this.raw, wanted)]
        .sort()
        .map((h) => this.hosts.get(h))
        .filter((h): h is InventoryHost => h !== undefined);
      if (members.length === 0) throw new EmptyGroupError(wanted, this.file);
      return members;
    }
    if (this.hosts.size === 0) throw new EmptyInventoryError(wanted, this.file);
    // Hosts first: "kvm1" more likely meant kvm01 than the group kvm.
    const hosts = closestNames(wanted, this.hosts.keys());
    const groups = closestNames(wanted, this.raw.groups.keys()).filter((g) => !hosts.includes(g));
    throw new UnknownHostError(wanted, [...hosts, ...groups].slice(0, 3));
  }

  /** Kept for debugging: which groups a host is in. */
  groupsOfHost(name: string): string[] {
    return [...(this.groupsOf.get(name) ?? [])].sort();
  }
}

function localhost(): InventoryHost {
  return { name: "localhost", kind: "local", address: "localhost", port: 22, groups: ["all"], vars: {} };
}
