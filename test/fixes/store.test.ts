import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FixStore, listAudit, TransitionError } from "../../src/fixes/store.js";
import { IncidentStore } from "../../src/store/incidents.js";
import { tempDb } from "../store/helpers.js";

const COMMANDS = {
  check: ["ip -d link show vnet0"],
  fix: ["ip link set vnet0 master br0"],
  rollback: ["ip link set vnet0 nomaster"],
  verify: ["bridge -j link show dev vnet0"],
};

describe("FixStore: the approval state machine in SQLite", () => {
  let t: ReturnType<typeof tempDb>;
  let store: FixStore;
  let incident: number;
  let now: Date;

  beforeEach(() => {
    t = tempDb();
    now = new Date("2026-11-30T01:00:00.000Z");
    store = new FixStore(t.db, () => now);
    incident = new IncidentStore(t.db).create({
      requestedBy: "UASK",
      source: "slack",
      symptom: "vm cannot reach the host",
      categories: [],
      targets: [],
      hosts: ["kvm01"],
      language: "en",
    });
  });
  afterEach(() => t.close());

  const propose = (cause = "tap_not_enslaved") =>
    store.propose({
      incidentId: incident,
      host: "kvm01",
      cause,
      commands: COMMANDS,
      risky: false,
      evidenceSha256: "a".repeat(64),
      evidenceAt: now.toISOString(),
      proposedBy: "UASK",
      expiresAt: new Date(now.getTime() + 30 * 60_000).toISOString(),
    });

  it("keeps one live proposal per incident, host and cause", () => {
    const a = propose();
    const b = propose();
    expect(b.id).toBe(a.id);
    expect(a).toMatchObject({ state: "proposed", commands: COMMANDS, proposedBy: "UASK", risky: false });
    expect(propose("bridge_down").id).not.toBe(a.id);
    // Once it has ended, the same cause may be proposed again.
    expect(store.transition(a.id, "proposed", "expired", { reason: "cause gone" })).toBe(true);
    expect(propose().id).not.toBe(a.id);
  });

  it("moves a proposal only from the state it is in: the second of two approvals changes nothing", () => {
    const f = propose();
    expect(store.transition(f.id, "proposed", "approved", { approvedBy: "U1" })).toBe(true);
    expect(store.transition(f.id, "proposed", "approved", { approvedBy: "U2" })).toBe(false);
    expect(store.get(f.id)).toMatchObject({ state: "approved", approvedBy: "U1" });
    expect(store.transition(f.id, "approved", "running")).toBe(true);
    expect(store.transition(f.id, "running", "verified", { result: { outcome: "verified" } })).toBe(true);
    expect(store.get(f.id)?.result).toEqual({ outcome: "verified" });
  });

  it("refuses transitions the state machine does not have", () => {
    const f = propose();
    expect(() => store.transition(f.id, "proposed", "running")).toThrow(TransitionError);
    expect(() => store.transition(f.id, "verified", "proposed")).toThrow(
      /cannot go from verified to proposed/,
    );
    expect(() => store.transition(f.id, "failed", "running")).toThrow(TransitionError);
    expect(store.get(f.id)?.state).toBe("proposed");
  });

  it("rejects a state the table does not know even through raw SQL", () => {
    const f = propose();
    expect(() => t.db.prepare("UPDATE fixes SET state = 'done' WHERE id = ?").run(f.id)).toThrow(/CHECK/);
  });

  it("lets one fix at a time hold a host, and takes over a lock left by a dead process", () => {
    const a = propose();
    const b = propose("bridge_down");
    expect(store.lockHost("kvm01", a.id, 60_000)).toBe(true);
    expect(store.lockHost("kvm01", b.id, 60_000)).toBe(false);
    expect(store.lockHolder("kvm01")).toBe(a.id);
    expect(store.lockHost("kvm02", b.id, 60_000)).toBe(true);
    // b cannot release a's lock.
    store.unlockHost("kvm01", b.id);
    expect(store.lockHolder("kvm01")).toBe(a.id);
    now = new Date(now.getTime() + 61_000);
    expect(store.lockHost("kvm01", b.id, 60_000)).toBe(true);
    expect(store.lockHolder("kvm01")).toBe(b.id);
    store.unlockHost("kvm01", b.id);
    expect(store.lockHolder("kvm01")).toBeUndefined();
  });

  it("keeps outputs in order and the recorded values", () => {
    const f = propose();
    const run = {
      step: "fix" as const,
      command: "ip link set vnet0 up",
      exitCode: 0,
      stdout: "",
      stderr: "",
      durationMs: 3,
      timedOut: false,
    };
    store.appendOutput(f.id, run);
    store.appendOutput(f.id, { ...run, command: "ip link set vnet0 master br0" });
    store.setRecorded(f.id, [
      { kind: "link", key: "vnet0", command: "ip -j -d link show dev vnet0", value: "[]" },
    ]);
    const got = store.get(f.id);
    expect(got?.outputs.map((o) => o.command)).toEqual([
      "ip link set vnet0 up",
      "ip link set vnet0 master br0",
    ]);
    expect(got?.recorded?.[0]?.key).toBe("vnet0");
  });

  it("writes an append-only audit trail that filters by host and time", () => {
    const f = propose();
    store.audit({ actor: "U1", action: "click_run_fix", host: "kvm01", incidentId: incident, fixId: f.id });
    now = new Date("2026-11-30T02:00:00.000Z");
    store.audit({
      actor: "U1",
      action: "fix_fix",
      host: "kvm01",
      incidentId: incident,
      fixId: f.id,
      detail: { command: "x" },
    });
    store.audit({ actor: "U2", action: "fix_fix", host: "kvm02" });
    expect(listAudit(t.db, { host: "kvm01" }).map((e) => e.action)).toEqual(["click_run_fix", "fix_fix"]);
    expect(listAudit(t.db, { since: "2026-11-30T01:30:00.000Z" }).map((e) => e.host)).toEqual([
      "kvm01",
      "kvm02",
    ]);
    expect(listAudit(t.db, { fixId: f.id })[1]?.detail).toEqual({ command: "x" });
    expect(() => t.db.prepare("UPDATE audit_events SET actor = 'x'").run()).toThrow(/append-only/);
    expect(() => t.db.prepare("DELETE FROM audit_events").run()).toThrow(/append-only/);
  });
});
