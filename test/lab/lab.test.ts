import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { namespacesOfPrefix, rootLinksOfPrefix } from "../../src/lab/cleanup.js";
import { labUp } from "../../src/lab/lab.js";
import { GUESTS, NET } from "../../src/lab/plan.js";
import { readState } from "../../src/lab/state.js";
import { labSkipReason, useLab } from "../support/lab.js";

const run = promisify(execFile);

function sshArgs(keyFile: string, knownHosts: string): string[] {
  return [
    "-i",
    keyFile,
    "-o",
    `UserKnownHostsFile=${knownHosts}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=5",
  ];
}

describe.skipIf(labSkipReason())("lab", () => {
  const lab = useLab({ prefix: "hml", sshUsers: true, bastion: true });

  it("lets the system ssh client in with the lab's key and known_hosts, and runs ip in the host namespace", async () => {
    const { stdout } = await run("ssh", [
      ...sshArgs(lab.keyFile, lab.knownHostsFile),
      `root@${lab.address}`,
      "ip -j link show",
    ]);
    const names = (JSON.parse(stdout) as { ifname: string }[]).map((l) => l.ifname);
    expect(names).toEqual(
      expect.arrayContaining(["br0", "virbr0", "eno1", "vnet0", "vnet1", "vnet2", "mgmt0"]),
    );
  });

  it("writes an inventory in the CONTRACT form", async () => {
    const inv = parse(await readFile(lab.inventoryFile, "utf8"));
    expect(inv.all.children.kvm.hosts[lab.hostName]).toEqual({
      ansible_host: lab.address,
      ansible_port: 22,
      ansible_user: "root",
      ansible_ssh_private_key_file: lab.keyFile,
    });
  });

  it("has a non-root user whose sudo wants a password", async () => {
    const user = lab.nonRootUser!;
    const ssh = run("ssh", [
      ...sshArgs(user.keyFile, lab.knownHostsFile),
      `${user.name}@${lab.address}`,
      "id -un; sudo -n true",
    ]);
    await expect(ssh).rejects.toMatchObject({
      stdout: "medic-lab\n",
      stderr: expect.stringMatching(/password is required/),
    });
  });

  it("reaches the host through the bastion with the ssh arguments the inventory gives", async () => {
    const inv = parse(await readFile(lab.inventoryFile, "utf8"));
    const viaJump = inv.all.children.kvm_via_jump.hosts[`${lab.hostName}j`];
    const proxy = /^-o ProxyCommand="(.*)"$/.exec(viaJump.ansible_ssh_common_args)![1]!;
    expect(proxy).toContain(`root@${lab.bastion!.address}`);
    const { stdout } = await run("ssh", [
      ...sshArgs(lab.keyFile, lab.knownHostsFile),
      "-o",
      `ProxyCommand=${proxy}`,
      `root@${viaJump.ansible_host}`,
      "echo $SSH_CLIENT",
    ]);
    // The session comes in over the host<->bastion link, not the management link.
    expect(stdout.split(" ")[0]).toBe(NET.jumpLink.jump);
  });

  it("lets every guest ping the host, and the NAT guest reach the outside", async () => {
    const pings = await Promise.all([
      lab.exec("vm1", ["ping", "-c", "1", "-W", "2", NET.br0.address]),
      lab.exec("vm2", ["ping", "-c", "1", "-W", "2", NET.br0.address]),
      lab.exec("vm3", ["ping", "-c", "1", "-W", "2", NET.virbr0.address]),
      lab.exec("vm3", ["ping", "-c", "1", "-W", "2", NET.internet]),
      lab.exec("vm1", ["ping", "-c", "1", "-W", "2", NET.gateway]),
      lab.exec("host", ["ping", "-c", "1", "-W", "2", GUESTS.vm2.ip]),
    ]);
    expect(pings.map((p) => p.code)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("reports a changed host key after rotateHostKey and works again with sshd restarted", async () => {
    await lab.rotateHostKey();
    const ssh = run("ssh", [...sshArgs(lab.keyFile, lab.knownHostsFile), `root@${lab.address}`, "true"]);
    await expect(ssh).rejects.toMatchObject({
      stderr: expect.stringMatching(/HOST IDENTIFICATION HAS CHANGED/),
    });
  });

  it("stops and starts sshd", async () => {
    await lab.sshd.stop();
    const refused = run("ssh", [
      ...sshArgs(lab.keyFile, lab.knownHostsFile),
      "-o",
      "StrictHostKeyChecking=no",
      `root@${lab.address}`,
      "true",
    ]);
    await expect(refused).rejects.toMatchObject({ stderr: expect.stringMatching(/Connection refused/) });
    await lab.sshd.start();
  });
});

describe.skipIf(labSkipReason())("lab lifecycle", () => {
  it("down removes every namespace, link, state file and temp dir, and is idempotent", async () => {
    const lab = await labUp({
      prefix: "hml2",
      bastion: true,
      extras: { macvtap: true, routed: true, secondBridge: true, dhcp: true },
    });
    try {
      expect(namespacesOfPrefix("hml2").sort()).toEqual(
        [
          "hml2host",
          "hml2jump",
          "hml2lan",
          "hml2out",
          "hml2vm1",
          "hml2vm2",
          "hml2vm3",
          "hml2vm4",
          "hml2vm5",
          "hml2vm6",
        ].sort(),
      );
      expect(readState("hml2")?.dir).toBe(lab.dir);
    } finally {
      await lab.down();
    }
    await lab.down();
    expect(namespacesOfPrefix("hml2")).toEqual([]);
    expect(rootLinksOfPrefix("hml2")).toEqual([]);
    expect(readState("hml2")).toBeNull();
    await expect(readFile(lab.inventoryFile)).rejects.toThrow(/ENOENT/);
  });

  it("gives labs started at the same time distinct management subnets", async () => {
    const prefixes = ["hml3", "hml4", "hml5", "hml6", "hml7", "hml8"];
    const labs = await Promise.allSettled(prefixes.map((prefix) => labUp({ prefix })));
    try {
      const up = labs.flatMap((l) => (l.status === "fulfilled" ? [l.value] : []));
      expect(up).toHaveLength(prefixes.length);
      expect(new Set(up.map((l) => l.address)).size).toBe(prefixes.length);
    } finally {
      for (const l of labs) if (l.status === "fulfilled") await l.value.down();
    }
    for (const prefix of prefixes) expect(namespacesOfPrefix(prefix)).toEqual([]);
  });
});
