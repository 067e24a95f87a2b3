import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labSkipReason, useLab } from "../support/lab.js";
import { buildCli, hostmedic, scratch, sshKey, writeInventory } from "./support.js";

const FIXTURE = join(import.meta.dirname, "..", "fixtures", "diagnosis", "tap_not_enslaved.json");
const CONTRACT_KEYS = ["hosts", "incident", "request", "similar_incidents"];

let s: ReturnType<typeof scratch>;
beforeAll(() => {
  buildCli();
  s = scratch();
});
afterAll(() => s?.close());

const run = (args: string[], env: Record<string, string> = {}) =>
  hostmedic(args, { ...s.env, ...env }, s.dir);

describe("hostmedic diagnose: usage", () => {
  it("--help prints the usage and exits 0", async () => {
    const r = await run(["diagnose", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("usage: hostmedic diagnose HOST|GROUP|localhost");
  });

  it("exits 2 without a host, on an unknown option, and when the inventory is missing", async () => {
    expect((await run(["diagnose"])).code).toBe(2);
    const bad = await run(["diagnose", "kvm01", "--colour"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown option --colour");
    const noInv = await run(["diagnose", "kvm01"]);
    expect(noInv.code).toBe(2);
    expect(noInv.stderr).toContain("MEDIC_INVENTORY");
  });

  it("an unknown host exits 2 with suggestions", async () => {
    writeInventory(s.env.MEDIC_INVENTORY!, { kvm01: { address: "127.0.0.1", port: 22 } });
    const r = await run(["diagnose", "kvm1", "vm cannot reach the host"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown host "kvm1"');
    expect(r.stderr).toContain("kvm01");
  });
});

describe("hostmedic diagnose --replay", () => {
  it("prints exactly the CONTRACT object and exits 0", async () => {
    const r = await run([
      "diagnose",
      "--replay",
      FIXTURE,
      "--json",
      "vm 198.51.100.10 cannot reach the host",
    ]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json).sort()).toEqual(CONTRACT_KEYS);
    expect(json.request).toEqual({
      hosts: [json.hosts[0].host],
      symptom: "vm 198.51.100.10 cannot reach the host",
      targets: ["198.51.100.10"],
      language: "en",
    });
    expect(json.hosts[0].status).toBe("diagnosed");
    expect(json.hosts[0]).not.toHaveProperty("bundle");
    expect(json.hosts[0].causes[0].id).toBe("tap_not_enslaved");
    expect(typeof json.hosts[0].elapsed_ms).toBe("number");
  });

  it("prints a readable report in the language of the symptom", async () => {
    const r = await run(["diagnose", "--replay", FIXTURE, "宿主机和虚拟机 198.51.100.10 网络不通"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^事件 #\d+/);
    expect(r.stdout).toContain("tap_not_enslaved");
    expect(r.stdout).toContain("$ ip link set vnet0 master br0");
    expect(r.stdout).toContain("相似的以往事件");
  });

  it("a missing bundle file is a usage error", async () => {
    const r = await run(["diagnose", "--replay", join(s.dir, "nope.json")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("nope.json");
  });
});

describe("hostmedic diagnose: unreachable host", () => {
  it("exits 3 with status unreachable and the error", async () => {
    const key = sshKey(s.dir);
    if (!key) return expect.fail("ssh-keygen is needed to make a client key");
    const port = await closedPort();
    writeInventory(s.env.MEDIC_INVENTORY!, { kvm09: { address: "127.0.0.1", port, key } });
    const r = await run(["diagnose", "kvm09", "--json"], {
      MEDIC_KNOWN_HOSTS: join(s.dir, "known_hosts"),
      MEDIC_CONNECT_TIMEOUT_MS: "3000",
    });
    expect(r.code).toBe(3);
    const json = JSON.parse(r.stdout);
    expect(json.hosts[0]).toMatchObject({ host: "kvm09", status: "unreachable", causes: [] });
    expect(json.hosts[0].error.length).toBeGreaterThan(0);
  });
});

describe.skipIf(labSkipReason())(`hostmedic diagnose on a lab host (${labSkipReason() ?? "root"})`, () => {
  const lab = useLab({ prefix: "hmi" });
  const env = () => ({
    MEDIC_INVENTORY: lab.inventoryFile,
    MEDIC_KNOWN_HOSTS: lab.knownHostsFile,
    MEDIC_SSH_KEY: lab.keyFile,
  });

  it("a healthy host is diagnosed over SSH (exit 0) without the tap cause", async () => {
    const r = await run(
      ["diagnose", lab.hostName, "vm 198.51.100.10 cannot reach the host", "--json"],
      env(),
    );
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json).sort()).toEqual(CONTRACT_KEYS);
    expect(json.hosts[0]).toMatchObject({ host: lab.hostName, status: "diagnosed" });
    expect(json.hosts[0].causes.map((c: { id: string }) => c.id)).not.toContain("tap_not_enslaved");
  });

  it("an unknown host key exits 3 with status host_key_unknown", async () => {
    const r = await run(["diagnose", lab.hostName, "--json"], {
      ...env(),
      MEDIC_KNOWN_HOSTS: join(s.dir, "empty_known_hosts"),
    });
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).hosts[0].status).toBe("host_key_unknown");
  });

  it("ranks the injected fault first", async () => {
    await lab.fault("tap_not_enslaved");
    const r = await run(
      ["diagnose", lab.hostName, "vm 198.51.100.10 cannot reach the host", "--json"],
      env(),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).hosts[0].causes[0].id).toBe("tap_not_enslaved");
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}
