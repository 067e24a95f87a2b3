import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, requireInventory } from "../../src/config.js";

const load = (env: Record<string, string>) => loadConfig(env, null);

function problemsOf(env: Record<string, string>): string[] {
  try {
    load(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("config", () => {
  it("has the defaults of CONTRACT.md and runs the console without Slack variables", () => {
    const c = load({});
    expect(c.db).toBe("./data/hostmedic.db");
    expect(c.inventory).toBe("./inventory.yml");
    expect(c.knownHosts.endsWith("/.ssh/known_hosts")).toBe(true);
    expect(c.port).toBe(3000);
    expect(c.logLevel).toBe("info");
    expect(c.approvers).toEqual([]);
    expect(c.slack.apiUrl).toBe("https://slack.com/api/");
    expect(c.mode).toBe("console");
  });

  it("reads good values", () => {
    const c = load({
      MEDIC_DB: "/tmp/x.db",
      MEDIC_APPROVERS: "U012ABC, S0G4X7Y  W99ZZZ",
      PORT: "8080",
      LOG_LEVEL: "DEBUG",
      SLACK_BOT_TOKEN: "xoxb-1-2-3",
      SLACK_SIGNING_SECRET: "s3cret",
      SLACK_API_URL: "http://127.0.0.1:9999/api",
      MEDIC_ALLOW_SELF_APPROVE: "true",
    });
    expect(c.db).toBe("/tmp/x.db");
    expect(c.approvers).toEqual(["U012ABC", "S0G4X7Y", "W99ZZZ"]);
    expect(c.port).toBe(8080);
    expect(c.logLevel).toBe("debug");
    expect(c.mode).toBe("http");
    expect(c.slack.apiUrl).toBe("http://127.0.0.1:9999/api/");
    expect(c.allowSelfApprove).toBe(true);
  });

  it("chooses Socket Mode when the app token is set", () => {
    expect(load({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_APP_TOKEN: "xapp-1" }).mode).toBe("socket");
  });

  it("names the variable and what it expects for each bad value", () => {
    expect(problemsOf({ PORT: "abc" })).toEqual(['PORT: expected a TCP port number (1-65535), got "abc"']);
    expect(problemsOf({ PORT: "70000" })[0]).toMatch(/^PORT: expected a TCP port number/);
    expect(problemsOf({ MEDIC_APPROVERS: "U123,alice" })[0]).toMatch(
      /^MEDIC_APPROVERS: "alice" is not a Slack user id/,
    );
    expect(problemsOf({ LOG_LEVEL: "loud" })[0]).toMatch(/^LOG_LEVEL: expected one of fatal, error/);
    expect(problemsOf({ SLACK_BOT_TOKEN: "xoxp-user" })[0]).toMatch(/^SLACK_BOT_TOKEN: expected a bot token/);
    expect(problemsOf({ SLACK_BOT_TOKEN: "xoxb-1" })[0]).toMatch(
      /SLACK_APP_TOKEN .* or with SLACK_SIGNING_SECRET/,
    );
    expect(problemsOf({ MEDIC_ALLOW_SELF_APPROVE: "maybe" })[0]).toMatch(
      /^MEDIC_ALLOW_SELF_APPROVE: expected true or false/,
    );
    expect(problemsOf({ MEDIC_SSH_KEY: "/nonexistent/key" })[0]).toMatch(/^MEDIC_SSH_KEY: the key file/);
    expect(problemsOf({ SLACK_API_URL: "not a url" })[0]).toMatch(/^SLACK_API_URL: expected an http/);
  });

  it("reports every problem at once", () => {
    expect(problemsOf({ PORT: "x", LOG_LEVEL: "y" })).toHaveLength(2);
  });

  it("says where the inventory should be when it is needed and missing", () => {
    const c = load({ MEDIC_INVENTORY: "/nonexistent/inventory.yml" });
    expect(() => requireInventory(c)).toThrow(
      /MEDIC_INVENTORY: the inventory file \/nonexistent\/inventory.yml does not exist/,
    );
  });

  it("takes values from .env without overriding the environment", () => {
    const dir = mkdtempSync(join(tmpdir(), "hm-config-"));
    const file = join(dir, ".env");
    writeFileSync(file, "PORT=4000\nMEDIC_DB=/from/dotenv.db\n# comment\n");
    const c = loadConfig({ PORT: "5000" }, file);
    expect(c.port).toBe(5000);
    expect(c.db).toBe("/from/dotenv.db");
  });
});
