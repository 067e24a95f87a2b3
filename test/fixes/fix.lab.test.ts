import { existsSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { userInfo } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable, Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConsoleAdapter } from "../../src/chat/console/adapter.js";
import { run as runAuditCli } from "../../src/cli/audit.js";
import { run as runFixCli } from "../../src/cli/fix.js";
import { composeServices } from "../../src/compose.js";
import { loadConfig } from "../../src/config.js";
import { Conversation } from "../../src/conversation/core.js";
import { encodeValue } from "../../src/conversation/report.js";
import type { Action, Reply } from "../../src/conversation/types.js";
import { normalise } from "../../src/fixes/snapshot.js";
import { listAudit } from "../../src/fixes/store.js";
import type { Fix } from "../../src/fixes/types.js";
import { loadInventory } from "../../src/inventory/index.js";
import { faults } from "../../src/lab/faults/index.js";
import { createLogger } from "../../src/log.js";
import { connectHost } from "../../src/transport/connect.js";
import { labSkipReason, useLab } from "../support/lab.js";
import {
  APPROVER,
  APPROVER2,
  ASKER,
  BYSTANDER,
  type FixWorld,
  fixWorld,
  linkState,
  pings,
  recordingSink,
  sysctl,
} from "./helpers.js";

const GUEST1 = "198.51.100.10";
const BR0 = "198.51.100.1";
const NAT_GUEST = "203.0.113.10";
const INTERNET = "203.0.113.200";

describe.skipIf(labSkipReason())("fixes by button on a lab host with real faults", () => {
  const lab = useLab({ prefix: "hmf", sshUsers: true });
  let w: FixWorld;

  // The catalog's own injection when the lab has it; the same commands as its §6 column otherwise.
  const MANUAL: Record<string, string[][]> = {
    tap_not_enslaved: [["ip", "link", "set", "vnet0", "nomaster"]],
    ip_forward_disabled: [["sysctl", "-q", "-w", "net.ipv4.ip_forward=0"]],
    bridge_down: [["ip", "link", "set", "br0", "down"]],
    masquerade_missing: [["iptables", "-t", "nat", "-F", "LIBVIRT_PRT"]],
    host_ip_on_enslaved_nic: [
      ["ip", "addr", "del", "198.51.100.1/24", "dev", "br0"],
      ["ip", "addr", "add", "198.51.100.1/24", "brd", "+", "dev", "eno1"],
      ["ip", "route", "replace", "default", "via", "198.51.100.254", "dev", "eno1"],
    ],
  };
  async function inject(id: string): Promise<void> {
    if (faults.has(id)) return lab.fault(id);
    for (const argv of MANUAL[id] ?? []) {
      const r = await lab.exec("host", argv);
      if (r.code !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr}`);
    }
  }

  /** Back to the healthy topology after each test, whatever it left. */
  async function heal(): Promise<void> {
    for (const argv of [
      ["ip", "addr", "del", "198.51.100.1/24", "dev", "eno1"],
      ["ip", "addr", "replace", "198.51.100.1/24", "brd", "+", "dev", "br0"],
      ["ip", "link", "set", "mgmt0", "up"],
      ["ip", "link", "set", "br0", "up"],
      ["ip", "link", "set", "vnet0", "master", "br0"],
      ["ip", "link", "set", "vnet0", "up"],
      ["ip", "link", "set", "vnet1", "master", "br0"],
      ["ip", "link", "set", "vnet1", "up"],
      ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"],
      ["ip", "route", "replace", "default", "via", "198.51.100.254", "dev", "br0"],
    ])
      await lab.exec("host", argv);
  }

  const click = (
    action: Action["action"],
    incident: number,
    cause: string,
    user: string,
    sink = recordingSink(),
    service = w.service,
  ) =>
    service
      .handleAction(
        {
          action,
          value: encodeValue({ incident, cause, host: lab.hostName }),
          user,
          channel: "CFIX",
          thread: `thread-${incident}`,
        },
        sink,
        "en",
      )
      .then(() => sink);

  const fixesOf = (incident: number): Fix[] => w.service.store.byIncident(incident);
  const actions = (incident: number) => listAudit(w.db, { incidentId: incident }).map((e) => e.action);

  beforeAll(() => {
    w = fixWorld(lab);
  });
  afterEach(async () => {
    w.clock.now = new Date();
    await heal();
  });
  afterAll(() => {
    w?.close();
  });

  it("refuses a non-approver's click and the asker's own approval, changes nothing, and audits both", async () => {
    await inject("tap_not_enslaved");
    const result = await w.diagnoseLab(`vm ${GUEST1} cannot reach the host`, [GUEST1], ["host_guest"]);
    expect(result.hosts[0]?.causes.map((c) => c.id)).toContain("tap_not_enslaved");

    const stranger = await click("run_fix", result.incident, "tap_not_enslaved", BYSTANDER);
    expect(stranger.replies).toHaveLength(1);
    expect(stranger.replies[0]?.ephemeral).toBe(true);
    expect(stranger.replies[0]?.text).toMatch(/Only approvers/);

    // ASKER is an approver, but asked for this diagnosis.
    const self = await click("run_fix", result.incident, "tap_not_enslaved", ASKER);
    expect(self.replies).toHaveLength(1);
    expect(self.replies[0]?.ephemeral).toBe(true);
    expect(self.replies[0]?.text).toMatch(/someone else has to approve/);

    expect(fixesOf(result.incident)).toEqual([]);
    expect((await linkState(lab, "vnet0")).master).toBeNull();
    expect(await pings(lab, "vm1", BR0)).toBe(false);
    const trail = listAudit(w.db, { incidentId: result.incident });
    expect(trail.map((e) => [e.actor, e.action])).toEqual([
      [BYSTANDER, "click_run_fix"],
      [BYSTANDER, "click_refused"],
      [ASKER, "click_run_fix"],
      [ASKER, "click_refused"],
    ]);
    expect(trail[3]?.detail.reason).toBe("selfApprove");
  });

  it("applies an approver's fix, verifies it (the guest pings again), and rolls it back by button to the recorded values", async () => {
    await inject("tap_not_enslaved");
    const before = await linkState(lab, "vnet0");
    expect(await pings(lab, "vm1", BR0)).toBe(false);
    const result = await w.diagnoseLab(`vm ${GUEST1} cannot reach the host`, [GUEST1], ["host_guest"]);
    const finding = result.hosts[0]?.causes.find((c) => c.id === "tap_not_enslaved");
    expect(finding?.fix).toEqual(["ip link set vnet0 master br0", "ip link set vnet0 up"]);

    const sink = await click("run_fix", result.incident, "tap_not_enslaved", APPROVER);
    const [fix] = fixesOf(result.incident);
    expect(fix?.state).toBe("verified");
    expect(fix?.approvedBy).toBe(APPROVER);
    expect(fix?.proposedBy).toBe(ASKER);
    expect(fix?.commands.fix).toEqual(finding?.fix);
    expect(fix?.recorded?.map((r) => r.command)).toEqual(["ip -j -d link show dev vnet0"]);
    expect(await pings(lab, "vm1", BR0)).toBe(true);
    expect((await linkState(lab, "vnet0")).master).toBe("br0");
    // The output of the fix went to the thread, and the last reply offers the rollback.
    expect(sink.replies.some((r) => r.text.includes("$ ip link set vnet0 master br0"))).toBe(true);
    const last = sink.replies.at(-1) as Reply;
    expect(last.text).toMatch(/verified/);
    expect(last.sections?.[0]?.buttons?.[0]?.action).toBe("rollback_fix");
    // The incident is now a confirmed case and resolved.
    const cases = w.db
      .prepare("SELECT cause, verdict, decided_by FROM cases WHERE incident_id = ?")
      .all(result.incident);
    expect(cases).toEqual([{ cause: "tap_not_enslaved", verdict: "confirmed", decided_by: APPROVER }]);
    expect(w.db.prepare("SELECT status FROM incidents WHERE id = ?").get(result.incident)).toEqual({
      status: "resolved",
    });
    expect(actions(result.incident)).toEqual([
      "click_run_fix",
      "fix_approved",
      "fix_running",
      "fix_recorded",
      "fix_fix",
      "fix_fix",
      "fix_verify",
      "fix_verification",
      "fix_verified",
    ]);

    // Roll back: refused for a non-approver, done for an approver, back to exactly the recorded values.
    const refused = await click("rollback_fix", result.incident, "tap_not_enslaved", BYSTANDER);
    expect(refused.replies[0]?.ephemeral).toBe(true);
    expect(w.service.store.get(fix!.id)?.state).toBe("verified");
    const back = await click("rollback_fix", result.incident, "tap_not_enslaved", APPROVER2);
    const rolled = w.service.store.get(fix!.id);
    expect(rolled?.state).toBe("rolled_back");
    expect(rolled?.rolledBackBy).toBe(APPROVER2);
    expect(rolled?.result?.restored).toBe(true);
    expect(await linkState(lab, "vnet0")).toEqual(before);
    expect(await pings(lab, "vm1", BR0)).toBe(false);
    expect(back.replies.at(-1)?.text).toMatch(/rolled back; the recorded values are back/);
    expect(actions(result.incident).slice(9)).toEqual([
      "click_rollback_fix",
      "click_refused",
      "click_rollback_fix",
      "rollback_started",
      "fix_restore",
      "fix_restore",
      "fix_restore",
      "rollback_done",
    ]);
    // A second rollback click finds nothing left to roll back.
    const again = await click("rollback_fix", result.incident, "tap_not_enslaved", APPROVER);
    expect(again.replies[0]?.ephemeral).toBe(true);
    expect(again.replies[0]?.text).toMatch(/rolled_back/);
  });

  it("records the iptables ruleset before a firewall fix and puts exactly it back on rollback", async () => {
    const healthy = join(lab.dir, "iptables-healthy.rules");
    writeFileSync(healthy, (await lab.exec("host", ["iptables-save"])).stdout);
    try {
      await inject("masquerade_missing");
      expect(await pings(lab, "vm3", INTERNET)).toBe(false);
      const broken = normalise("iptables", (await lab.exec("host", ["iptables-save"])).stdout);
      const result = await w.diagnoseLab(
        `vm ${NAT_GUEST} cannot reach the internet ${INTERNET}`,
        [NAT_GUEST],
        ["guest_outside"],
      );
      expect(result.hosts[0]?.causes.map((c) => c.id)).toContain("masquerade_missing");
      await click("run_fix", result.incident, "masquerade_missing", APPROVER);
      const [fix] = fixesOf(result.incident);
      expect(fix?.state).toBe("verified");
      expect(fix?.recorded?.map((r) => r.kind)).toEqual(["iptables"]);
      expect(await pings(lab, "vm3", INTERNET)).toBe(true);
      expect(normalise("iptables", (await lab.exec("host", ["iptables-save"])).stdout)).not.toBe(broken);

      await click("rollback_fix", result.incident, "masquerade_missing", APPROVER2);
      expect(w.service.store.get(fix!.id)?.result?.restored).toBe(true);
      expect(normalise("iptables", (await lab.exec("host", ["iptables-save"])).stdout)).toBe(broken);
      expect(await pings(lab, "vm3", INTERNET)).toBe(false);
    } finally {
      await lab.exec("host", ["sh", "-c", `iptables-restore < ${healthy}`]);
    }
  });

  it("moves the host address and default route back and forth (risky fix, addresses and routes recorded)", async () => {
    await inject("host_ip_on_enslaved_nic");
    const addrs = async (dev: string) =>
      (
        JSON.parse((await lab.exec("host", ["ip", "-j", "addr", "show", "dev", dev])).stdout) as {
          addr_info: { family: string; local: string }[];
        }[]
      )[0]?.addr_info
        .filter((a) => a.family === "inet")
        .map((a) => a.local) ?? [];
    const defaultDev = async () =>
      (
        JSON.parse((await lab.exec("host", ["ip", "-j", "route", "show", "default"])).stdout) as {
          dev: string;
        }[]
      )[0]?.dev;
    expect(await addrs("eno1")).toEqual([BR0]);
    expect(await pings(lab, "host", GUEST1)).toBe(false);
    const result = await w.diagnoseLab(`host cannot reach vm ${GUEST1}`, [GUEST1], ["host_guest"]);
    expect(result.hosts[0]?.causes.map((c) => c.id)).toContain("host_ip_on_enslaved_nic");
    const sink = await click("run_fix", result.incident, "host_ip_on_enslaved_nic", APPROVER);
    const [fix] = fixesOf(result.incident);
    expect(fix?.state).toBe("verified");
    expect(fix?.recorded?.map((r) => `${r.kind} ${r.key ?? ""}`.trim())).toEqual([
      "addresses eno1",
      "addresses br0",
      "routes",
    ]);
    expect(sink.replies.map((r) => r.text).join("\n")).toMatch(/dead-man timer/);
    expect(await addrs("br0")).toEqual([BR0]);
    expect(await defaultDev()).toBe("br0");
    expect(await pings(lab, "host", GUEST1)).toBe(true);

    await click("rollback_fix", result.incident, "host_ip_on_enslaved_nic", APPROVER2);
    expect(w.service.store.get(fix!.id)?.result?.restored).toBe(true);
    expect(await addrs("eno1")).toEqual([BR0]);
    expect(await addrs("br0")).toEqual([]);
    expect(await defaultDev()).toBe("eno1");
  });

  it("runs the fix once when two approvers click at the same time (ip_forward_disabled, NAT guest reaches the internet)", async () => {
    await inject("ip_forward_disabled");
    expect(await pings(lab, "vm3", INTERNET)).toBe(false);
    const result = await w.diagnoseLab(
      `vm ${NAT_GUEST} cannot reach the internet`,
      [NAT_GUEST],
      ["guest_outside"],
    );
    const finding = result.hosts[0]?.causes.find((c) => c.id === "ip_forward_disabled");
    expect(finding?.fix.length).toBeGreaterThan(0);

    const [a, b] = await Promise.all([
      click("run_fix", result.incident, "ip_forward_disabled", APPROVER),
      click("run_fix", result.incident, "ip_forward_disabled", APPROVER2),
    ]);
    const fixes = fixesOf(result.incident);
    expect(fixes).toHaveLength(1);
    expect(fixes[0]?.state).toBe("verified");
    // Exactly one of the two was told it runs only once, privately.
    const refusals = [a, b].filter((s) => s.replies.length === 1 && s.replies[0]?.ephemeral);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]?.replies[0]?.text).toMatch(/runs only once/);
    const trail = actions(result.incident);
    expect(trail.filter((x) => x === "fix_fix")).toHaveLength(finding!.fix.length);
    expect(trail.filter((x) => x === "fix_approved")).toHaveLength(1);
    expect(trail).toContain("fix_already_handled");
    expect(await sysctl(lab, "net.ipv4.ip_forward")).toBe("1");
    expect(await pings(lab, "vm3", INTERNET)).toBe(true);
  });

  it("re-diagnoses an expired proposal first: continues when the cause still fires, refuses when it is gone", async () => {
    await inject("tap_not_enslaved");
    const stale = await w.diagnoseLab(`vm ${GUEST1} cannot reach the host`, [GUEST1], ["host_guest"]);
    w.clock.now = new Date(Date.now() + 31 * 60_000);
    const sink = await click("run_fix", stale.incident, "tap_not_enslaved", APPROVER);
    const [fix] = fixesOf(stale.incident);
    expect(sink.replies.map((r) => r.text).join("\n")).toMatch(
      /collecting it again[\s\S]*same commands; continuing/,
    );
    expect(fix?.state).toBe("verified");
    const original = w.db
      .prepare(
        "SELECT e.sha256 FROM evidence e JOIN diagnoses d ON d.id = e.diagnosis_id WHERE d.incident_id = ?",
      )
      .get(stale.incident) as { sha256: string };
    // Bound to the fresh evidence now, not to the old bundle.
    expect(fix?.evidenceSha256).not.toBe(original.sha256);
    expect(actions(stale.incident).slice(0, 5)).toEqual([
      "click_run_fix",
      "fix_approved",
      "fix_rediagnose",
      "fix_evidence_refreshed",
      "fix_running",
    ]);
    w.clock.now = new Date();
    await heal();

    // The cause went away on its own before the click: nothing runs.
    await inject("tap_not_enslaved");
    const gone = await w.diagnoseLab(`vm ${GUEST1} cannot reach the host`, [GUEST1], ["host_guest"]);
    await lab.exec("host", ["ip", "link", "set", "vnet0", "master", "br0"]);
    w.clock.now = new Date(Date.now() + 45 * 60_000);
    const refused = await click("run_fix", gone.incident, "tap_not_enslaved", APPROVER);
    const [expired] = fixesOf(gone.incident);
    expect(expired?.state).toBe("expired");
    expect(expired?.reason).toMatch(/no longer fires/);
    expect(refused.replies.at(-1)?.text).toMatch(/Not running fix #\d+: `tap_not_enslaved` no longer fires/);
    expect(actions(gone.incident)).not.toContain("fix_fix");
    expect(actions(gone.incident)).toContain("fix_expired");
  });

  it("refuses an expired proposal whose commands would now be different", async () => {
    await inject("tap_not_enslaved");
    const result = await w.diagnoseLab(`vm ${GUEST1} cannot reach the host`, [GUEST1], ["host_guest"]);
    // vnet0 is back on its bridge, but now vnet1 is off it: same cause, other commands.
    await lab.exec("host", ["ip", "link", "set", "vnet0", "master", "br0"]);
    await lab.exec("host", ["ip", "link", "set", "vnet1", "nomaster"]);
    w.clock.now = new Date(Date.now() + 31 * 60_000);
    const sink = await click("run_fix", result.incident, "tap_not_enslaved", APPROVER);
    const [fix] = fixesOf(result.incident);
    expect(fix?.state).toBe("expired");
    expect(sink.replies.at(-1)?.text).toMatch(
      /commands for `tap_not_enslaved` on hmfkvm01 would now be:[\s\S]*vnet1/,
    );
    expect(actions(result.incident)).not.toContain("fix_fix");
    expect((await linkState(lab, "vnet1")).master).toBeNull();
  });

  it("keeps two fixes from running on one host at once: the second waits for a new click", async () => {
    await inject("tap_not_enslaved");
    await inject("ip_forward_disabled");
    const result = await w.diagnoseLab(`vm ${GUEST1} cannot reach the host`, [GUEST1], []);
    const causes = result.hosts[0]?.causes.map((c) => c.id) ?? [];
    expect(causes).toEqual(expect.arrayContaining(["tap_not_enslaved", "ip_forward_disabled"]));
    const [tap, fwd] = await Promise.all([
      click("run_fix", result.incident, "tap_not_enslaved", APPROVER),
      click("run_fix", result.incident, "ip_forward_disabled", APPROVER2),
    ]);
    const states = fixesOf(result.incident)
      .map((f) => f.state)
      .sort();
    expect(states).toEqual(["proposed", "verified"]);
    const busy = [tap, fwd].find((s) =>
      s.replies.some((r) => /Another fix \(#\d+\) is running on hmfkvm01/.test(r.text)),
    );
    expect(busy).toBeDefined();
    expect(actions(result.incident)).toContain("fix_host_busy");
    // The waiting one runs on the next click, once the host is free.
    const waiting = fixesOf(result.incident).find((f) => f.state === "proposed")!;
    await click("run_fix", result.incident, waiting.cause, APPROVER);
    expect(w.service.store.get(waiting.id)?.state).toBe("verified");
    expect(await pings(lab, "vm1", BR0)).toBe(true);
    expect(await sysctl(lab, "net.ipv4.ip_forward")).toBe("1");
  });

  it("rolls back a fix that does not cure (something keeps detaching the tap) and leaves the host as before", async () => {
    await inject("tap_not_enslaved");
    const result = await w.diagnoseLab(`vm ${GUEST1} cannot reach the host`, [GUEST1], ["host_guest"]);
    // What NetworkManager does to taps it thinks it owns (catalog #46): undo the fix right away.
    const stop = join(lab.dir, "hmf-stop-detach");
    await rm(stop, { force: true });
    lab.background("host", [
      "sh",
      "-c",
      `while [ ! -e ${stop} ]; do ip link set vnet0 nomaster 2>/dev/null; sleep 0.2; done`,
    ]);
    try {
      const before = await linkState(lab, "vnet0");
      const sink = await click("run_fix", result.incident, "tap_not_enslaved", APPROVER);
      const [fix] = fixesOf(result.incident);
      expect(fix?.state).toBe("rolled_back");
      expect(fix?.result).toMatchObject({ outcome: "rolled_back", stillFires: true, restored: true });
      expect(sink.replies.map((r) => r.text).join("\n")).toMatch(/did not cure it[\s\S]*rolled back/);
      expect(await linkState(lab, "vnet0")).toEqual(before);
      const trail = actions(result.incident);
      expect(trail).toContain("fix_restore");
      expect(trail.at(-1)).toBe("fix_rolled_back");
      expect(
        w.db.prepare("SELECT COUNT(*) AS n FROM cases WHERE incident_id = ?").get(result.incident),
      ).toEqual({
        n: 0,
      });
    } finally {
      writeFileSync(stop, "");
    }
  });

  it("runs the same flow from the terminal: `hostmedic fix` asks first, `hostmedic audit` shows every step", async () => {
    await inject("tap_not_enslaved");
    const result = await w.diagnoseLab(`vm ${GUEST1} cannot reach the host`, [GUEST1], ["host_guest"]);
    const saved = { ...process.env };
    Object.assign(process.env, {
      MEDIC_DB: w.file,
      MEDIC_INVENTORY: lab.inventoryFile,
      MEDIC_KNOWN_HOSTS: lab.knownHostsFile,
      MEDIC_SSH_KEY: lab.keyFile,
      LOG_LEVEL: "error",
    });
    try {
      const io = () => {
        const out: string[] = [];
        const err: string[] = [];
        return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } };
      };
      const me = userInfo().username;
      const no = io();
      expect(
        await runFixCli([String(result.incident), "tap_not_enslaved"], no.io, Readable.from(["n\n"])),
      ).toBe(1);
      expect(no.out.join("\n")).toMatch(/ip link set vnet0 master br0[\s\S]*Run it on hmfkvm01\? \[y\/N\]/);
      expect(no.err.join("\n")).toMatch(/not confirmed; nothing was changed/);
      expect((await linkState(lab, "vnet0")).master).toBeNull();
      expect(fixesOf(result.incident).map((f) => [f.state, f.reason])).toEqual([
        ["rejected", `declined by ${me}`],
      ]);

      const yes = io();
      expect(await runFixCli([String(result.incident), "tap_not_enslaved", "--yes"], yes.io)).toBe(0);
      expect(yes.out.at(-1)).toMatch(/^fix #\d+: verified$/);
      expect(fixesOf(result.incident).map((f) => f.state)).toEqual(["rejected", "verified"]);
      expect(await pings(lab, "vm1", BR0)).toBe(true);
      const trail = listAudit(w.db, { incidentId: result.incident });
      expect(trail[0]).toMatchObject({ actor: me, action: "fix_declined" });
      expect(trail.filter((e) => e.action === "fix_fix").every((e) => e.actor === me)).toBe(true);
      expect(trail.at(-1)).toMatchObject({ actor: me, action: "fix_verified", host: lab.hostName });

      const listed = io();
      expect(await runAuditCli(["--host", lab.hostName, "--since", "1h", "--json"], listed.io)).toBe(0);
      const events = JSON.parse(listed.out.join("")) as { action: string; incident_id: number }[];
      const mine = events.filter((e) => e.incident_id === result.incident).map((e) => e.action);
      expect(mine).toEqual(trail.map((e) => e.action));
      const text = io();
      expect(await runAuditCli(["--incident", String(result.incident)], text.io)).toBe(0);
      expect(
        text.out.some((l) => l.includes("fix_fix") && l.includes("$ ip link set vnet0 master br0 → 0")),
      ).toBe(true);
      const bad = io();
      expect(await runAuditCli(["--since", "yesterday-ish"], bad.io)).toBe(2);
      expect(bad.err.join("")).toMatch(/--since wants/);
      const none = io();
      expect(await runAuditCli(["--host", "nohost"], none.io)).toBe(0);
      expect(none.out).toEqual(["no audit events match"]);
    } finally {
      process.env = saved;
    }
  });

  it("offers the same flow in the console: numbered choices, the local operator approves and rolls back", async () => {
    await inject("tap_not_enslaved");
    const config = loadConfig(
      {
        MEDIC_DB: w.file,
        MEDIC_INVENTORY: lab.inventoryFile,
        MEDIC_KNOWN_HOSTS: lab.knownHostsFile,
        MEDIC_SSH_KEY: lab.keyFile,
      },
      null,
    );
    const log = createLogger({ level: "silent" });
    const app = composeServices(config, w.db, log);
    const conversation = new Conversation({
      services: app.services,
      fixes: app.fixes("console"),
      log,
      source: "console",
    });
    const input = new PassThrough();
    let screen = "";
    const output = new Writable({
      write(chunk, _enc, done) {
        screen += String(chunk);
        done();
      },
    });
    const adapter = new ConsoleAdapter(conversation, { input, output, prompt: false });
    const session = adapter.run();
    const waitFor = async (re: RegExp, from = 0): Promise<RegExpExecArray> => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const m = re.exec(screen.slice(from));
        if (m) return m;
        if (Date.now() > deadline) throw new Error(`console never showed ${re}:\n${screen}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      input.write(`${lab.hostName} vm ${GUEST1} cannot reach the host\n`);
      const run = await waitFor(/\[(\d+)\] Run fix/);
      let mark = screen.length;
      input.write(`${run[1]}\ny\n`);
      await waitFor(/Run this fix\?[\s\S]*ip link set vnet0 master br0/);
      const rollbackChoice = await waitFor(/verified[\s\S]*\[(\d+)\] Roll back/, mark);
      expect(await pings(lab, "vm1", BR0)).toBe(true);
      mark = screen.length;
      input.write(`${rollbackChoice[1]}\ny\n`);
      await waitFor(/rolled back; the recorded values are back/, mark);
      expect((await linkState(lab, "vnet0")).master).toBeNull();
      const actors = new Set(
        listAudit(w.db, { host: lab.hostName, since: new Date(Date.now() - 120_000).toISOString() }).map(
          (e) => e.actor,
        ),
      );
      expect(actors.has("console")).toBe(true);
    } finally {
      input.end();
      await session;
    }
  });

  it("fails cleanly when the host cannot be reached, and ends fixes a stopped hostmedic left running", async () => {
    await inject("tap_not_enslaved");
    const result = await w.diagnoseLab(`vm ${GUEST1} cannot reach the host`, [GUEST1], ["host_guest"]);
    await lab.sshd.stop();
    try {
      const sink = await click("run_fix", result.incident, "tap_not_enslaved", APPROVER);
      const [fix] = fixesOf(result.incident);
      expect(fix?.state).toBe("failed");
      expect(sink.replies.at(-1)?.text).toMatch(/not run: cannot reach hmfkvm01 .*Nothing was changed/);
      expect(actions(result.incident).at(-1)).toBe("fix_failed");
    } finally {
      await lab.sshd.start();
    }
    expect((await linkState(lab, "vnet0")).master).toBeNull();

    // A process that died mid-fix leaves a running row; the next start of the service ends it.
    const stuck = w.service.store.propose({
      incidentId: result.incident,
      host: lab.hostName,
      cause: "tap_not_enslaved",
      commands: { check: [], fix: ["ip link set vnet0 master br0"], rollback: [], verify: [] },
      risky: false,
      evidenceSha256: "0".repeat(64),
      evidenceAt: w.clock.now.toISOString(),
      proposedBy: ASKER,
      expiresAt: w.clock.now.toISOString(),
    });
    expect(w.service.store.transition(stuck.id, "proposed", "approved", { approvedBy: APPROVER })).toBe(true);
    expect(w.service.store.transition(stuck.id, "approved", "running")).toBe(true);
    w.make(); // same clock: not stale yet
    expect(w.service.store.get(stuck.id)?.state).toBe("running");
    w.clock.now = new Date(w.clock.now.getTime() + 31 * 60_000);
    w.make();
    expect(w.service.store.get(stuck.id)?.state).toBe("failed");
    expect(w.service.store.get(stuck.id)?.reason).toMatch(/hostmedic stopped while fix #\d+ was running/);
    expect(listAudit(w.db, { fixId: stuck.id }).map((e) => [e.actor, e.action])).toEqual([
      ["hostmedic", "fix_abandoned"],
    ]);
  });

  it("changes nothing when the login user cannot become root (sudo -n wants a password)", async () => {
    await inject("tap_not_enslaved");
    const result = await w.diagnoseLab(`vm ${GUEST1} cannot reach the host`, [GUEST1], ["host_guest"]);
    const user = lab.nonRootUser!;
    const file = join(lab.dir, "inventory-nonroot.yml");
    writeFileSync(
      file,
      [
        "all:",
        "  hosts:",
        `    ${lab.hostName}:`,
        `      ansible_host: ${lab.address}`,
        `      ansible_user: ${user.name}`,
        `      ansible_ssh_private_key_file: ${user.keyFile}`,
        "",
      ].join("\n"),
    );
    const unprivileged = w.make({
      inventory: loadInventory(file),
      connect: (h) => connectHost(h, { knownHosts: lab.knownHostsFile, connectTimeoutMs: 5_000 }),
    });
    const sink = await click(
      "run_fix",
      result.incident,
      "tap_not_enslaved",
      APPROVER,
      recordingSink(),
      unprivileged,
    );
    const [fix] = fixesOf(result.incident);
    expect(fix?.state).toBe("failed");
    expect(sink.replies.at(-1)?.text).toMatch(
      /could not record the current values[\s\S]*sudo[\s\S]*Nothing was changed/,
    );
    expect(actions(result.incident)).not.toContain("fix_fix");
    expect((await linkState(lab, "vnet0")).master).toBeNull();
  });

  it("cancels the dead-man timer of a risky fix once it is verified, so the fix stays", async () => {
    // Long enough that verification (a few seconds) ends well before it would fire.
    const quick = w.make({ deadmanSeconds: 20 });
    await inject("bridge_down");
    const result = await w.diagnoseLab("all guests on br0 lost the network", [GUEST1], []);
    expect(result.hosts[0]?.causes.map((c) => c.id)).toContain("bridge_down");
    const sink = await click("run_fix", result.incident, "bridge_down", APPROVER, recordingSink(), quick);
    const returned = Date.now();
    const [fix] = fixesOf(result.incident);
    expect(fix?.state).toBe("verified");
    expect(fix?.risky).toBe(true);
    expect(sink.replies.map((r) => r.text).join("\n")).toMatch(
      /dead-man timer \(pid \d+\) rolls it back in 20 s/,
    );
    const cancel = listAudit(w.db, { incidentId: result.incident }).find(
      (e) => e.action === "fix_cancel_deadman",
    );
    expect(cancel?.detail.exitCode).toBe(0);
    // Past the latest moment the timer could have fired (it was armed before the click returned).
    await new Promise((r) => setTimeout(r, Math.max(0, returned + 22_000 - Date.now())));
    expect((await linkState(lab, "br0")).up).toBe(true);
    expect(await pings(lab, "vm1", BR0)).toBe(true);
  });

  it("never reports a risky fix as verified when its dead-man timer fired first", async () => {
    const short = w.make({ deadmanSeconds: 2 });
    await inject("bridge_down");
    const result = await w.diagnoseLab("all guests on br0 lost the network", [GUEST1], []);
    // Verification is slow this time (the thread is busy): the 2 s timer fires and takes br0 down again.
    const sink = recordingSink(async (reply) => {
      if (reply.text.startsWith("Verification on")) await new Promise((r) => setTimeout(r, 3_500));
    });
    await click("run_fix", result.incident, "bridge_down", APPROVER, sink, short);
    const [fix] = fixesOf(result.incident);
    expect(fix?.state).toBe("rolled_back");
    expect(fix?.result?.stillFires).toBe(true);
    const cancel = listAudit(w.db, { incidentId: result.incident }).find(
      (e) => e.action === "fix_cancel_deadman",
    );
    expect(cancel?.detail.exitCode).not.toBe(0);
    expect((await linkState(lab, "br0")).up).toBe(false);
    expect(
      w.db.prepare("SELECT COUNT(*) AS n FROM cases WHERE incident_id = ?").get(result.incident),
    ).toEqual({
      n: 0,
    });
  });

  it("reports and audits a host that dies mid-fix without hanging, and the dead-man timer rolls the risky fix back", async () => {
    const dying = w.make({ deadmanSeconds: 12, commandTimeoutMs: 4_000, connectTimeoutMs: 3_000 });
    await inject("bridge_down");
    const result = await w.diagnoseLab("all guests on br0 lost the network", [], []);
    const finding = result.hosts[0]?.causes.find((c) => c.id === "bridge_down");
    expect(finding?.fix).toContain("ip link set br0 up");
    // The management link goes down right after the fix commands ran (the thread shows their output).
    let cut = false;
    const sink = recordingSink(async (reply) => {
      if (!cut && reply.text.startsWith("Fix on")) {
        cut = true;
        await lab.exec("host", ["ip", "link", "set", "mgmt0", "down"]);
      }
    });
    const started = Date.now();
    await click("run_fix", result.incident, "bridge_down", APPROVER, sink, dying);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(cut).toBe(true);
    const [fix] = fixesOf(result.incident);
    expect(fix?.state).toBe("failed");
    expect(fix?.risky).toBe(true);
    const texts = sink.replies.map((r) => r.text).join("\n");
    expect(texts).toMatch(/dead-man timer \(pid \d+\)/);
    expect(texts).toMatch(/lost hmfkvm01 while running `verification`/);
    const trail = actions(result.incident);
    expect(trail).toContain("fix_deadman");
    expect(trail.at(-1)).toBe("fix_failed");
    // Nobody could reach the host, so its own timer puts br0 back as it was (down).
    const deadline = Date.now() + 20_000;
    let up = true;
    while (Date.now() < deadline && up) {
      const r = await lab.exec("host", ["ip", "-j", "link", "show", "dev", "br0"]);
      up = (JSON.parse(r.stdout) as { flags: string[] }[])[0]?.flags.includes("UP") ?? true;
      if (up) await new Promise((res) => setTimeout(res, 500));
    }
    expect(up).toBe(false);
    expect(existsSync(lab.keyFile)).toBe(true);
  }, 120_000);
});
