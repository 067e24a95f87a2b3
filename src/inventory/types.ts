/** A bastion the connection goes through first (ProxyJump). */
export interface JumpHost {
  /** The inventory name when the jump host is itself an inventory host. */
  name?: string;
  address: string;
  port: number;
  user?: string;
  keyFile?: string;
}

/** One host of the inventory with its connection settings resolved (group vars, then host vars). */
export interface InventoryHost {
  name: string;
  /** `local` for localhost / ansible_connection=local: probes run without SSH. */
  kind: "ssh" | "local";
  /** ansible_host, else the name. */
  address: string;
  port: number;
  user?: string;
  /** Absolute path (a relative one is taken from the inventory file's directory). */
  keyFile?: string;
  jump?: JumpHost;
  /** Every group the host belongs to, directly or through children, `all` included. */
  groups: string[];
  /** All merged variables, for callers that want more than the connection settings. */
  vars: Record<string, unknown>;
}

export interface Inventory {
  readonly file: string;
  /** Host names, sorted. */
  hostNames(): string[];
  /** Group names, sorted. */
  groupNames(): string[];
  /** A host name gives that host; a group gives its hosts (nested groups included); `localhost` always resolves. */
  resolve(nameOrGroup: string): InventoryHost[];
}

/** One variable with the line it came from, so a bad value can be reported where it is. */
export interface SourcedValue {
  value: unknown;
  line?: number;
}

export type VarMap = Map<string, SourcedValue>;

export interface RawGroup {
  name: string;
  hosts: Set<string>;
  children: Set<string>;
  vars: VarMap;
  line?: number;
}

/** What the YAML and INI readers produce: groups and hosts before any merging. */
export interface RawInventory {
  groups: Map<string, RawGroup>;
  hostVars: Map<string, VarMap>;
  hostLines: Map<string, number>;
}

export function emptyRaw(): RawInventory {
  const raw: RawInventory = { groups: new Map(), hostVars: new Map(), hostLines: new Map() };
  rawGroup(raw, "all");
  return raw;
}

export function rawGroup(raw: RawInventory, name: string, line?: number): RawGroup {
  let g = raw.groups.get(name);
  if (!g) {
    g = { name, hosts: new Set(), children: new Set(), vars: new Map(), line };
    raw.groups.set(name, g);
  }
  return g;
}

export function rawHost(raw: RawInventory, name: string, line?: number): VarMap {
  let v = raw.hostVars.get(name);
  if (!v) {
    v = new Map();
    raw.hostVars.set(name, v);
  }
  if (line !== undefined && !raw.hostLines.has(name)) raw.hostLines.set(name, line);
  return v;
}
