/** A probe is one read-only command with a timeout and a parser (DESIGN.md vocabulary). */
export interface ProbeContext {
  /** IPv4 targets named in the request, already validated against a strict pattern. */
  targets: string[];
}

export interface Probe<T = unknown> {
  /** Stable id, used as the fact name (`links`, `routes`, ...). */
  id: string;
  /** The shell command; any value filled in comes from ctx and is validated before use. */
  command(ctx: ProbeContext): string;
  timeoutMs: number;
  /** Needs root (runs through `sudo -n` for other users). */
  root: boolean;
  /** Sends packets (ping, arping): run only when the request names targets. */
  active?: boolean;
  /** The binary whose absence (exit 127) means "not installed", not an error. */
  tool: string;
  /** Pure: output → typed fact. Throws ParseError on output it cannot read. */
  parse(stdout: string, ctx: ProbeContext): T;
}

export type EvidenceStatus =
  | "ok"
  | "missing_tool"
  | "permission_denied"
  | "timeout"
  | "failed"
  | "parse_error"
  | "skipped";

/** The raw output of one probe on one host, kept with the incident. */
export interface Evidence {
  probe: string;
  command: string;
  stdout: string;
  stderr: string;
  exitCode: number | null;
  durationMs: number;
  truncated: boolean;
  status: EvidenceStatus;
  /** Why the status is not ok, or a parser's complaint, in words for the user. */
  note?: string;
}

/** Everything collected from one host for one request; also the replay format. */
export interface EvidenceBundle {
  version: 1;
  host: string;
  /** ISO 8601. */
  time: string;
  targets: string[];
  evidence: Evidence[];
}

export class ParseError extends Error {
  constructor(
    readonly probe: string,
    message: string,
  ) {
    super(message);
    this.name = "ParseError";
  }
}
