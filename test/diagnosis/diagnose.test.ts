import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { collect } from "../../src/diagnosis/collect.js";
import { contractJson, type DiagnoseDeps, diagnose, makeDiagnoser } from "../../src/diagnosis/diagnose.js";
import { causeTitlesFrom } from "../../src/diagnosis/titles.js";
import type { DiagnosisRequest, ProgressEvent } from "../../src/diagnosis/types.js";
import { buildFacts } from "../../src/facts/build.js";
import { loadInventory, UnknownHostError } from "../../src/inventory/index.js";
import { type Knowledge, loadKnowledge } from "../../src/knowledge/index.js";
import { selectProbes } from "../../src/probes/index.js";
import type { EvidenceBundle } from "../../src/probes/types.js";
import { repositories } from "../../src/store/repositories.js";
import { connectHost } from "../../src/transport/connect.js";
import { loadBundle, replayTransport } from "../../src/transport/replay.js";
import { tempDb } from "../store/helpers.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "diagnosis");
const tap = loadBundle(join(FIXTURES, "tap_not_enslaved.json"));
const healthy = loadBundle(join(FIXTURES, "healthy.json"));

let knowledge: Knowledge;
beforeAll(() => {
  knowledge = loadKnowledge();
});

let t: ReturnType<typeof tempDb>;
beforeEach(() => {
  t = tempDb();
});
afterEach(() => t.close());

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

/** An inventory file in the temp dir; hosts map name → [address, port]. */
function inventory(hosts: Record<string, [string, number]>, group = "kvm") {
  const file = join(t.dir, "inventory.yml");
  const lines = ["all:", "  children:", `    ${group}:`, "      hosts:"];
  for (const [name, [addr, port]] of Object.entries(hosts))
    lines.push(`        ${name}:`, `          ansible_host: ${addr}`, `          ansible_port: ${port}`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return loadInventory(file);
}

/** Every host name answers from its recorded bundle through the real replay transport. */
function deps(bundles: Record<string, EvidenceBundle>, extra: Partial<DiagnoseDeps> = {}): DiagnoseDeps {
  return {
    inventory: inventory(Object.fromEntries(Object.keys(bundles).map((h) => [h, ["127.0.0.1", 22]]))),
    connect: async (host) => replayTransport(bundles[host.name]!),
    collect: (transport, options) => collect(transport, options),
    probes: (ctx) => selectProbes(ctx),
    buildFacts: (b) => buildFacts(b),
    engine: knowledge,
    store: repositories(t.db, causeTitlesFrom(knowledge.rules)),
    log: quiet,
    ...extra,
  };
}

const request = (hosts: string[], symptom = "vm 198.51.100.10 cannot reach the host"): DiagnosisRequest => ({
  hosts,
  symptom,
  targets: ["198.51.100.10"],
  language: "en",
  categories: ["host_guest"],
});

describe("diagnose (replayed evidence)", () => {
  it("ranks the recorded fault first, stores incident, diagnosis, findings and evidence, reports progress", async () => {
    const events: ProgressEvent[] = [];
    const result = await diagnose(
      request(["kvm01"]),
      deps({ kvm01: tap }, { onProgress: (e) => events.push(e) }),
    );
    expect(result.incident).toBeGreaterThan(0);
    expect(result.request).toEqual({
      hosts: ["kvm01"],
      symptom: "vm 198.51.100.10 cannot reach the host",
      targets: ["198.51.100.10"],
      language: "en",
    });
    const [h] = result.hosts;
    expect(h).toMatchObject({ host: "kvm01", status: "diagnosed" });
    expect(h!.causes[0]!.id).toBe("tap_not_enslaved");
    expect(h!.causes[0]!.confidence).toBeGreaterThanOrEqual(0.5);
    const confidences = h!.causes.map((c) => c.confidence);
    expect(confidences).toEqual([...confidences].sort((a, b) => b - a));
    // Every probe that could not run is named in the notes.
    const missing = h!.bundle!.evidence.filter((e) => e.status === "missing_tool").map((e) => e.probe);
    expect(missing.length).toBeGreaterThan(0);
    for (const p of missing) expect(h!.notes?.some((n) => n.startsWith(`${p}:`))).toBe(true);

    // The packet path toward the target says where it breaks.
    expect(h!.paths?.some((p) => p.startsWith("198.51.100.10"))).toBe(true);

    const types = events.map((e) => e.type);
    expect(types[0]).toBe("connecting");
    expect(types.at(-1)).toBe("host_done");
    expect(types).toContain("evaluating");
    const collecting = events.filter((e) => e.type === "collecting") as Extract<
      ProgressEvent,
      { type: "collecting" }
    >[];
    expect(collecting[0]!.done).toBe(0);
    expect(collecting.at(-1)!.done).toBe(collecting[0]!.total);

    const repos = repositories(t.db);
    const d = repos.incidents.detail(result.incident)!;
    expect(d.incident.status).toBe("diagnosed");
    expect(d.diagnoses[0]!.findings[0]!.cause).toBe("tap_not_enslaved");
    expect(d.diagnoses[0]!.evidence[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(repos.incidents.bundles(result.incident)[0]!.evidence.length).toBe(tap.evidence.length);
  });

  it("the CONTRACT object carries no bundle and only Finding fields", async () => {
    const json = contractJson(await diagnose(request(["kvm01"]), deps({ kvm01: tap })));
    expect(Object.keys(json).sort()).toEqual(["hosts", "incident", "request", "similar_incidents"]);
    const h = json.hosts[0]!;
    expect(h).not.toHaveProperty("bundle");
    for (const c of h.causes)
      for (const k of Object.keys(c))
        expect([
          "id",
          "title",
          "explanation",
          "confidence",
          "evidence",
          "check",
          "fix",
          "rollback",
          "verify",
          "risky",
        ]).toContain(k);
  });

  it("finds no cause at 0.5 or more on the healthy host", async () => {
    const result = await diagnose(request(["kvm01"]), deps({ kvm01: healthy }));
    expect(result.hosts[0]!.status).toBe("diagnosed");
    expect(result.hosts[0]!.causes.filter((c) => c.confidence >= 0.5)).toEqual([]);
  });

  it("diagnoses every host of a group in parallel and keeps each host's result", async () => {
    const result = await diagnose(request(["kvm"]), deps({ kvm01: tap, kvm02: healthy }));
    expect(result.hosts.map((h) => h.host).sort()).toEqual(["kvm01", "kvm02"]);
    const byHost = Object.fromEntries(result.hosts.map((h) => [h.host, h]));
    expect(byHost.kvm01!.causes[0]!.id).toBe("tap_not_enslaved");
    expect(byHost.kvm02!.causes.map((c) => c.id)).not.toContain("tap_not_enslaved");
    expect(
      repositories(t.db)
        .incidents.detail(result.incident)!
        .diagnoses.map((d) => d.groups),
    ).toEqual([["kvm"], ["kvm"]]);
  });

  it("lists the earlier incident with the same cause as similar, and not itself", async () => {
    const first = await diagnose(request(["kvm01"]), deps({ kvm01: tap }));
    await diagnose(request(["kvm01"], "something unrelated"), deps({ kvm01: healthy }));
    const second = await diagnose(
      request(["kvm01"], "guest 198.51.100.10 unreachable from host"),
      deps({ kvm01: tap }),
    );
    expect(second.similar_incidents[0]).toMatchObject({
      incident: first.incident,
      cause: "tap_not_enslaved",
      host: "kvm01",
    });
    expect(second.similar_incidents[0]!.score).toBeGreaterThan(0.5);
    expect(second.similar_incidents[0]!.score).toBeLessThanOrEqual(1);
    expect(second.similar_incidents.map((s) => s.incident)).not.toContain(second.incident);
  });

  it.skipIf(!hasSshKeygen())(
    "a host that refuses the connection gets status unreachable with the error, and the incident is kept",
    async () => {
      const port = await closedPort();
      const key = join(t.dir, "id_ed25519");
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
      const d = deps(
        {},
        {
          inventory: inventory({ kvm09: ["127.0.0.1", port] }),
          connect: (host) =>
            connectHost(host, {
              knownHosts: join(t.dir, "known_hosts"),
              sshKey: key,
              connectTimeoutMs: 3000,
            }),
        },
      );
      const result = await diagnose(request(["kvm09"]), d);
      expect(result.hosts[0]).toMatchObject({ host: "kvm09", status: "unreachable", causes: [] });
      expect(result.hosts[0]!.error).toMatch(/.+/);
      const stored = repositories(t.db).incidents.detail(result.incident)!;
      expect(stored.diagnoses[0]).toMatchObject({ status: "unreachable" });
    },
  );

  it.skipIf(!hasSshKeygen())("one unreachable host of a group does not stop the others", async () => {
    const port = await closedPort();
    const key = join(t.dir, "id_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
    const d = deps(
      { kvm01: tap },
      {
        inventory: inventory({ kvm01: ["127.0.0.1", 22], kvm09: ["127.0.0.1", port] }),
        connect: (host) =>
          host.name === "kvm01"
            ? Promise.resolve(replayTransport(tap))
            : connectHost(host, {
                knownHosts: join(t.dir, "known_hosts"),
                sshKey: key,
                connectTimeoutMs: 3000,
              }),
      },
    );
    const result = await diagnose(request(["kvm"]), d);
    const byHost = Object.fromEntries(result.hosts.map((h) => [h.host, h]));
    expect(byHost.kvm01!.status).toBe("diagnosed");
    expect(byHost.kvm01!.causes[0]!.id).toBe("tap_not_enslaved");
    expect(byHost.kvm09!.status).toBe("unreachable");
    expect(result.similar_incidents).toEqual([]);
  });

  it("an unknown host throws before anything is stored", async () => {
    await expect(diagnose(request(["kvm1"]), deps({ kvm01: tap }))).rejects.toThrow(UnknownHostError);
    expect(repositories(t.db).incidents.recent(5)).toEqual([]);
  });

  it("a confirmed case on this host raises the cause's confidence next time", async () => {
    const d = deps({ kvm01: tap });
    const diagnoser = makeDiagnoser(d);
    const meta = { user: "U1", source: "slack" as const, channel: "C1", thread: "t1" };
    const before = await diagnoser.diagnose(request(["kvm01"]), meta);
    const c0 = before.hosts[0]!.causes.find((c) => c.id === "tap_not_enslaved")!.confidence;
    expect(c0).toBeLessThan(0.99);
    diagnoser.feedback(before.incident, "tap_not_enslaved", "confirmed", "U2");
    expect(diagnoser.incidentByThread("C1", "t1")).toMatchObject({ id: before.incident, status: "resolved" });
    const after = await diagnoser.diagnose(request(["kvm01"]), { ...meta, thread: "t2" });
    const c1 = after.hosts[0]!.causes.find((c) => c.id === "tap_not_enslaved")!.confidence;
    expect(c1).toBeGreaterThan(c0);
    expect(diagnoser.search("tap_not_enslaved").map((h) => h.incident)).toContain(after.incident);
    expect(JSON.parse(diagnoser.evidence(before.incident)!)).toHaveLength(1);
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function hasSshKeygen(): boolean {
  try {
    execFileSync("ssh-keygen", ["-?"], { stdio: "ignore" });
    return true;
  } catch (err) {
    // ssh-keygen -? exits non-zero after printing its usage; only ENOENT means it is missing.
    return (err as NodeJS.ErrnoException).code !== "ENOENT";
  }
}

describe("VM names in the request", () => {
  // The tap_not_enslaved capture, as if libvirt ran there: domain web01 owns 198.51.100.10.
  const VIRSH = [
    "### list",
    " 3    web01    running",
    "### domiflist web01",
    " vnet0      bridge    br0       virtio   52:54:00:00:00:01",
    "### getlink web01 vnet0",
    "vnet0 up",
    "### domifaddr web01",
    " vnet0      52:54:00:00:00:01    ipv4         198.51.100.10/24",
    "### net-list",
    "",
  ].join("\n");
  const withVirsh: EvidenceBundle = {
    ...tap,
    evidence: tap.evidence.map((e) =>
      e.probe === "virsh"
        ? { ...e, stdout: VIRSH, stderr: "", exitCode: 0, status: "ok", note: undefined }
        : e,
    ),
  };
  const byName = (vmNames: string[]): DiagnosisRequest => ({
    hosts: ["kvm01"],
    symptom: "vm web01 cannot reach the host",
    targets: [],
    language: "en",
    categories: ["host_guest"],
    vmNames,
  });

  it("resolves a VM name to its address through virsh and probes that address too", async () => {
    const result = await diagnose(byName(["web01"]), deps({ kvm01: withVirsh }));
    const host = result.hosts[0]!;
    expect(host.status).toBe("diagnosed");
    expect(host.targets).toEqual(["198.51.100.10"]);
    const lookups = host.bundle!.evidence.find((e) => e.probe === "routeLookups")!;
    expect(lookups.command).toContain("198.51.100.10");
    expect(lookups.status).toBe("ok");
    expect(host.bundle!.evidence.find((e) => e.probe === "ping")?.status).toBe("ok");
    expect(host.causes[0]?.id).toBe("tap_not_enslaved");
  });

  it("a name the host does not know adds no target", async () => {
    const result = await diagnose(byName(["db07"]), deps({ kvm01: withVirsh }));
    expect(result.hosts[0]!.targets).toBeUndefined();
    expect(result.hosts[0]!.bundle!.targets).toEqual([]);
  });
});
