import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnv } from "node:util";

/** The package root, from src/ or dist/src/. */
export const PACKAGE_ROOT = resolve(
  dirname(fileURLToPath(import.meta.url)),
  import.meta.url.includes("/dist/") ? "../.." : "..",
);

export type RunMode = "socket" | "http" | "console";

export interface SlackConfig {
  botToken?: string;
  appToken?: string;
  signingSecret?: string;
  apiUrl: string;
}

/** Everything hostmedic reads from its environment; nothing else reads process.env. */
export interface Config {
  db: string;
  inventory: string;
  knownHosts: string;
  sshKey?: string;
  sshKeyPassphrase?: string;
  agentSocket?: string;
  connectTimeoutMs: number;
  approvers: string[];
  allowSelfApprove: boolean;
  fixExpiryMinutes: number;
  rulesDir: string;
  slack: SlackConfig;
  port: number;
  logLevel: LogLevel;
  mode: RunMode;
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`configuration is not valid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

/** Values from a .env file fill in what the environment does not already set. */
export function readDotEnv(file: string, env: Env): Env {
  if (!existsSync(file)) return env;
  const parsed = parseEnv(readFileSync(file, "utf8")) as Record<string, string>;
  return { ...parsed, ...env };
}

function expandHome(p: string): string {
  return p === "~" || p.startsWith("~/") ? join(homedir(), p.slice(1)) : p;
}

const APPROVER = /^[UWS][A-Z0-9]{2,20}$/;

export function loadConfig(rawEnv: Env = process.env, dotEnvFile: string | null = ".env"): Config {
  const env = dotEnvFile ? readDotEnv(dotEnvFile, rawEnv) : rawEnv;
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === "" ? undefined : v;
  };
  const int = (name: string, fallback: number, min: number, max: number, what: string): number => {
    const v = get(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      problems.push(`${name}: expected ${what} (${min}-${max}), got "${v}"`);
      return fallback;
    }
    return Number(v);
  };
  const bool = (name: string): boolean => {
    const v = get(name)?.toLowerCase();
    if (v === undefined) return false;
    if (["true", "1", "yes"].includes(v)) return true;
    if (["false", "0", "no"].includes(v)) return false;
    problems.push(`${name}: expected true or false, got "${v}"`);
    return false;
  };

  const approvers = (get("MEDIC_APPROVERS") ?? "")
    .split(/[\s,]+/)
    .filter(Boolean)
    .filter((id) => {
      if (APPROVER.test(id)) return true;
      problems.push(
        `MEDIC_APPROVERS: "${id}" is not a Slack user id (U…/W…) or user-group id (S…); separate ids with commas`,
      );
      return false;
    });

  const logLevel = (get("LOG_LEVEL") ?? "info").toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    problems.push(`LOG_LEVEL: expected one of ${LOG_LEVELS.join(", ")}, got "${logLevel}"`);

  const slack: SlackConfig = {
    botToken: get("SLACK_BOT_TOKEN"),
    appToken: get("SLACK_APP_TOKEN"),
    signingSecret: get("SLACK_SIGNING_SECRET"),
    apiUrl: get("SLACK_API_URL") ?? "https://slack.com/api/",
  };
  if (slack.botToken && !slack.botToken.startsWith("xoxb-"))
    problems.push("SLACK_BOT_TOKEN: expected a bot token starting with xoxb-");
  if (slack.appToken && !slack.appToken.startsWith("xapp-"))
    problems.push("SLACK_APP_TOKEN: expected an app-level token starting with xapp-");
  if (!/^https?:\/\/[^\s]+$/.test(slack.apiUrl))
    problems.push(`SLACK_API_URL: expected an http(s) URL, got "${slack.apiUrl}"`);
  // Not echoed: user:password@ in it would be a secret, and fetch refuses such URLs anyway.
  else if (/^https?:\/\/[^/]*@/.test(slack.apiUrl))
    problems.push(
      "SLACK_API_URL: must not contain user:password@ (it would end up in logs; fetch refuses it)",
    );
  else if (!slack.apiUrl.endsWith("/")) slack.apiUrl += "/";

  let mode: RunMode = "console";
  if (slack.botToken && slack.appToken) mode = "socket";
  else if (slack.botToken && slack.signingSecret) mode = "http";
  else if (slack.botToken || slack.appToken || slack.signingSecret)
    problems.push(
      "SLACK_BOT_TOKEN with SLACK_APP_TOKEN (Socket Mode) or with SLACK_SIGNING_SECRET (HTTP) is needed to connect to Slack; unset them all to use the console",
    );

  const sshKey = get("MEDIC_SSH_KEY");
  if (sshKey && !existsSync(expandHome(sshKey)))
    problems.push(`MEDIC_SSH_KEY: the key file ${sshKey} does not exist`);

  const config: Config = {
    db: expandHome(get("MEDIC_DB") ?? "./data/hostmedic.db"),
    inventory: expandHome(get("MEDIC_INVENTORY") ?? "./inventory.yml"),
    knownHosts: expandHome(get("MEDIC_KNOWN_HOSTS") ?? "~/.ssh/known_hosts"),
    sshKey: sshKey ? expandHome(sshKey) : undefined,
    sshKeyPassphrase: get("MEDIC_SSH_KEY_PASSPHRASE"),
    agentSocket: get("SSH_AUTH_SOCK"),
    connectTimeoutMs: int("MEDIC_CONNECT_TIMEOUT_MS", 8000, 100, 600_000, "milliseconds"),
    approvers,
    allowSelfApprove: bool("MEDIC_ALLOW_SELF_APPROVE"),
    fixExpiryMinutes: int("MEDIC_FIX_EXPIRY_MINUTES", 30, 1, 1440, "minutes"),
    rulesDir: expandHome(get("MEDIC_RULES") ?? join(PACKAGE_ROOT, "rules")),
    slack,
    port: int("PORT", 3000, 1, 65535, "a TCP port number"),
    logLevel: logLevel as LogLevel,
    mode,
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** The inventory is needed to reach any host but localhost; say exactly what is missing. */
export function requireInventory(config: Config): string {
  if (!existsSync(config.inventory))
    throw new ConfigError([
      `MEDIC_INVENTORY: the inventory file ${config.inventory} does not exist; write an Ansible-style inventory (YAML or INI, see README) or point MEDIC_INVENTORY at one`,
    ]);
  return config.inventory;
}

/** Secrets to mask wherever text leaves the process (logs, chat). */
export function secretsOf(config: Config): string[] {
  return [
    config.slack.botToken,
    config.slack.appToken,
    config.slack.signingSecret,
    config.sshKeyPassphrase,
  ].filter((s): s is string => !!s && s.length >= 6);
}
