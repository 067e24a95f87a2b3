import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { inNs, processAlive, run, runOk, sleep } from "./exec.js";

/** Generates an ed25519 key pair without passphrase; returns the public key line. */
export async function keygen(file: string, comment: string): Promise<string> {
  await rm(file, { force: true });
  await rm(`${file}.pub`, { force: true });
  await runOk(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file]);
  return (await readFile(`${file}.pub`, "utf8")).trim();
}

export interface SshdSpec {
  /** Namespace the daemon runs in. */
  ns: string;
  /** Directory of this daemon's files (config, host key, pid file, log). */
  dir: string;
  /** Directory holding `<user>.keys` authorized-keys files. */
  keysDir: string;
  address: string;
  port: number;
}

export class Sshd {
  readonly configFile: string;
  readonly hostKeyFile: string;
  readonly pidFile: string;
  readonly logFile: string;

  constructor(readonly spec: SshdSpec) {
    this.configFile = join(spec.dir, "sshd_config");
    this.hostKeyFile = join(spec.dir, "ssh_host_ed25519_key");
    this.pidFile = join(spec.dir, "sshd.pid");
    this.logFile = join(spec.dir, "sshd.log");
  }

  /** Writes the config and a fresh host key; returns the host public key line. */
  async prepare(): Promise<string> {
    const hostKey = await keygen(this.hostKeyFile, "hostmedic-lab-host");
    const config = [
      `ListenAddress ${this.spec.address}:${this.spec.port}`,
      `HostKey ${this.hostKeyFile}`,
      `PidFile ${this.pidFile}`,
      `AuthorizedKeysFile ${join(this.spec.keysDir, "%u.keys")}`,
      "UsePAM no",
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PubkeyAuthentication yes",
      "StrictModes no",
      "AllowTcpForwarding yes",
      "UseDNS no",
      "PrintMotd no",
      "Subsystem sftp internal-sftp",
      "",
    ].join("\n");
    await writeFile(this.configFile, config, { mode: 0o644 });
    return hostKey;
  }

  async rotateHostKey(): Promise<string> {
    const key = await keygen(this.hostKeyFile, "hostmedic-lab-host-rotated");
    await this.stop();
    await this.start();
    return key;
  }

  async start(): Promise<void> {
    // sshd refuses to start without its privilege-separation directory.
    await mkdir("/run/sshd", { recursive: true, mode: 0o755 });
    await runOk(inNs(this.spec.ns, ["/usr/sbin/sshd", "-f", this.configFile, "-E", this.logFile]));
    await waitForPort(this.spec.ns, this.spec.address, this.spec.port, 10_000);
  }

  async pid(): Promise<number | null> {
    try {
      const pid = Number((await readFile(this.pidFile, "utf8")).trim());
      return pid > 0 ? pid : null;
    } catch {
      return null;
    }
  }

  /** Stops the listener (existing sessions end with it); waits until the port is closed. */
  async stop(): Promise<void> {
    const pid = await this.pid();
    if (pid === null) return;
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // already gone
    }
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && processAlive(pid)) await sleep(20);
    if (processAlive(pid)) process.kill(pid, "SIGKILL");
    await rm(this.pidFile, { force: true });
  }
}

/**
 * Waits until address:port accepts a TCP connection. From the root namespace when the address is
 * routed there (management links); otherwise probe inside `ns` with bash's /dev/tcp.
 */
export async function waitForPort(
  ns: string,
  address: string,
  port: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await tcpOpen(address, port)) return;
    const inside = await run(inNs(ns, ["bash", "-c", 'exec 3<>"/dev/tcp/$0/$1"', address, String(port)]), {
      timeoutMs: 2_000,
    });
    if (inside.code === 0) return;
    if (Date.now() > deadline) throw new Error(`sshd in ${ns} did not accept on ${address}:${port}`);
    await sleep(50);
  }
}

function tcpOpen(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: 500 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.once("timeout", () => done(false));
  });
}
