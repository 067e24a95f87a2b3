import pino, { type Logger } from "pino";
import type { LogLevel } from "./config.js";

export type { Logger };

/**
 * JSON lines for the services; the console gets readable lines on stderr so they do not mix with
 * the chat on stdout. Secrets are redacted by path and by value.
 */
export function createLogger(options: { level: LogLevel; pretty?: boolean; secrets?: string[] }): Logger {
  const secrets = options.secrets ?? [];
  const mask = (s: string) => secrets.reduce((acc, secret) => acc.split(secret).join("[redacted]"), s);
  const opts: pino.LoggerOptions = {
    level: options.level,
    base: { app: "hostmedic" },
    redact: {
      paths: [
        "token",
        "*.token",
        "botToken",
        "appToken",
        "signingSecret",
        "passphrase",
        "*.passphrase",
        "headers.authorization",
      ],
      censor: "[redacted]",
    },
    hooks: {
      logMethod(args, method) {
        method.apply(
          this,
          args.map((a) => (typeof a === "string" ? mask(a) : a)) as Parameters<typeof method>,
        );
      },
    },
  };
  if (options.pretty) {
    return pino(
      opts,
      pino.transport({
        target: "pino-pretty",
        options: { destination: 2, colorize: false, translateTime: "SYS:HH:MM:ss" },
      }),
    );
  }
  return pino(opts);
}
