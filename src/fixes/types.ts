import type { FindingCommands, Language } from "../diagnosis/types.js";

/** The approval state machine of a fix (see migrations/0002_fixes.sql). */
export type FixState =
  | "proposed"
  | "approved"
  | "rejected"
  | "expired"
  | "running"
  | "verified"
  | "failed"
  | "rolled_back";

/** Which state may follow which; every transition is a guarded UPDATE on the current state. */
export const TRANSITIONS: Record<FixState, readonly FixState[]> = {
  proposed: ["approved", "rejected", "expired"],
  // Back to proposed when another fix holds the host; expired when the re-diagnosis refuses;
  // failed when the host cannot be reached.
  approved: ["running", "expired", "proposed", "failed"],
  rejected: [],
  expired: [],
  running: ["verified", "failed", "rolled_back"],
  verified: ["rolled_back"],
  failed: [],
  rolled_back: [],
};

/** One command that ran on the host, with its (trimmed) output. */
export interface CommandRun {
  step: "record" | "deadman" | "fix" | "verify" | "rollback" | "restore" | "cancel_deadman";
  command: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

/** A proposal row, parsed. */
export interface Fix {
  id: number;
  incidentId: number;
  host: string;
  cause: string;
  commands: FindingCommands;
  risky: boolean;
  evidenceSha256: string;
  evidenceAt: string;
  state: FixState;
  proposedBy: string;
  approvedBy: string | null;
  rolledBackBy: string | null;
  reason: string | null;
  recorded: RecordedValue[] | null;
  outputs: CommandRun[];
  result: FixResult | null;
  createdAt: string;
  expiresAt: string;
  updatedAt: string;
}

/** The value of one thing a fix changes, captured before it runs (§5.3 of the catalog). */
export interface RecordedValue {
  kind: "sysctl" | "iptables" | "nft" | "link" | "bridge_port" | "addresses" | "routes";
  /** The read-only command that captured it. */
  command: string;
  /** Device or sysctl key it concerns; absent for whole rulesets. */
  key?: string;
  /** Raw output of the command (what the restore puts back). */
  value: string;
}

export interface FixResult {
  outcome: "verified" | "failed" | "rolled_back";
  /** The cause still fired after the fix (verification). */
  stillFires?: boolean;
  /** Recorded values equal the values after the rollback. */
  restored?: boolean;
  error?: string;
}

export interface AuditEvent {
  id: number;
  at: string;
  actor: string;
  action: string;
  host: string | null;
  incident_id: number | null;
  fix_id: number | null;
  detail: Record<string, unknown>;
}

export interface FixActor {
  /** Chat user id, "console" or the local user name (CLI). */
  id: string;
  source: "slack" | "console" | "cli";
}

export interface RunFixOptions {
  /** The CLI has already asked, or --yes was given. */
  yes?: boolean;
  language?: Language;
}
