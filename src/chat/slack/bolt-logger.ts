import { type Logger as BoltLogger, LogLevel } from "@slack/bolt";
import type { Logger } from "../../log.js";

const TO_BOLT: Record<string, LogLevel> = {
  trace: LogLevel.DEBUG,
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
  error: LogLevel.ERROR,
  fatal: LogLevel.ERROR,
  silent: LogLevel.ERROR,
};

function line(parts: unknown[]): string {
  return parts
    .map((p) => (typeof p === "string" ? p : p instanceof Error ? p.message : JSON.stringify(p)))
    .join(" ");
}

/** Bolt and the Slack SDK log through hostmedic's pino logger (and its secret masking). */
export function boltLogger(log: Logger): BoltLogger {
  const child = log.child({ component: "bolt" });
  return {
    debug: (...m: unknown[]) => child.debug(line(m)),
    info: (...m: unknown[]) => child.info(line(m)),
    warn: (...m: unknown[]) => child.warn(line(m)),
    error: (...m: unknown[]) => child.error(line(m)),
    setLevel: () => {},
    getLevel: () => TO_BOLT[log.level] ?? LogLevel.INFO,
    setName: () => {},
  };
}
