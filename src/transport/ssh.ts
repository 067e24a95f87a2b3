import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import type { Duplex } from "node:stream";
// ssh2 is CommonJS: Node's ESM loader only gives its default export.
import ssh2, { type AuthenticationType, type Client, type ClientChannel, type ConnectConfig } from "ssh2";
import type { InventoryHost, JumpHost } from "../inventory/types.js";
import { BatchParser, type BatchSection, batchScript } from "./batch.js";
import {
  BACKSTOP_MS,
  CommandOutput,
  DEFAULT_MAX_BYTES,
  execResult,
  Limiter,
  wrapCommand,
} from "./exec-common.js";
import {
  blobType,
  checkHostKey,
  fingerprint,
  type HostKeyVerdict,
  type KnownHostEntry,
  knownKeyTypes,
  readKnownHosts,
} from "./known-hosts.js";
import { type AuthPlan, type KeySources, planAuth } from "./ssh-auth.js";
import {
  type BatchItem,
  type ExecOptions,
  type ExecResult,
  type Transport,
  TransportError,
} from "./types.js";

export interface SshOptions extends KeySources {
  knownHostsFile: string;
  /** For the TCP connect, key exchange and login together, per hop. */
  connectTimeoutMs: number;
  /** Overrides the inventory's jump host. */
  jump?: JumpHost;
  /** Exec channels open at once; sshd's MaxSessions is 10 by default. */
  maxSessions?: number;
  /** Login when the inventory names none; default: the local user, as ssh does. */
  defaultUser?: string;
}

export const DEFAULT_MAX_SESSIONS = 6;

/** One hop of the connection: the target, or the bastion before it. */
interface Hop {
  label: string;
  /** Names looked up in known_hosts (address first, then the inventory name). */
  names: string[];
  address: string;
  port: number;
  user: string;
  keys: KeySources;
  sock?: Duplex;
}

/**
 * Opens one SSH connection to the host (through its jump host when it has one), verified against
 * known_hosts; every exec of the returned transport shares it.
 */
export async function connectSsh(host: InventoryHost, opts: SshOptions): Promise<Transport> {
  let entries: KnownHostEntry[];
  try {
    entries = readKnownHosts(opts.knownHostsFile);
  } catch (e) {
    throw new TransportError(
      "error",
      `cannot read known_hosts ${opts.knownHostsFile}: ${(e as Error).message}`,
    );
  }
  const user = host.user ?? opts.defaultUser ?? userInfo().username;
  const keys: KeySources = { ...opts, keyFile: host.keyFile ?? opts.keyFile };
  const jump = opts.jump ?? host.jump;
  let bastion: Client | undefined;
  let sock: Duplex | undefined;
  if (jump) {
    const label = `jump host ${jump.name ?? jump.address}`;
    bastion = await openClient(
      {
        label,
        names: uniq([jump.address, jump.name]),
        address: jump.address,
        port: jump.port,
        user: jump.user ?? user,
        // Like the target unless the jump host has its own key: one operator key usually opens both.
        keys: { ...opts, keyFile: jump.keyFile ?? host.keyFile ?? opts.keyFile },
      },
      entries,
      opts,
    );
    try {
      sock = await forwardOut(bastion, label, host.address, host.port, opts.connectTimeoutMs);
    } catch (e) {
      bastion.end();
      throw e;
    }
  }
  try {
    const hop: Hop = {
      label: host.name,
      names: uniq([host.address, host.name]),
      address: host.address,
      port: host.port,
      user,
      keys,
    };
    if (sock) hop.sock = sock;
    const client = await openClient(hop, entries, opts);
    return new SshTransport(host.name, client, bastion, user, opts.maxSessions ?? DEFAULT_MAX_SESSIONS);
  } catch (e) {
    bastion?.end();
    throw e;
  }
}

function uniq(names: Array<string | undefined>): string[] {
  return [...new Set(names.filter((n): n is string => !!n))];
}

/** Host key algorithms the known_hosts file can vouch for go first, so the server shows one of those. */
function hostKeyAlgorithms(known: string[]): string[] {
  const all = [
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "rsa-sha2-512",
    "rsa-sha2-256",
    "ssh-rsa",
  ];
  const preferred = known.flatMap((t) =>
    t === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [t],
  );
  return uniq([...preferred.filter((a) => all.includes(a) || a === "ssh-dss"), ...all]);
}

function openClient(hop: Hop, entries: KnownHostEntry[], opts: SshOptions): Promise<Client> {
  const plan = planAuth(hop.user, hop.keys);
  let verdict: HostKeyVerdict | undefined;
  let offered: Buffer | undefined;
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let settled = false;
    const fail = (err: TransportError) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(err);
    };
    client.on("error", (err: Error & { level?: string; code?: string }) => {
      // An unusable agent is not fatal: ssh2 goes on with the next key.
      if (err.level === "agent") return;
      fail(connectError(err, hop, verdict, offered, plan, opts));
    });
    client.on("close", () =>
      fail(new TransportError("unreachable", `${hop.label}: connection closed before login`)),
    );
    client.once("ready", () => {
      settled = true;
      resolve(client);
    });
    const config: ConnectConfig = {
      host: hop.address,
      port: hop.port,
      username: hop.user,
      readyTimeout: opts.connectTimeoutMs,
      keepaliveInterval: 5_000,
      keepaliveCountMax: 3,
      authHandler: plan.methods as unknown as AuthenticationType[],
      hostVerifier: (key: Buffer) => {
        offered = key;
        verdict = checkHostKey(entries, hop.names, hop.port, key);
        return verdict === "match";
      },
      algorithms: {
        serverHostKey: hostKeyAlgorithms(knownKeyTypes(entries, hop.names, hop.port)) as never,
      },
    };
    if (hop.sock) config.sock = hop.sock as ConnectConfig["sock"];
    try {
      client.connect(config);
    } catch (e) {
      fail(new TransportError("error", `${hop.label}: ${(e as Error).message}`));
    }
  });
}

const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ENETDOWN",
  "ECONNRESET",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

function connectError(
  err: Error & { level?: string; code?: string },
  hop: Hop,
  verdict: HostKeyVerdict | undefined,
  offered: Buffer | undefined,
  plan: AuthPlan,
  opts: SshOptions,
): TransportError {
  const where = `${hop.label} (${hop.address}:${hop.port})`;
  if (offered && verdict && verdict !== "match") {
    const shown = `${blobType(offered) ?? "key"} ${fingerprint(offered)}`;
    const scan = `ssh-keyscan -p ${hop.port} ${hop.address} >> ${opts.knownHostsFile}`;
    if (verdict === "unknown") {
      return new TransportError(
        "host_key_unknown",
        `host key of ${where} is not in ${opts.knownHostsFile}${existsSync(opts.knownHostsFile) ? "" : " (that file does not exist: check MEDIC_KNOWN_HOSTS)"}; the host shows ${shown}`,
        `Verify the fingerprint with the host's administrator (on the host: ssh-keygen -lf ${hostKeyFile(offered)}); when it is ${fingerprint(offered)}, add the key: ${scan}`,
      );
    }
    const what = verdict === "revoked" ? "is marked @revoked in" : "does not match";
    return new TransportError(
      "host_key_changed",
      `host key of ${where} ${what} ${opts.knownHostsFile}; the host shows ${shown}. Refusing to connect: this can be a man-in-the-middle attack or a reinstalled host`,
      `If the change is expected, remove the old key (ssh-keygen -R "${hop.port === 22 ? hop.address : `[${hop.address}]:${hop.port}`}" -f ${opts.knownHostsFile}), verify the new fingerprint and add it: ${scan}`,
    );
  }
  if (err.level === "client-authentication") {
    return new TransportError(
      "auth_failed",
      `${hop.user}@${where} refused the login (tried ${plan.tried.join(", ")})`,
      hop.keys.keyFile && hop.keys.keyFile !== opts.keyFile
        ? `Check that the public key is in ~${hop.user}/.ssh/authorized_keys on ${hop.label}, or change ansible_ssh_private_key_file of ${hop.label} in the inventory (it is used instead of MEDIC_SSH_KEY).`
        : `Check that the public key is in ~${hop.user}/.ssh/authorized_keys on ${hop.label}, or set MEDIC_SSH_KEY.`,
    );
  }
  if (err.level === "client-timeout") {
    return new TransportError(
      "timeout",
      `no SSH login to ${where} within ${opts.connectTimeoutMs} ms`,
      `Check that the host is up and that a firewall does not drop port ${hop.port}.`,
    );
  }
  if (err.code === "ETIMEDOUT") {
    return new TransportError("timeout", `connecting to ${where} timed out`);
  }
  if (
    (err.level === "client-socket" || err.level === "client-dns") &&
    (!err.code || UNREACHABLE_CODES.has(err.code))
  ) {
    return new TransportError(
      "unreachable",
      `cannot reach ${where}: ${err.code ?? err.message}`,
      err.code === "ECONNREFUSED"
        ? "Nothing listens on that port: is sshd running?"
        : "Check the address and the route to the host.",
    );
  }
  return new TransportError("error", `${where}: ${err.message}`);
}

/** Where OpenSSH keeps the public host key of this type, for the administrator to print its fingerprint. */
function hostKeyFile(blob: Buffer): string {
  const type = blobType(blob) ?? "";
  const name = type.startsWith("ecdsa-")
    ? "ecdsa"
    : type === "ssh-rsa"
      ? "rsa"
      : type === "ssh-ed25519"
        ? "ed25519"
        : "*";
  return `/etc/ssh/ssh_host_${name}_key.pub`;
}

function forwardOut(
  bastion: Client,
  label: string,
  address: string,
  port: number,
  timeoutMs: number,
): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new TransportError(
            "timeout",
            `${label} could not open a connection to ${address}:${port} within ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    bastion.forwardOut("127.0.0.1", 0, address, port, (err, stream) => {
      clearTimeout(timer);
      if (!err) return resolve(stream as unknown as Duplex);
      const reason = (err as Error & { reason?: number }).reason;
      reject(
        reason === 1
          ? new TransportError(
              "error",
              `${label} does not allow forwarding to ${address}:${port} (AllowTcpForwarding?)`,
            )
          : new TransportError("unreachable", `${label} cannot reach ${address}:${port}: ${err.message}`),
      );
    });
  });
}

class SshTransport implements Transport {
  readonly kind = "ssh" as const;
  private lostError: TransportError | undefined;
  private readonly pending = new Set<(e: TransportError) => void>();
  private readonly limiter: Limiter;

  constructor(
    readonly host: string,
    private readonly client: Client,
    private readonly bastion: Client | undefined,
    private readonly user: string,
    maxSessions: number,
  ) {
    this.limiter = new Limiter(maxSessions);
    const lost = (why: string) => () => this.lost(why);
    client.on("error", (e: Error) => this.lost(e.message));
    client.on("end", lost("the host ended it"));
    client.on("close", lost("closed"));
    bastion?.on("error", (e: Error) => this.lost(`jump host: ${e.message}`));
    bastion?.on("close", lost("the jump host closed it"));
  }

  private lost(why: string): void {
    if (this.lostError) return;
    this.lostError = new TransportError("unreachable", `connection to ${this.host} lost (${why})`);
    for (const reject of this.pending) reject(this.lostError);
    this.pending.clear();
  }

  exec(command: string, options: ExecOptions): Promise<ExecResult> {
    if (this.lostError) return Promise.reject(this.lostError);
    return this.limiter.run(() => this.run(command, options));
  }

  private run(command: string, options: ExecOptions): Promise<ExecResult> {
    if (this.lostError) return Promise.reject(this.lostError);
    const sudo = options.root === true && this.user !== "root";
    const wrapped = wrapCommand(command, options.timeoutMs, sudo);
    const output = new CommandOutput(options);
    return new Promise<ExecResult>((resolve, reject) => {
      let channel: ClientChannel | undefined;
      let finished = false;
      let backstopFired = false;
      let exitCode: number | null = null;
      let exited = false;

      // Stop reading: ask the remote process to end and close our side; the server-side `timeout`
      // still kills whatever ignores the signal.
      const stop = () => {
        try {
          channel?.signal("TERM");
        } catch {
          // channel already gone
        }
        try {
          channel?.close();
        } catch {
          // channel already gone
        }
      };
      const finish = (error?: Error) => {
        if (finished) return;
        finished = true;
        clearTimeout(backstop);
        this.pending.delete(finish);
        if (error) return reject(error);
        resolve(output.result(exitCode, backstopFired));
      };
      const backstop = setTimeout(() => {
        backstopFired = true;
        stop();
        finish();
      }, options.timeoutMs + BACKSTOP_MS);
      this.pending.add(finish);

      this.client.exec(wrapped, (e, ch) => {
        if (e) {
          finish(this.lostError ?? new Error(`cannot open a session on ${this.host}: ${e.message}`));
          return;
        }
        if (finished) {
          ch.close();
          return;
        }
        channel = ch;
        ch.on("data", (d: Buffer) => {
          if (!output.stdout.push(d)) stop();
        });
        ch.stderr.on("data", (d: Buffer) => {
          if (!output.stderr.push(d)) stop();
        });
        ch.on("exit", (code: number | null) => {
          exited = true;
          exitCode = typeof code === "number" ? code : null;
        });
        ch.on("close", () => finish(this.lostError && !exited ? this.lostError : undefined));
      });
    });
  }

  execBatch(items: BatchItem[], onResult: (index: number, result: ExecResult) => void): Promise<void> {
    if (this.lostError) return Promise.reject(this.lostError);
    if (items.length === 0) return Promise.resolve();
    return this.limiter
      .run(() => this.runBatch(items, onResult))
      .then(async (leftover) => {
        // The driver did not start (no sh, no writable temp dir): one session per command instead.
        await Promise.all(
          leftover.map(async (i) => onResult(i, await this.exec(items[i]!.command, items[i]!.options))),
        );
      });
  }

  /** Resolves with the indexes that must still run one by one (only when the driver never started). */
  private runBatch(
    items: BatchItem[],
    onResult: (index: number, result: ExecResult) => void,
  ): Promise<number[]> {
    if (this.lostError) return Promise.reject(this.lostError);
    const nonce = randomBytes(8).toString("hex");
    const script = batchScript(items, (item) => item.options.root === true && this.user !== "root", nonce);
    return new Promise<number[]>((resolve, reject) => {
      const delivered = new Set<number>();
      const timers: NodeJS.Timeout[] = [];
      let startedAt = performance.now();
      let channel: ClientChannel | undefined;
      let finished = false;
      let driverStderr = "";
      const undelivered = () => items.map((_, i) => i).filter((i) => !delivered.has(i));
      const stop = () => {
        try {
          channel?.signal("TERM");
          channel?.close();
        } catch {
          // channel already gone
        }
      };
      const finish = (error?: Error, leftover: number[] = []) => {
        if (finished) return;
        finished = true;
        for (const t of timers) clearTimeout(t);
        clearTimeout(overall);
        this.pending.delete(finish);
        if (error) reject(error);
        else resolve(leftover);
      };
      const deliver = (i: number, result: ExecResult) => {
        if (finished || delivered.has(i) || !items[i]) return;
        delivered.add(i);
        clearTimeout(timers[i]);
        onResult(i, result);
        if (delivered.size === items.length) finish();
      };
      const giveUp = (why: string, timedOut: boolean) => {
        const elapsed = Math.round(performance.now() - startedAt);
        for (const i of undelivered()) deliver(i, lostResult(why, elapsed, timedOut));
        stop();
        finish();
      };
      const parser = new BatchParser(
        nonce,
        () => {
          startedAt = performance.now();
          items.forEach((item, i) => {
            timers[i] = setTimeout(
              () => deliver(i, lostResult("", Math.round(performance.now() - startedAt), true)),
              item.options.timeoutMs + BACKSTOP_MS,
            );
          });
        },
        (section) => {
          const item = items[section.index];
          if (item) deliver(section.index, batchResult(section, item, performance.now() - startedAt));
        },
      );
      // Until the driver starts, nothing else bounds the wait (a login shell can hang too).
      const longest = Math.max(...items.map((i) => i.options.timeoutMs));
      const overall = setTimeout(() => giveUp("no answer from the host", true), longest + 2 * BACKSTOP_MS);
      this.pending.add(finish);

      this.client.exec("exec sh -s", (e, ch) => {
        if (e) {
          finish(this.lostError ?? undefined, this.lostError ? [] : undelivered());
          return;
        }
        if (finished) {
          ch.close();
          return;
        }
        channel = ch;
        ch.on("data", (d: Buffer) => {
          try {
            parser.push(d);
          } catch (err) {
            giveUp((err as Error).message, false);
          }
        });
        ch.stderr.on("data", (d: Buffer) => {
          if (driverStderr.length < 4096) driverStderr += d.toString("utf8");
        });
        ch.on("close", () => {
          if (this.lostError) return finish(this.lostError);
          if (!parser.hasStarted) return finish(undefined, undelivered());
          giveUp(
            `the batch ended before this command reported${driverStderr ? `: ${driverStderr.trim()}` : ""}`,
            false,
          );
        });
        ch.end(script);
      });
    });
  }

  close(): Promise<void> {
    if (this.lostError) {
      this.bastion?.end();
      return Promise.resolve();
    }
    const ends = [this.client, this.bastion].filter((c): c is Client => c !== undefined);
    return Promise.all(
      ends.map(
        (c) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 2_000);
            c.once("close", () => {
              clearTimeout(timer);
              resolve();
            });
            c.end();
          }),
      ),
    ).then(() => undefined);
  }
}

/** One command's result from the batch driver. */
function batchResult(section: BatchSection, item: BatchItem, elapsedMs: number): ExecResult {
  const max = item.options.maxBytes ?? DEFAULT_MAX_BYTES;
  const truncated = section.stdoutSize > max || section.stderrSize > max;
  const stderr = section.stderr.toString("utf8");
  // 153 = killed by SIGXFSZ: the writer hit the file-size limit set just above the cap.
  const exitCode = truncated && section.exitCode === 153 ? null : section.exitCode;
  return execResult(
    {
      stdout: section.stdout.toString("utf8"),
      stderr,
      exitCode,
      durationMs: Math.round(elapsedMs),
      truncated,
    },
    item.options.timeoutMs,
  );
}

function lostResult(why: string, durationMs: number, timedOut: boolean): ExecResult {
  return {
    stdout: "",
    stderr: why,
    exitCode: null,
    durationMs,
    truncated: false,
    timedOut,
    permissionDenied: false,
  };
}
