import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect } from "../../src/diagnosis/collect.js";
import { loadInventory } from "../../src/inventory/index.js";
import type { InventoryHost } from "../../src/inventory/types.js";
import { probes as registry } from "../../src/probes/index.js";
import { connectHost } from "../../src/transport/connect.js";
import { connectSsh, type SshOptions } from "../../src/transport/ssh.js";
import { type Transport, TransportError } from "../../src/transport/types.js";
import { labSkipReason, useLab } from "../support/lab.js";
import { commandProbe } from "../support/probes.js";

async function failure(p: Promise<Transport>): Promise<TransportError> {
  try {
    const t = await p;
    await t.close();
  } catch (e) {
    expect(e).toBeInstanceOf(TransportError);
    return e as TransportError;
  }
  throw new Error("expected the connection to fail");
}

describe.skipIf(labSkipReason())("ssh transport against the lab's sshd", () => {
  const lab = useLab({ prefix: "hme", bastion: true, sshUsers: true });
  let dir: string;
  let host: InventoryHost;
  let opts: SshOptions;
  const host2 = (name: string) => loadInventory(lab.inventoryFile).resolve(name)[0]!;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "hm-ssh-"));
    host = host2(lab.hostName);
    opts = { knownHostsFile: lab.knownHostsFile, connectTimeoutMs: 5_000 };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("collects a healthy host completely with the real probe registry", async () => {
    const t = await connectSsh(host, opts);
    try {
      const bundle = await collect(t, { probes: registry, ctx: { targets: ["198.51.100.10"] } });
      expect(bundle.host).toBe(lab.hostName);
      expect(bundle.evidence).toHaveLength(registry.length);
      const by = Object.fromEntries(bundle.evidence.map((e) => [e.probe, e]));
      // The lab has iproute2, iptables, nft: these must come back whole.
      for (const id of [
        "links",
        "addresses",
        "routes",
        "bridgePorts",
        "fdb",
        "neighbours",
        "sysctls",
        "iptables",
        "nft",
      ]) {
        expect(by[id], id).toMatchObject({ status: "ok", exitCode: 0, truncated: false });
        expect(by[id]!.stdout.length, id).toBeGreaterThan(0);
      }
      expect(by.links!.stdout).toContain('"ifname":"br0"');
      expect(bundle.evidence.every((e) => e.status !== "timeout" && e.status !== "permission_denied")).toBe(
        true,
      );
    } finally {
      await t.close();
    }
  });

  it("reaches the host through connectHost with the Config fields", async () => {
    const t = await connectHost(host, {
      knownHosts: lab.knownHostsFile,
      sshKey: undefined,
      sshKeyPassphrase: undefined,
      agentSocket: undefined,
    });
    const r = await t.exec("hostname -I; id -un", { timeoutMs: 5_000 });
    await t.close();
    expect(t.kind).toBe("ssh");
    expect(r.stdout).toContain(lab.address);
    expect(r.stdout).toContain("root");
  });

  it("accepts a key from a known_hosts file hashed by ssh-keygen -H", async () => {
    const hashed = join(dir, "known_hosts_hashed");
    copyFileSync(lab.knownHostsFile, hashed);
    execFileSync("ssh-keygen", ["-H", "-f", hashed], { stdio: "ignore" });
    const t = await connectSsh(host, { ...opts, knownHostsFile: hashed });
    expect((await t.exec("echo ok", { timeoutMs: 5_000 })).stdout).toBe("ok\n");
    await t.close();
  });

  it("refuses an unknown host key and says how to add it after checking the fingerprint", async () => {
    const empty = join(dir, "known_hosts_empty");
    writeFileSync(empty, "");
    const err = await failure(connectSsh(host, { ...opts, knownHostsFile: empty }));
    expect(err.status).toBe("host_key_unknown");
    const fp = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", lab.knownHostsFile])
      .toString()
      .split(" ")[1]!;
    expect(err.message).toContain(fp);
    expect(err.hint).toContain(`ssh-keyscan -p ${lab.port} ${lab.address} >> ${empty}`);
    expect(err.hint).toContain(fp);
  });

  it("refuses a wrong user key with auth_failed, naming what was tried", async () => {
    const other = join(dir, "other_key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]);
    const err = await failure(connectSsh({ ...host, keyFile: other }, opts));
    expect(err.status).toBe("auth_failed");
    expect(err.message).toContain(`key file ${other}`);
  });

  it("uses an encrypted key with its passphrase, and says clearly when the passphrase is wrong", async () => {
    const enc = join(dir, "encrypted_key");
    copyFileSync(lab.keyFile, enc);
    execFileSync("ssh-keygen", ["-q", "-p", "-N", "s3cret-pass", "-f", enc]);
    const ok = await connectSsh({ ...host, keyFile: enc }, { ...opts, passphrase: "s3cret-pass" });
    await ok.close();
    const wrong = await failure(connectSsh({ ...host, keyFile: enc }, { ...opts, passphrase: "nope" }));
    expect(wrong.status).toBe("auth_failed");
    expect(wrong.message).toBe(`wrong passphrase for key file ${enc}`);
    expect(wrong.message + (wrong.hint ?? "")).not.toContain("nope");
    const none = await failure(connectSsh({ ...host, keyFile: enc }, opts));
    expect(none.message).toBe(`key file ${enc} is encrypted and no passphrase was given`);
  });

  it("logs in with a key held by ssh-agent when no key file is given", async () => {
    const socket = join(dir, "agent.sock");
    const agent = spawn("ssh-agent", ["-D", "-a", socket], { stdio: "ignore" });
    try {
      for (let i = 0; i < 50 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
      execFileSync("ssh-add", ["-q", lab.keyFile], { env: { SSH_AUTH_SOCK: socket }, stdio: "ignore" });
      const emptyHome = join(dir, "home-without-keys");
      mkdirSync(emptyHome, { recursive: true });
      const { keyFile: _inventoryKey, ...noKey } = host;
      const t = await connectSsh(noKey, { ...opts, agentSocket: socket, homeDir: emptyHome });
      expect((await t.exec("echo via-agent", { timeoutMs: 5_000 })).stdout).toBe("via-agent\n");
      await t.close();
    } finally {
      agent.kill();
    }
  });

  it("says unreachable within 2 s when sshd is stopped", async () => {
    await lab.sshd.stop();
    try {
      const started = Date.now();
      const err = await failure(connectSsh(host, opts));
      expect(err.status).toBe("unreachable");
      expect(err.message).toContain("ECONNREFUSED");
      expect(Date.now() - started).toBeLessThan(2_000);
      // Through the jump host: the bastion answers, the target behind it does not.
      const viaJump = await failure(connectSsh(host2(`${lab.hostName}j`), opts));
      expect(viaJump.status).toBe("unreachable");
      expect(viaJump.message).toContain(
        `jump host ${lab.bastion!.address} cannot reach ${lab.address}:${lab.port}`,
      );
    } finally {
      await lab.sshd.start();
    }
  });

  it("times out a hung probe, collects the others, and leaves no remote process behind", async () => {
    const marker = "61.4243";
    const t = await connectSsh(host, opts);
    try {
      const started = Date.now();
      const bundle = await collect(t, {
        probes: [
          commandProbe("hang", `sleep ${marker}`, { timeoutMs: 1_500 }),
          commandProbe("links", "ip -j link show"),
          commandProbe("uname", "uname -r"),
        ],
        ctx: { targets: [] },
      });
      expect(Date.now() - started).toBeLessThan(8_000);
      expect(bundle.evidence.map((e) => e.status)).toEqual(["timeout", "ok", "ok"]);
      await new Promise((r) => setTimeout(r, 500));
      const left = await lab.exec("host", ["pgrep", "-f", `sleep ${marker}`]);
      expect(left.code, left.stdout).toBe(1);
      // The same through a single exec channel.
      const single = await t.exec(`echo before; sleep ${marker}`, { timeoutMs: 1_000 });
      expect(single).toMatchObject({ timedOut: true, exitCode: null, stdout: "before\n" });
      await new Promise((r) => setTimeout(r, 500));
      expect((await lab.exec("host", ["pgrep", "-f", `sleep ${marker}`])).code).toBe(1);
      expect((await t.exec("echo still-usable", { timeoutMs: 5_000 })).stdout).toBe("still-usable\n");
    } finally {
      await t.close();
    }
  });

  it("cuts output over the cap and marks it truncated", async () => {
    const t = await connectSsh(host, opts);
    try {
      const started = Date.now();
      const r = await t.exec("head -c 3000000 /dev/zero | tr '\\0' a", { timeoutMs: 10_000 });
      expect(r.truncated).toBe(true);
      expect(r.stdout.length).toBe(1024 * 1024);
      expect(r.stdout.startsWith("aaaa")).toBe(true);
      expect(Date.now() - started).toBeLessThan(8_000);
      // The connection is still fine afterwards.
      expect((await t.exec("echo after", { timeoutMs: 5_000 })).stdout).toBe("after\n");
    } finally {
      await t.close();
    }
  });

  it("gives permission_denied for root probes of a non-root user whose sudo wants a password", async () => {
    const user = host2(`${lab.hostName}u`);
    expect(user.user).toBe(lab.nonRootUser!.name);
    const t = await connectSsh(user, opts);
    try {
      const bundle = await collect(t, {
        probes: [
          commandProbe("rootOnly", "iptables-save -c", { root: true }),
          commandProbe("whoami", "id -un"),
          commandProbe("links", "ip -j link show"),
        ],
        ctx: { targets: [] },
      });
      const [rootOnly, whoami, links] = bundle.evidence;
      expect(rootOnly).toMatchObject({ status: "permission_denied" });
      expect(rootOnly!.note).toMatch(/sudo -n refused \(sudo: a password is required\)/);
      expect(whoami).toMatchObject({ status: "ok", stdout: `${lab.nonRootUser!.name}\n` });
      expect(links).toMatchObject({ status: "ok" });
    } finally {
      await t.close();
    }
  });

  it("goes through the jump host, verifying both host keys", async () => {
    const viaJump = host2(`${lab.hostName}j`);
    expect(viaJump.jump).toMatchObject({ address: lab.bastion!.address, user: "root" });
    const t = await connectSsh(viaJump, opts);
    try {
      const r = await t.exec("hostname -I", { timeoutMs: 5_000 });
      expect(r.stdout).toContain(lab.address);
    } finally {
      await t.close();
    }
    // known_hosts without the bastion's key: refused at the bastion.
    const onlyHost = join(dir, "known_hosts_no_bastion");
    execFileSync("sh", ["-c", `grep -v '^${lab.bastion!.address} ' ${lab.knownHostsFile} > ${onlyHost}`]);
    const err = await failure(connectSsh(viaJump, { ...opts, knownHostsFile: onlyHost }));
    expect(err.status).toBe("host_key_unknown");
    expect(err.message).toContain(`jump host ${lab.bastion!.address}`);
  });

  it("runs more than 6 execs at once over one connection, 6 channels at a time", async () => {
    const t = await connectSsh(host, opts);
    try {
      const started = Date.now();
      const results = await Promise.all(
        Array.from({ length: 14 }, (_, i) => t.exec(`sleep 0.6; echo ${i}`, { timeoutMs: 10_000 })),
      );
      const elapsed = Date.now() - started;
      expect(results.map((r) => r.stdout)).toEqual(results.map((_, i) => `${i}\n`));
      expect(results.every((r) => r.exitCode === 0)).toBe(true);
      // 14 commands of 0.6 s, 6 channels at a time: three waves.
      expect(elapsed).toBeGreaterThanOrEqual(1_800);
    } finally {
      await t.close();
    }
  });

  it("collects many probes in one batch session, all running at once, output caps included", async () => {
    const t = await connectSsh(host, opts);
    try {
      // Each probe prints when it started and when it ended: all at once means every start comes
      // before every end (in waves of 6, the later waves would start after the first ones ended).
      const many = Array.from({ length: 14 }, (_, i) =>
        commandProbe(`p${i}`, "date +%s%6N; sleep 2; date +%s%6N"),
      );
      const big = commandProbe("big", "head -c 3000000 /dev/zero | tr '\\0' a");
      const bundle = await collect(t, { probes: [...many, big], ctx: { targets: [] } });
      const spans = bundle.evidence.slice(0, 14).map((e) => {
        expect(e.status).toBe("ok");
        return e.stdout.trim().split("\n").map(Number) as [number, number];
      });
      const lastStart = Math.max(...spans.map(([start]) => start));
      const firstEnd = Math.min(...spans.map(([, end]) => end));
      expect(lastStart < firstEnd).toBe(true);
      const last = bundle.evidence[14]!;
      expect(last).toMatchObject({ probe: "big", truncated: true, status: "ok" });
      expect(last.stdout.length).toBe(1024 * 1024);
      expect(last.stdout.startsWith("aaaa")).toBe(true);
    } finally {
      await t.close();
    }
  });

  it("rejects the pending execs with unreachable when the connection dies, keeping what was collected", async () => {
    const t = await connectSsh(host, opts);
    // Kills the sshd process that serves this very connection (the nearest sshd ancestor).
    const killSession =
      'sleep 0.5; p=$$; while [ "$p" -gt 1 ]; do [ "$(cat /proc/$p/comm)" = sshd ] && { kill -9 "$p"; break; }; p=$(awk \'{print $4}\' /proc/$p/stat); done; sleep 5';
    const err = await collect(t, {
      probes: [
        commandProbe("quick", "echo quick"),
        commandProbe("killer", killSession),
        commandProbe("slow", "sleep 10"),
      ],
      ctx: { targets: [] },
    }).then(
      () => {
        throw new Error("expected the collection to fail");
      },
      (e: unknown) => e as TransportError,
    );
    expect(err).toBeInstanceOf(TransportError);
    expect(err.status).toBe("unreachable");
    expect(err.partial?.map((e) => [e.probe, e.status])).toEqual([["quick", "ok"]]);
    await expect(t.exec("echo again", { timeoutMs: 1_000 })).rejects.toMatchObject({ status: "unreachable" });
    await t.close();
  });

  // Last: the lab keeps the rotated key, so later connections with the lab's known_hosts would fail.
  it("refuses a changed host key", async () => {
    await lab.rotateHostKey();
    const err = await failure(connectSsh(host, opts));
    expect(err.status).toBe("host_key_changed");
    expect(err.message).toContain("man-in-the-middle");
    expect(err.hint).toContain(`ssh-keygen -R "${lab.address}" -f ${lab.knownHostsFile}`);
  });
});
