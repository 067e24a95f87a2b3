import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InventoryHost } from "../../src/inventory/types.js";
import { connectSsh } from "../../src/transport/ssh.js";
import { planAuth } from "../../src/transport/ssh-auth.js";
import { TransportError } from "../../src/transport/types.js";

// Failures that need no sshd: a port nobody listens on, a server that never speaks, bad key files.
let dir: string;
let key: string;
let silent: Server;
let silentPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hm-ssherr-"));
  key = join(dir, "id_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
  // Accepts and reads (so it sees the client hang up), never sends a banner.
  silent = createServer((c) => c.resume());
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  silentPort = (silent.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((r) => silent.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const host = (port: number): InventoryHost => ({
  name: "kvm01",
  kind: "ssh",
  address: "127.0.0.1",
  port,
  user: "root",
  keyFile: key,
  groups: ["all"],
  vars: {},
});

async function failure(p: Promise<unknown>): Promise<TransportError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(TransportError);
    return e as TransportError;
  }
  throw new Error("expected a TransportError");
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe("ssh connection failures", () => {
  it("says unreachable at once when nothing listens", async () => {
    const started = Date.now();
    const err = await failure(
      connectSsh(host(await closedPort()), { knownHostsFile: join(dir, "kh"), connectTimeoutMs: 5_000 }),
    );
    expect(err.status).toBe("unreachable");
    expect(err.message).toMatch(/^cannot reach kvm01 \(127\.0\.0\.1:\d+\): ECONNREFUSED$/);
    expect(err.hint).toBe("Nothing listens on that port: is sshd running?");
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("says timeout when the server accepts but never completes the handshake", async () => {
    const started = Date.now();
    const err = await failure(
      connectSsh(host(silentPort), { knownHostsFile: join(dir, "kh"), connectTimeoutMs: 700 }),
    );
    expect(err.status).toBe("timeout");
    expect(err.message).toBe(`no SSH login to kvm01 (127.0.0.1:${silentPort}) within 700 ms`);
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it("says auth_failed for a key file that is missing or not a private key, before connecting", async () => {
    const missing = await failure(
      connectSsh(
        { ...host(silentPort), keyFile: join(dir, "nope") },
        { knownHostsFile: "kh", connectTimeoutMs: 5_000 },
      ),
    );
    expect(missing.status).toBe("auth_failed");
    expect(missing.message).toBe(`key file ${join(dir, "nope")} does not exist`);
    const pub = await failure(
      connectSsh(
        { ...host(silentPort), keyFile: `${key}.pub` },
        { knownHostsFile: "kh", connectTimeoutMs: 5_000 },
      ),
    );
    expect(pub.status).toBe("auth_failed");
    expect(pub.message).toMatch(/holds no private key|not a private key/);
  });
});

describe("which keys are tried", () => {
  it("takes the explicit key file only", () => {
    expect(planAuth("root", { keyFile: key, agentSocket: "/tmp/agent.sock" }).tried).toEqual([
      `key file ${key}`,
    ]);
  });

  it("otherwise tries the agent, then ~/.ssh/id_ed25519 and id_rsa, skipping encrypted ones", () => {
    const home = join(dir, "home");
    mkdirSync(join(home, ".ssh"), { recursive: true });
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(home, ".ssh", "id_ed25519")]);
    execFileSync("ssh-keygen", [
      "-q",
      "-t",
      "rsa",
      "-b",
      "2048",
      "-N",
      "pw",
      "-f",
      join(home, ".ssh", "id_rsa"),
    ]);
    const plan = planAuth("root", { agentSocket: "/tmp/agent.sock", homeDir: home });
    expect(plan.methods.map((m) => m.type)).toEqual(["agent", "publickey"]);
    expect(plan.tried).toEqual([
      "ssh-agent",
      `key file ${join(home, ".ssh", "id_ed25519")}`,
      `key file ${join(home, ".ssh", "id_rsa")} (skipped: key file ${join(home, ".ssh", "id_rsa")} is encrypted and no passphrase was given)`,
    ]);
  });

  it("says what to do when there is no key at all", () => {
    const empty = join(dir, "empty-home");
    mkdirSync(empty);
    writeFileSync(join(empty, "x"), "");
    expect(() => planAuth("root", { homeDir: empty })).toThrow(/^no SSH key to log in with$/);
  });
});
