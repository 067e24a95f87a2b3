import type { Evidence } from "../probes/types.js";

/** How one host ended up; every status but `diagnosed` carries an error message (CONTRACT.md). */
export type HostStatus =
  | "diagnosed"
  | "unreachable"
  | "auth_failed"
  | "host_key_unknown"
  | "host_key_changed"
  | "timeout"
  | "error";

export type FailureStatus = Exclude<HostStatus, "diagnosed">;

export interface ExecOptions {
  /** The remote command is killed when it runs longer than this. */
  timeoutMs: number;
  /** stdout and stderr are each cut at this many bytes and marked truncated. Default 1 MiB. */
  maxBytes?: number;
  /** Run through `sudo -n` when the login user is not root. */
  root?: boolean;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** null when the command was killed (timeout) or the channel died. */
  exitCode: number | null;
  durationMs: number;
  truncated: boolean;
  timedOut: boolean;
  /** sudo -n wanted a password, or the command said "Permission denied"/"Operation not permitted". */
  permissionDenied: boolean;
}

/** One command of a batch, with its own timeout, cap and sudo. */
export interface BatchItem {
  command: string;
  options: ExecOptions;
}

/** One live way of running commands on one host: ssh2, a local child process, or a replayed bundle. */
export interface Transport {
  readonly host: string;
  readonly kind: "ssh" | "local" | "replay";
  exec(command: string, options: ExecOptions): Promise<ExecResult>;
  /**
   * Optional: runs many commands at once in one session (each with its own timeout, cap and sudo),
   * calling onResult as each one finishes. Rejects with a TransportError when the connection is lost;
   * results already given stay valid.
   */
  execBatch?(items: BatchItem[], onResult: (index: number, result: ExecResult) => void): Promise<void>;
  close(): Promise<void>;
}

/** A host-level failure (cannot connect, key refused, ...): the status goes into the report as is. */
export class TransportError extends Error {
  /** What was collected before the connection failed (set by collect), so nothing is lost. */
  partial?: Evidence[];

  constructor(
    readonly status: FailureStatus,
    message: string,
    /** What the user can do about it, in one sentence. */
    readonly hint?: string,
  ) {
    super(message);
    this.name = "TransportError";
  }
}
