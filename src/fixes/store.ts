import { hostname } from "node:os";
import type Database from "better-sqlite3";
import { commandsColumn, guard, jsonColumn } from "../store/incidents.js";
import {
  type AuditEvent,
  type CommandRun,
  type Fix,
  type FixResult,
  type FixState,
  type RecordedValue,
  TRANSITIONS,
} from "./types.js";

interface FixRow {
  id: number;
  incident_id: number;
  host: string;
  cause: string;
  commands: string;
  risky: number;
  evidence_sha256: string;
  evidence_at: string;
  state: FixState;
  proposed_by: string;
  approved_by: string | null;
  rolled_back_by: string | null;
  reason: string | null;
  recorded: string | null;
  outputs: string;
  result: string | null;
  created_at: string;
  expires_at: string;
  updated_at: string;
}

function toFix(r: FixRow): Fix {
  return {
    id: r.id,
    incidentId: r.incident_id,
    host: r.host,
    cause: r.cause,
    commands: commandsColumn(r.commands),
    risky: r.risky === 1,
    evidenceSha256: r.evidence_sha256,
    evidenceAt: r.evidence_at,
    state: r.state,
    proposedBy: r.proposed_by,
    approvedBy: r.approved_by,
    rolledBackBy: r.rolled_back_by,
    reason: r.reason,
    recorded: jsonColumn<RecordedValue[] | null>(r.recorded, null),
    outputs: jsonColumn<CommandRun[]>(r.outputs, []),
    result: jsonColumn<FixResult | null>(r.result, null),
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    updatedAt: r.updated_at,
  };
}

/** What a proposal is made of; the store adds the id, state, approvals, outputs and timestamps. */
export type NewProposal = Pick<
  Fix,
  | "incidentId"
  | "host"
  | "cause"
  | "commands"
  | "risky"
  | "evidenceSha256"
  | "evidenceAt"
  | "proposedBy"
  | "expiresAt"
>;

/** Fields a transition may set along with the new state. */
export interface TransitionPatch {
  approvedBy?: string;
  rolledBackBy?: string;
  reason?: string;
  recorded?: RecordedValue[];
  result?: FixResult;
  evidenceSha256?: string;
  evidenceAt?: string;
  expiresAt?: string;
}

export class TransitionError extends Error {
  constructor(from: FixState, to: FixState) {
    super(`a fix cannot go from ${from} to ${to}`);
    this.name = "TransitionError";
  }
}

const OWNER = `${process.pid}@${hostname()}`;

/** Proposals, their guarded state changes, the per-host lock and the audit trail. */
export class FixStore {
  constructor(
    readonly db: Database.Database,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private iso(): string {
    return this.now().toISOString();
  }

  get(id: number): Fix | undefined {
    const row = this.db.prepare("SELECT * FROM fixes WHERE id = ?").get(id) as FixRow | undefined;
    return row && toFix(row);
  }

  /** The live proposal (not ended) for this incident, host and cause, if any. */
  live(incidentId: number, host: string, cause: string): Fix | undefined {
    const row = this.db
      .prepare(
        `SELECT * FROM fixes WHERE incident_id = ? AND host = ? AND cause = ?
         AND state IN ('proposed','approved','running','verified') ORDER BY id DESC LIMIT 1`,
      )
      .get(incidentId, host, cause) as FixRow | undefined;
    return row && toFix(row);
  }

  /** The newest proposal of any state for this incident, host and cause. */
  latest(incidentId: number, host: string, cause: string): Fix | undefined {
    const row = this.db
      .prepare(
        "SELECT * FROM fixes WHERE incident_id = ? AND host = ? AND cause = ? ORDER BY id DESC LIMIT 1",
      )
      .get(incidentId, host, cause) as FixRow | undefined;
    return row && toFix(row);
  }

  byIncident(incidentId: number): Fix[] {
    return (
      this.db.prepare("SELECT * FROM fixes WHERE incident_id = ? ORDER BY id").all(incidentId) as FixRow[]
    ).map(toFix);
  }

  /**
   * Creates the proposal unless a live one exists (the partial unique index decides between two
   * processes proposing at once); returns the live one either way.
   */
  propose(p: NewProposal): Fix {
    return guard("record the fix proposal", () => {
      this.db
        .prepare(
          `INSERT OR IGNORE INTO fixes (incident_id, host, cause, commands, risky, evidence_sha256, evidence_at,
             proposed_by, created_at, expires_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          p.incidentId,
          p.host,
          p.cause,
          JSON.stringify(p.commands),
          p.risky ? 1 : 0,
          p.evidenceSha256,
          p.evidenceAt,
          p.proposedBy,
          this.iso(),
          p.expiresAt,
          this.iso(),
        );
      const fix = this.live(p.incidentId, p.host, p.cause);
      if (!fix) throw new Error("the fix proposal vanished right after it was recorded");
      return fix;
    });
  }

  /**
   * Moves a fix from `from` to `to` only if it is still in `from`: returns false when someone else
   * moved it first (the double click), so exactly one caller proceeds.
   */
  transition(id: number, from: FixState, to: FixState, patch: TransitionPatch = {}): boolean {
    if (!TRANSITIONS[from].includes(to)) throw new TransitionError(from, to);
    const sets = ["state = ?", "updated_at = ?"];
    const args: unknown[] = [to, this.iso()];
    const add = (col: string, v: unknown) => {
      sets.push(`${col} = ?`);
      args.push(v);
    };
    if (patch.approvedBy !== undefined) add("approved_by", patch.approvedBy);
    if (patch.rolledBackBy !== undefined) add("rolled_back_by", patch.rolledBackBy);
    if (patch.reason !== undefined) add("reason", patch.reason);
    if (patch.recorded !== undefined) add("recorded", JSON.stringify(patch.recorded));
    if (patch.result !== undefined) add("result", JSON.stringify(patch.result));
    if (patch.evidenceSha256 !== undefined) add("evidence_sha256", patch.evidenceSha256);
    if (patch.evidenceAt !== undefined) add("evidence_at", patch.evidenceAt);
    if (patch.expiresAt !== undefined) add("expires_at", patch.expiresAt);
    return guard("change the state of the fix", () => {
      const info = this.db
        .prepare(`UPDATE fixes SET ${sets.join(", ")} WHERE id = ? AND state = ?`)
        .run(...args, id, from);
      return info.changes === 1;
    });
  }

  /** Fixes left approved or running by a process that stopped (nothing touched them since `before`). */
  abandoned(before: string): Fix[] {
    return (
      this.db
        .prepare("SELECT * FROM fixes WHERE state IN ('approved','running') AND updated_at < ? ORDER BY id")
        .all(before) as FixRow[]
    ).map(toFix);
  }

  /** Values captured before the fix, kept as soon as they exist (a crash mid-fix still has them). */
  setRecorded(id: number, recorded: RecordedValue[]): void {
    guard("record the values before the fix", () =>
      this.db
        .prepare("UPDATE fixes SET recorded = ?, updated_at = ? WHERE id = ?")
        .run(JSON.stringify(recorded), this.iso(), id),
    );
  }

  appendOutput(id: number, run: CommandRun): void {
    guard("record the fix output", () =>
      this.db
        .prepare(
          "UPDATE fixes SET outputs = json_insert(outputs, '$[#]', json(?)), updated_at = ? WHERE id = ?",
        )
        .run(JSON.stringify(run), this.iso(), id),
    );
  }

  /**
   * Takes the per-host lock for a fix. A lock older than `staleMs` belongs to a process that died
   * mid-fix (every step has a timeout, so a live one never holds it that long) and is taken over.
   */
  lockHost(host: string, fixId: number, staleMs: number): boolean {
    return guard("lock the host for the fix", () =>
      this.db.transaction(() => {
        const cutoff = new Date(this.now().getTime() - staleMs).toISOString();
        this.db.prepare("DELETE FROM fix_locks WHERE host = ? AND acquired_at < ?").run(host, cutoff);
        const info = this.db
          .prepare("INSERT OR IGNORE INTO fix_locks (host, fix_id, owner, acquired_at) VALUES (?, ?, ?, ?)")
          .run(host, fixId, OWNER, this.iso());
        return info.changes === 1;
      })(),
    );
  }

  unlockHost(host: string, fixId: number): void {
    guard("unlock the host", () =>
      this.db.prepare("DELETE FROM fix_locks WHERE host = ? AND fix_id = ?").run(host, fixId),
    );
  }

  lockHolder(host: string): number | undefined {
    const row = this.db.prepare("SELECT fix_id FROM fix_locks WHERE host = ?").get(host) as
      | { fix_id: number }
      | undefined;
    return row?.fix_id;
  }

  audit(e: {
    actor: string;
    action: string;
    host?: string;
    incidentId?: number;
    fixId?: number;
    detail?: Record<string, unknown>;
  }): void {
    guard("append to the audit trail", () =>
      this.db
        .prepare(
          "INSERT INTO audit_events (at, actor, action, host, incident_id, fix_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .run(
          this.iso(),
          e.actor,
          e.action,
          e.host ?? null,
          e.incidentId ?? null,
          e.fixId ?? null,
          JSON.stringify(e.detail ?? {}),
        ),
    );
  }
}

/** Reads the audit trail, oldest first. */
export function listAudit(
  db: Database.Database,
  filter: { host?: string; since?: string; incidentId?: number; fixId?: number; limit?: number } = {},
): AuditEvent[] {
  const where: string[] = [];
  const args: unknown[] = [];
  if (filter.host) {
    where.push("host = ?");
    args.push(filter.host);
  }
  if (filter.since) {
    where.push("at >= ?");
    args.push(filter.since);
  }
  if (filter.incidentId !== undefined) {
    where.push("incident_id = ?");
    args.push(filter.incidentId);
  }
  if (filter.fixId !== undefined) {
    where.push("fix_id = ?");
    args.push(filter.fixId);
  }
  const sql = `SELECT * FROM audit_events ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id LIMIT ?`;
  const rows = db.prepare(sql).all(...args, filter.limit ?? 10_000) as (Omit<AuditEvent, "detail"> & {
    detail: string;
  })[];
  return rows.map((r) => ({ ...r, detail: jsonColumn<Record<string, unknown>>(r.detail, {}) }));
}
