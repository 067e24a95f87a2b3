import type { Transport } from "../transport/types.js";
import type { CommandRun } from "./types.js";

/** Output shown in the thread and kept in the audit trail is cut to this many characters. */
export const TRIM = 1500;

export function trim(s: string, max = TRIM): string {
  return s.length > max ? `${s.slice(0, max)}\n… (${s.length - max} more characters)` : s;
}

export interface Remote {
  /** Runs one command as root with a timeout; never throws (a lost host is `lost: true`). */
  run(step: CommandRun["step"], command: string): Promise<CommandRun & { lost: boolean; full: string }>;
}

const CONNECTION_LOST =
  /not connected|connection (lost|closed|reset)|ECONNRESET|EPIPE|socket|channel|closed/i;

/**
 * Wraps a transport for the fix: every command runs through `sudo -n` when the login user is not
 * root (the transport decides), with a timeout, and a dead connection becomes a result, not a hang.
 */
export function remote(transport: Transport, timeoutMs: number): Remote {
  let lost = false;
  return {
    async run(step, command) {
      const started = Date.now();
      if (lost)
        return {
          step,
          command,
          exitCode: null,
          stdout: "",
          stderr: "not run: the connection to the host was lost",
          durationMs: 0,
          timedOut: false,
          lost: true,
          full: "",
        };
      // A second timer in case the transport's own timeout never fires (a half-dead TCP connection).
      let timer: NodeJS.Timeout | undefined;
      const guard = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${timeoutMs + 5000} ms`)),
          timeoutMs + 5000,
        );
      });
      try {
        const r = await Promise.race([transport.exec(command, { timeoutMs, root: true }), guard]);
        if (r.timedOut) lost = r.exitCode === null;
        return {
          step,
          command,
          exitCode: r.exitCode,
          stdout: trim(r.stdout),
          stderr: trim(r.stderr),
          durationMs: r.durationMs,
          timedOut: r.timedOut,
          lost: r.timedOut && r.exitCode === null,
          full: r.stdout,
        };
      } catch (err) {
        const message = (err as Error).message ?? String(err);
        lost = true;
        return {
          step,
          command,
          exitCode: null,
          stdout: "",
          stderr: CONNECTION_LOST.test(message) ? `connection lost: ${message}` : message,
          durationMs: Date.now() - started,
          timedOut: /within/.test(message),
          lost: true,
          full: "",
        };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Bounds any promise (connect, collect) so nothing in a fix waits forever. */
export async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what} took longer than ${Math.round(ms / 1000)} s`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
