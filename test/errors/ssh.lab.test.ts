import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../cli/support.js";
import { CLI, type RunResult, runNode } from "../support/cli.js";
import { labSkipReason, useLab } from "../support/lab.js";

/**
 * SSH going wrong, as a user of `hostmedic diagnose` sees it against the lab's real sshd: a status
 * of CONTRACT.md, exit 3, a message that says what happened and what to do, and the JSON object
 * still whole on stdout. Lab prefix "hmx".
 */

const SYMPTOM = "vm 198.51.100.10 cannot reach the host";
const STACK = /\n\s+at .+:\d+:\d+/;

interface HostJson {
  host: string;
  status: string;
  error?: string;
  causes: { id: string }[];
}

describe.skipIf(labSkipReason())(`SSH errors on the lab host (${labSkipReason() ?? "root"})`, () => {
  const lab = useLab({ prefix: "hmx" });
  let dir: string;

  beforeAll(() => {
    buildCli();
    dir = mkdtempSync(join(tmpdir(), "hmx-ssh-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** An inventory of the lab host (and more hosts), with or without a key file of its own. */
  function inventory(name: string, hosts: { name: string; port?: number; key?: string }[]): string {
    const lines = ["all:", "  children:", "    kvm:", "      hosts:"];
    for (const h of hosts)
      lines.push(
        `        ${h.name}:`,
        `          ansible_host: ${lab.address}`,
        `          ansible_port: ${h.port ?? lab.port}`,
        "          ansible_user: root",
        ...(h.key ? [`          ansible_ssh_private_key_file: ${h.key}`] : []),
      );
    const file = join(dir, `${name}.yml`);
    writeFileSync(file, `${lines.join("\n")}\n`);
    return file;
  }

  const run = (args: string[], env: Record<string, string>): Promise<RunResult> =>
    runNode(CLI, args, {
      env: {
        MEDIC_DB: join(dir, "medic.db"),
        MEDIC_INVENTORY: inventory("plain", [{ name: lab.hostName }]),
        MEDIC_KNOWN_HOSTS: lab.knownHostsFile,
        MEDIC_SSH_KEY: lab.keyFile,
        MEDIC_CONNECT_TIMEOUT_MS: "3000",
        LOG_LEVEL: "warn",
        ...env,
      },
      cwd: dir,
      timeoutMs: 60_000,
    });

  /** Runs with --json: exit 3, one JSON object on stdout, the host's entry returned. */
  async function failed(env: Record<string, string>, status: string): Promise<HostJson> {
    const r = await run(["diagnose", lab.hostName, SYMPTOM, "--json"], env);
    expect(r.code, r.stderr).toBe(3);
    const json = JSON.parse(r.stdout) as { incident: number; hosts: HostJson[] };
    expect(json.incident).toBeGreaterThan(0);
    const host = json.hosts[0]!;
    expect(host).toMatchObject({ host: lab.hostName, status, causes: [] });
    expect(`${r.stdout}${r.stderr}`).not.toMatch(STACK);
    return host;
  }

  /** The fingerprint of the lab's host key, from the known_hosts the lab wrote. */
  const labFingerprint = () =>
    execFileSync("ssh-keygen", ["-lf", lab.knownHostsFile], { encoding: "utf8" }).split(/\s+/)[1]!;

  it("sshd stopped: unreachable, fast, asks whether sshd runs", async () => {
    await lab.sshd.stop();
    try {
      const started = Date.now();
      const host = await failed({}, "unreachable");
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(host.error).toMatch(/cannot reach .*ECONNREFUSED/);
      expect(host.error).toMatch(/is sshd running\?/);
    } finally {
      await lab.sshd.start();
    }
  });

  it("a firewall that drops SSH: timeout within the connect timeout, names the port", async () => {
    const rule = ["-p", "tcp", "--dport", "22", "-j", "DROP"];
    await lab.exec("host", ["iptables", "-I", "INPUT", ...rule]);
    try {
      const started = Date.now();
      const host = await failed({}, "timeout");
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(host.error).toMatch(/within 3000 ms|timed out/);
    } finally {
      await lab.exec("host", ["iptables", "-D", "INPUT", ...rule]);
    }
  });

  it("a host key not in known_hosts: refused, with the fingerprint, how to verify it and how to add it", async () => {
    const empty = join(dir, "empty_known_hosts");
    writeFileSync(empty, "");
    const host = await failed({ MEDIC_KNOWN_HOSTS: empty }, "host_key_unknown");
    expect(host.error).toContain(`is not in ${empty}`);
    expect(host.error).toContain(labFingerprint());
    expect(host.error).toMatch(/on the host: ssh-keygen -lf \/etc\/ssh\/ssh_host_ed25519_key\.pub/);
    expect(host.error).toContain(`ssh-keyscan -p 22 ${lab.address} >> ${empty}`);
    // Refused, never accepted silently: the file is as it was.
    expect(readFileSync(empty, "utf8")).toBe("");
  });

  it("MEDIC_KNOWN_HOSTS naming a file that does not exist: refused like an unknown key, and the message says so", async () => {
    const missing = join(dir, "no_such_known_hosts");
    const host = await failed({ MEDIC_KNOWN_HOSTS: missing }, "host_key_unknown");
    expect(host.error).toContain(`is not in ${missing} (that file does not exist: check MEDIC_KNOWN_HOSTS)`);
  });

  it("a changed host key: refused, warns of a man-in-the-middle, says how to replace the old key", async () => {
    const other = join(dir, "other_host_key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]);
    const changed = join(dir, "changed_known_hosts");
    const pub = readFileSync(`${other}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
    writeFileSync(changed, `${lab.address} ${pub}\n`);
    const host = await failed({ MEDIC_KNOWN_HOSTS: changed }, "host_key_changed");
    expect(host.error).toMatch(/does not match .*changed_known_hosts/);
    expect(host.error).toContain(labFingerprint());
    expect(host.error).toMatch(/man-in-the-middle/);
    expect(host.error).toContain(`ssh-keygen -R "${lab.address}" -f ${changed}`);
    expect(readFileSync(changed, "utf8")).toBe(`${lab.address} ${pub}\n`);
  });

  describe("keys", () => {
    let wrong: string;
    let encrypted: string;
    const PASSPHRASE = "correct-horse-hmx-7731";
    beforeAll(() => {
      wrong = join(dir, "wrong_key");
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", wrong]);
      encrypted = join(dir, "encrypted_key");
      copyFileSync(lab.keyFile, encrypted);
      execFileSync("ssh-keygen", ["-q", "-p", "-N", PASSPHRASE, "-f", encrypted]);
    });

    it("a key the host does not accept (MEDIC_SSH_KEY): auth_failed, says which key and where it must be", async () => {
      const host = await failed({ MEDIC_SSH_KEY: wrong }, "auth_failed");
      expect(host.error).toMatch(/refused the login \(tried key file .*wrong_key\)/);
      expect(host.error).toMatch(/~root\/\.ssh\/authorized_keys on .*, or set MEDIC_SSH_KEY/);
    });

    it("the inventory's key file is the wrong one: the hint points at the inventory, not MEDIC_SSH_KEY", async () => {
      const inv = inventory("wrong-key", [{ name: lab.hostName, key: wrong }]);
      const host = await failed({ MEDIC_INVENTORY: inv }, "auth_failed");
      expect(host.error).toMatch(/tried key file .*wrong_key/);
      expect(host.error).toMatch(/change ansible_ssh_private_key_file of .* in the inventory/);
    });

    it("an encrypted key without a passphrase, and with a wrong one: auth_failed naming the variable", async () => {
      const none = await failed({ MEDIC_SSH_KEY: encrypted }, "auth_failed");
      expect(none.error).toMatch(/encrypted_key is encrypted and no passphrase was given/);
      expect(none.error).toMatch(/MEDIC_SSH_KEY_PASSPHRASE/);
      const bad = await failed(
        { MEDIC_SSH_KEY: encrypted, MEDIC_SSH_KEY_PASSPHRASE: "not-the-passphrase" },
        "auth_failed",
      );
      expect(bad.error).toMatch(/wrong passphrase for key file .*encrypted_key/);
    });

    it("with the right passphrase it logs in, and the passphrase appears nowhere, even at debug level", async () => {
      const r = await run(["diagnose", lab.hostName, SYMPTOM, "--json"], {
        MEDIC_SSH_KEY: encrypted,
        MEDIC_SSH_KEY_PASSPHRASE: PASSPHRASE,
        LOG_LEVEL: "debug",
      });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).hosts[0].status).toBe("diagnosed");
      expect(`${r.stdout}${r.stderr}`).not.toContain(PASSPHRASE);
      expect(readFileSync(join(dir, "medic.db")).includes(PASSPHRASE)).toBe(false);
    });
  });

  it("a group with one good host and one unreachable: both reported, exit 3, the good host's findings kept", async () => {
    await lab.fault("tap_not_enslaved");
    const inv = inventory("group", [{ name: lab.hostName }, { name: "hmxdead", port: 2222 }]);
    const r = await run(["diagnose", "kvm", SYMPTOM, "--json"], { MEDIC_INVENTORY: inv });
    expect(r.code, r.stderr).toBe(3);
    const json = JSON.parse(r.stdout) as { incident: number; hosts: HostJson[] };
    const byName = new Map(json.hosts.map((h) => [h.host, h]));
    expect(byName.get("hmxdead")).toMatchObject({ status: "unreachable", causes: [] });
    expect(byName.get("hmxdead")?.error).toMatch(/ECONNREFUSED/);
    expect(byName.get(lab.hostName)?.status).toBe("diagnosed");
    expect(byName.get(lab.hostName)?.causes[0]?.id).toBe("tap_not_enslaved");
    // Kept: the stored incident shows both hosts and the cause found on the good one.
    const shown = await run(["incident", "show", String(json.incident)], { MEDIC_INVENTORY: inv });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain("tap_not_enslaved");
    expect(shown.stdout).toContain("hmxdead");
  });
});
