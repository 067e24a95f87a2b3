import { spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allocateSubnets, type Subnet } from "./alloc.js";
import {
  cleanupPrefix,
  cleanupPrefixSync,
  LAB_DIR_BASE,
  namespacesOfPrefix,
  removeLabDir,
  rootLinksOfPrefix,
  trackLab,
  untrackLab,
} from "./cleanup.js";
import { startDnsmasq } from "./dhcp.js";
import { type CmdResult, inNs, run } from "./exec.js";
import { faults } from "./faults/index.js";
import { type InventoryHost, inventoryYaml, knownHostsLine, writeText } from "./files.js";
import { checkPrefix, type Extra, NET, NS_SUFFIXES, type NsKey, namespacesOf } from "./plan.js";
import { keygen, Sshd } from "./sshd.js";
import { readState, writeState } from "./state.js";
import {
  addNamespaces,
  buildCore,
  buildMacvtap,
  buildRouted,
  buildSecondBridge,
  FAR_INDEX,
  ipBatch,
  settle,
  type TopologyContext,
} from "./topology.js";
import { ensureNonRootUser, NON_ROOT_USER } from "./user.js";

export interface LabOptions {
  /** Namespaces and root-side links start with it: ^[a-z][a-z0-9]{0,9}$. Default "hm". */
  prefix?: string;
  /** Inventory name of the host. Default `${prefix}kvm01`. */
  hostName?: string;
  /** Optional topology parts, off by default (faults turn on what they need). */
  extras?: Partial<Record<Extra, boolean>>;
  /** A jump host `${prefix}jump` with its own sshd; `${prefix}host` is reachable from it. */
  bastion?: boolean;
  /** Also create the non-root login `medic-lab` (key authorized, sudo wants a password). */
  sshUsers?: boolean;
}

export interface SshEndpoint {
  namespace: string;
  address: string;
  port: number;
  user: string;
  keyFile: string;
}

export type LabNamespaces = Record<NsKey, string>;

export interface Lab {
  readonly prefix: string;
  readonly dir: string;
  readonly hostName: string;
  /** Management address of the host's sshd (reachable from the root namespace). */
  readonly address: string;
  readonly port: number;
  readonly user: string;
  readonly keyFile: string;
  readonly knownHostsFile: string;
  readonly inventoryFile: string;
  readonly namespaces: LabNamespaces;
  readonly nonRootUser: { name: string; keyFile: string } | null;
  readonly bastion: SshEndpoint | null;
  readonly sshd: { stop(): Promise<void>; start(): Promise<void> };
  /** Runs argv in a namespace of the lab (a key such as "host", or the full namespace name). */
  exec(ns: NsKey | string, argv: readonly string[]): Promise<CmdResult>;
  /** New host key, sshd restarted; known_hosts keeps the old key (the "changed host key" case). */
  rotateHostKey(): Promise<void>;
  /** Injects a cause of the catalog by id (see faults/index.ts). */
  fault(id: string): Promise<void>;
  /** Adds an optional topology part to the running lab; no-op when it is there. */
  enable(extra: Extra): Promise<void>;
  readonly enabled: ReadonlySet<Extra>;
  /** Starts a long-running process in a namespace (user traffic, a DHCP client); ended by down(). */
  background(ns: NsKey | string, argv: readonly string[]): void;
  /** Leaves the lab running when this process exits (the CLI's `lab up`). */
  detach(): void;
  down(): Promise<void>;
}

class RunningLab implements Lab {
  readonly port = 22;
  readonly user = "root";
  readonly enabled = new Set<Extra>();
  readonly namespaces: LabNamespaces;
  readonly keyFile: string;
  readonly knownHostsFile: string;
  readonly inventoryFile: string;
  nonRootUser: { name: string; keyFile: string } | null = null;
  bastion: SshEndpoint | null = null;
  readonly sshd: { stop(): Promise<void>; start(): Promise<void> };
  private down_ = false;
  private ownerPid = process.pid;
  private readonly hostSshd: Sshd;

  constructor(
    readonly prefix: string,
    readonly dir: string,
    readonly hostName: string,
    private readonly mgmt: Subnet,
  ) {
    this.namespaces = namespacesOf(prefix);
    this.keyFile = join(dir, "id_ed25519");
    this.knownHostsFile = join(dir, "known_hosts");
    this.inventoryFile = join(dir, "inventory.yml");
    this.hostSshd = new Sshd({
      ns: this.namespaces.host,
      dir: join(dir, "sshd-host"),
      keysDir: join(dir, "authorized"),
      address: mgmt.peer,
      port: this.port,
    });
    this.sshd = { stop: () => this.hostSshd.stop(), start: () => this.hostSshd.start() };
  }

  get address(): string {
    return this.mgmt.peer;
  }

  get ctx(): TopologyContext {
    return { prefix: this.prefix, mgmt: this.mgmt };
  }

  resolveNs(ns: NsKey | string): string {
    if ((NS_SUFFIXES as readonly string[]).includes(ns)) return this.namespaces[ns as NsKey];
    if (Object.values(this.namespaces).includes(ns)) return ns;
    throw new Error(`not a namespace of lab ${this.prefix}: ${ns}`);
  }

  exec(ns: NsKey | string, argv: readonly string[]): Promise<CmdResult> {
    return run(inNs(this.resolveNs(ns), argv));
  }

  background(ns: NsKey | string, argv: readonly string[]): void {
    // Detached and in a lab namespace: cleanup finds it with `ip netns pids` and ends it.
    const child = spawn("ip", inNs(this.resolveNs(ns), argv).slice(1), { detached: true, stdio: "ignore" });
    child.on("error", () => {});
    child.unref();
  }

  async rotateHostKey(): Promise<void> {
    await this.hostSshd.rotateHostKey();
  }

  async fault(id: string): Promise<void> {
    const fault = faults.get(id);
    if (!fault) throw new Error(`unknown fault "${id}" (see \`hostmedic lab faults\`)`);
    await fault.inject(this);
  }

  async enable(extra: Extra): Promise<void> {
    if (this.enabled.has(extra)) return;
    switch (extra) {
      case "bridgedUplink":
        break; // part of the core topology
      case "macvtap":
        await buildMacvtap(this.ctx);
        break;
      case "routed":
        await buildRouted(this.ctx);
        break;
      case "secondBridge":
        await buildSecondBridge(this.ctx);
        break;
      case "dhcp":
        await startDnsmasq(this.namespaces.host, this.dir);
        break;
    }
    this.enabled.add(extra);
    await settle(this.namespaces.host);
    await this.saveState();
  }

  /** An attached lab keeps the pid of the process that built it in its state. */
  keepPid(pid: number): void {
    this.ownerPid = pid;
  }

  detach(): void {
    untrackLab(this.prefix);
  }

  async down(): Promise<void> {
    if (this.down_) return;
    this.down_ = true;
    await cleanupPrefix(this.prefix);
    untrackLab(this.prefix);
  }

  async saveState(): Promise<void> {
    await writeState({
      prefix: this.prefix,
      dir: this.dir,
      hostName: this.hostName,
      address: this.address,
      port: this.port,
      keyFile: this.keyFile,
      knownHostsFile: this.knownHostsFile,
      inventoryFile: this.inventoryFile,
      extras: [...this.enabled],
      bastion: this.bastion !== null,
      ...(this.bastion ? { bastionAddress: this.bastion.address } : {}),
      sshUsers: this.nonRootUser !== null,
      pid: this.ownerPid,
      startedAt: new Date().toISOString(),
    });
  }

  /** Builds everything; the caller cleans up on failure. */
  async build(options: LabOptions, jump: Subnet | null): Promise<void> {
    const authorized = join(this.dir, "authorized");
    await mkdir(authorized, { recursive: true, mode: 0o755 });
    await mkdir(join(this.dir, "sshd-host"), { mode: 0o755 });
    const jumpSshd = jump
      ? new Sshd({
          ns: this.namespaces.jump,
          dir: join(this.dir, "sshd-jump"),
          keysDir: authorized,
          address: jump.peer,
          port: 22,
        })
      : null;
    if (jumpSshd) await mkdir(jumpSshd.spec.dir, { mode: 0o755 });
    const userKeyFile = join(this.dir, `id_ed25519_${NON_ROOT_USER}`);
    const [clientKey, hostKey, jumpKey, userKey] = await Promise.all([
      keygen(this.keyFile, `hostmedic-lab-${this.prefix}`),
      this.hostSshd.prepare(),
      jumpSshd ? jumpSshd.prepare() : Promise.resolve(null),
      options.sshUsers
        ? keygen(userKeyFile, `hostmedic-lab-${this.prefix}-${NON_ROOT_USER}`)
        : Promise.resolve(null),
      options.sshUsers ? ensureNonRootUser() : Promise.resolve(),
      buildCore(this.ctx),
    ]);
    await writeText(join(authorized, "root.keys"), `${clientKey}\n`);
    if (userKey) {
      await writeText(join(authorized, `${NON_ROOT_USER}.keys`), `${userKey}\n`);
      this.nonRootUser = { name: NON_ROOT_USER, keyFile: userKeyFile };
    }
    if (jump && jumpSshd) await this.buildBastion(jump);
    await Promise.all([this.hostSshd.start(), jumpSshd?.start()]);
    if (jump && jumpSshd) {
      this.bastion = {
        namespace: this.namespaces.jump,
        address: jump.peer,
        port: 22,
        user: "root",
        keyFile: this.keyFile,
      };
    }

    const known = [knownHostsLine(this.address, this.port, hostKey)];
    if (jump && jumpKey) known.push(knownHostsLine(jump.peer, 22, jumpKey));
    await writeText(this.knownHostsFile, `${known.join("\n")}\n`);
    const hosts: InventoryHost[] = [
      {
        name: this.hostName,
        group: "kvm",
        address: this.address,
        port: this.port,
        user: "root",
        keyFile: this.keyFile,
      },
    ];
    if (this.nonRootUser) {
      hosts.push({
        ...hosts[0]!,
        name: `${this.hostName}u`,
        group: "kvm_nonroot",
        user: NON_ROOT_USER,
        keyFile: userKeyFile,
      });
    }
    if (this.bastion) {
      hosts.push({
        ...hosts[0]!,
        name: `${this.hostName}j`,
        group: "kvm_via_jump",
        // ProxyCommand rather than ProxyJump: ssh does not pass -i or UserKnownHostsFile on to the
        // jump connection, and the bastion is no inventory host whose settings could be looked up.
        sshCommonArgs:
          `-o ProxyCommand="ssh -i ${this.keyFile} -o UserKnownHostsFile=${this.knownHostsFile} ` +
          `-o StrictHostKeyChecking=yes -W %h:%p root@${this.bastion.address}"`,
      });
    }
    await writeText(this.inventoryFile, inventoryYaml(hosts));

    for (const [extra, on] of Object.entries(options.extras ?? {})) {
      if (on) await this.enable(extra as Extra);
    }
    await settle(this.namespaces.host);
    await this.saveState();
  }

  private async buildBastion(jump: Subnet): Promise<void> {
    const { host, jump: jumpNs } = this.namespaces;
    await addNamespaces(this.ctx, ["jump"]);
    await ipBatch([
      `link add mgmt0 netns ${jumpNs} index ${FAR_INDEX + 1} type veth peer name ${this.prefix}j0`,
      `addr add ${jump.root}/${jump.prefixLen} dev ${this.prefix}j0`,
      `link set ${this.prefix}j0 up`,
      `link add hostlink netns ${jumpNs} index ${FAR_INDEX} type veth peer name jump0 netns ${host}`,
    ]);
    const link = NET.jumpLink;
    await Promise.all([
      ipBatch(
        [
          "link set lo up",
          `addr add ${jump.peer}/${jump.prefixLen} dev mgmt0`,
          "link set mgmt0 up",
          `addr add ${link.jump}/${link.prefixLen} dev hostlink`,
          "link set hostlink up",
          `route add ${this.address}/32 via ${link.host}`,
        ],
        jumpNs,
      ),
      ipBatch([`addr add ${link.host}/${link.prefixLen} dev jump0`, "link set jump0 up"], host),
    ]);
  }
}

/** Builds a lab (see common.md for the topology) and returns it running; `down()` removes it all. */
export async function labUp(options: LabOptions = {}): Promise<Lab> {
  const prefix = checkPrefix(options.prefix ?? "hm");
  if (namespacesOfPrefix(prefix).length > 0 || rootLinksOfPrefix(prefix).length > 0) {
    throw new Error(
      `a lab with prefix "${prefix}" is already up (or left over): run \`hostmedic lab down --prefix ${prefix}\``,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), `${LAB_DIR_BASE}${prefix}-`));
  // sshd reads a non-root user's authorized keys with that user's rights.
  await chmod(dir, 0o755);
  trackLab(prefix);
  let lab: RunningLab | null = null;
  try {
    const hostName = options.hostName ?? `${prefix}kvm01`;
    const subnets = await allocateSubnets(prefix, options.bastion ? 2 : 1, async () => {
      // Written inside the allocation lock: from now on cleanup and other labs know this one.
      await new RunningLab(prefix, dir, hostName, placeholder).saveState();
    });
    lab = new RunningLab(prefix, dir, hostName, subnets[0]!);
    await lab.build(options, subnets[1] ?? null);
    return lab;
  } catch (error) {
    cleanupPrefixSync(prefix);
    removeLabDir(dir);
    untrackLab(prefix);
    throw error;
  }
}

/** Management /30 whose lab-side address is `peer` (the root side is the address before it). */
function subnetOfPeer(peer: string): Subnet {
  const parts = peer.split(".").map(Number);
  const last = parts[3] ?? 2;
  const base = parts.slice(0, 3).join(".");
  return { network: `${base}.${last - 2}`, root: `${base}.${last - 1}`, peer, prefixLen: 30 };
}

/**
 * The lab another process started (e.g. `hostmedic lab up`), found through its state file, so that
 * `lab fault` and `lab down` work from a new process. Null when no lab of that prefix is up.
 */
export function attachLab(prefix: string): Lab | null {
  checkPrefix(prefix);
  const state = readState(prefix);
  if (!state || namespacesOfPrefix(prefix).length === 0) return null;
  const lab = new RunningLab(prefix, state.dir, state.hostName, subnetOfPeer(state.address));
  for (const extra of state.extras) lab.enabled.add(extra as Extra);
  if (state.sshUsers) {
    lab.nonRootUser = { name: NON_ROOT_USER, keyFile: join(state.dir, `id_ed25519_${NON_ROOT_USER}`) };
  }
  if (state.bastion && state.bastionAddress) {
    lab.bastion = {
      namespace: lab.namespaces.jump,
      address: state.bastionAddress,
      port: 22,
      user: "root",
      keyFile: lab.keyFile,
    };
  }
  lab.keepPid(state.pid);
  return lab;
}

const placeholder: Subnet = { network: "0.0.0.0", root: "0.0.0.0", peer: "0.0.0.0", prefixLen: 30 };
